// One MailboxClient for the whole page, shared by every pane (import, lookup, folder pickers, copy): its import
// sessions (one per target mailbox) and its concurrency limits then hold across panes and runs. A new client is
// made when the options change (another tenant, account or API version); the old one is freed once no call
// uses it any more.

import { MailboxClient } from "graph-mailbox-import";

export function createClientPool() {
  let current = null; // { key, instance, uses, retired }

  function take(key, options) {
    if (current?.key === key) return current;
    if (current) {
      current.retired = true;
      if (current.uses === 0) current.instance.free();
    }
    current = { key, instance: new MailboxClient(options), uses: 0, retired: false };
    return current;
  }

  return {
    /**
     * Runs `fn(client)` with the client for these options (`key` names them: the same key, the same client)
     * and returns what it returns.
     */
    async use(key, options, fn) {
      const entry = take(key, options);
      entry.uses += 1;
      try {
        return await fn(entry.instance);
      } finally {
        entry.uses -= 1;
        if (entry.retired && entry.uses === 0) entry.instance.free();
      }
    },
  };
}
