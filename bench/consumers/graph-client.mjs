// The one call with Microsoft's Graph JS client (@microsoft/microsoft-graph-client 3.0.7): Client.init with
// an auth provider, its default middleware chain (auth, retry, redirect in Node, telemetry, fetch) and the
// fluent `api(path).post()`.
import { Client, CustomAuthenticationProvider, MiddlewareFactory } from "@microsoft/microsoft-graph-client";

const GRAPH = "https://graph.microsoft.com";
const clients = new Map();

async function post(client, mailboxId) {
  const path = `/admin/exchange/mailboxes/${encodeURIComponent(mailboxId)}/createImportSession`;
  const { importUrl, expirationDateTime } = await client.api(path).version("v1.0").post(null);
  return { importUrl, expirationDateTime };
}

export function createSession(mailboxId, { token }) {
  let client = clients.get(token);
  if (!client) {
    client = Client.init({ authProvider: (done) => done(null, token) });
    clients.set(token, client);
  }
  return post(client, mailboxId);
}

/**
 * For the benchmarks: the same default chain, whose last handler sends to the mock tenant instead of
 * graph.microsoft.com. The client only authenticates https URLs (it strips Authorization from others), so
 * the URL stays Graph's through auth, retry and telemetry and is rewritten at the fetch.
 */
export function mockClient({ token, graphUrl }) {
  const chain = MiddlewareFactory.getDefaultMiddlewareChain(new CustomAuthenticationProvider((done) => done(null, token)));
  chain[chain.length - 1] = {
    async execute(context) {
      context.response = await fetch(context.request.replace(GRAPH, graphUrl), context.options);
    },
  };
  const client = Client.initWithMiddleware({ middleware: chain });
  return (mailboxId) => post(client, mailboxId);
}

export function coldStart() {
  return Client.init({ authProvider: (done) => done(null, "probe") }) !== undefined;
}
