// The one call with the Kiota runtime and a hand-built request (no generated SDK): FetchRequestAdapter with
// its default middleware (retry, redirect, user agent, ...), the JSON parse node, a RequestInformation from
// the URI template, and a hand-written parsable factory for the two fields of the answer.
import {
  AllowedHostsValidator,
  BaseBearerTokenAuthenticationProvider,
  HttpMethod,
  ParseNodeFactoryRegistry,
  RequestInformation,
} from "@microsoft/kiota-abstractions";
import { FetchRequestAdapter } from "@microsoft/kiota-http-fetchlibrary";
import { JsonParseNodeFactory } from "@microsoft/kiota-serialization-json";

const URI_TEMPLATE = "{+baseurl}/admin/exchange/mailboxes/{mailbox%2Did}/createImportSession";

function deserializeIntoSession(session = {}) {
  return {
    importUrl: (n) => {
      session.importUrl = n.getStringValue();
    },
    expirationDateTime: (n) => {
      session.expirationDateTime = n.getStringValue();
    },
  };
}
const createSessionFromDiscriminatorValue = () => deserializeIntoSession;

let adapter;
let adapterKey;

function getAdapter(token, baseUrl = "https://graph.microsoft.com") {
  const key = `${token} ${baseUrl}`;
  if (adapterKey !== key) {
    const auth = new BaseBearerTokenAuthenticationProvider({
      getAuthorizationToken: async () => token,
      getAllowedHostsValidator: () => new AllowedHostsValidator(),
    });
    const parseNodes = new ParseNodeFactoryRegistry();
    adapter = new FetchRequestAdapter(auth, parseNodes);
    parseNodes.registerDefaultDeserializer(JsonParseNodeFactory, adapter.getBackingStoreFactory());
    adapter.baseUrl = `${baseUrl}/v1.0`;
    adapterKey = key;
  }
  return adapter;
}

export async function createSession(mailboxId, { token, baseUrl }) {
  const request = new RequestInformation(HttpMethod.POST, URI_TEMPLATE, { "mailbox%2Did": mailboxId });
  request.headers.tryAdd("Accept", "application/json");
  const { importUrl, expirationDateTime } = await getAdapter(token, baseUrl).send(request, createSessionFromDiscriminatorValue, undefined);
  return { importUrl, expirationDateTime };
}

export function coldStart() {
  return getAdapter("probe") !== undefined;
}

/** For the benchmarks: the same call against the mock tenant. */
export function mockClient({ token, graphUrl }) {
  return (mailboxId) => createSession(mailboxId, { token, baseUrl: graphUrl });
}
