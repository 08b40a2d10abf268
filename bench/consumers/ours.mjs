// The one call with this package: createImportSession (retries, timeouts, typed errors built in).
import { createImportSession, isMailboxError, MailboxClient } from "graph-mailbox-import";

export function createSession(mailboxId, { token }) {
  return createImportSession(mailboxId, { token });
}

/** The cheapest call that proves the module is instantiated. */
export function coldStart() {
  return isMailboxError(new Error("probe"));
}

export { MailboxClient };

/** For the benchmarks: the same call against the mock tenant. */
export function mockClient({ token, graphUrl, importHost }) {
  return (mailboxId) => createImportSession(mailboxId, { token, graphBaseUrl: graphUrl, trustedImportHosts: [importHost] });
}
