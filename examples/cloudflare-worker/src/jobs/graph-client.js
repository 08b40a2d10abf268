// The MailboxClient a mailbox's Durable Object imports with: app-only (the isolate's clientCredentials
// provider, src/auth.js), the Worker's Graph settings, and the mailbox's concurrency cap.

import { MailboxClient } from "graph-mailbox-import";

import { appTokenProvider } from "../auth.js";

/** A client for `config` (readConfig's, app-only mode). */
export function jobClient(config) {
  const { graphBaseUrl, apiVersion, trustedImportHosts } = config.graph;
  const options = {
    token: appTokenProvider(config.app),
    maxRetryDelayMs: config.limits.maxRetryDelayMs,
    mailboxConcurrency: config.limits.importConcurrency,
  };
  if (graphBaseUrl) options.graphBaseUrl = graphBaseUrl;
  if (apiVersion) options.apiVersion = apiVersion;
  if (trustedImportHosts.length) options.trustedImportHosts = trustedImportHosts;
  return new MailboxClient(options);
}
