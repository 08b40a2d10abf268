// The one call with the Kiota-based beta SDK (@microsoft/msgraph-beta-sdk): GraphBetaRequestAdapter (Graph's
// middleware and every serializer), the generated models, and the fluent
// `client.admin.exchange.mailboxes.byMailboxId(id).createImportSession.post()`.
//
// The SDK ships each fluent API tree as its own package; the admin one (@microsoft/msgraph-beta-sdk-admin)
// is not served by the npm registry reachable here (404). What it would register for this call is the
// navigation metadata below, as Kiota generates it (URI template, response factory, error mapping), so this
// consumer is the beta SDK minus the rest of the admin tree: a lower bound on the real figure.
import {
  AllowedHostsValidator,
  BaseBearerTokenAuthenticationProvider,
} from "@microsoft/kiota-abstractions";
import {
  createGraphBetaServiceClient,
  extendGraphBetaServiceClient,
  GraphBetaRequestAdapter,
} from "@microsoft/msgraph-beta-sdk";
import { createMailboxItemImportSessionFromDiscriminatorValue } from "@microsoft/msgraph-beta-sdk/models/index.js";
import { createODataErrorFromDiscriminatorValue } from "@microsoft/msgraph-beta-sdk/models/oDataErrors/index.js";

extendGraphBetaServiceClient(
  {
    admin: {
      navigationMetadata: {
        exchange: {
          navigationMetadata: {
            mailboxes: {
              navigationMetadata: {
                byMailboxId: {
                  pathParametersMappings: ["mailbox%2Did"],
                  navigationMetadata: {
                    createImportSession: {
                      requestsMetadata: {
                        post: {
                          uriTemplate: "{+baseurl}/admin/exchange/mailboxes/{mailbox%2Did}/createImportSession",
                          responseBodyContentType: "application/json",
                          errorMappings: { XXX: createODataErrorFromDiscriminatorValue },
                          adapterMethodName: "send",
                          responseBodyFactory: createMailboxItemImportSessionFromDiscriminatorValue,
                        },
                      },
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
  {},
);

let client;
let clientKey;

function getClient(token, baseUrl) {
  const key = `${token} ${baseUrl}`;
  if (clientKey !== key) {
    const auth = new BaseBearerTokenAuthenticationProvider({
      getAuthorizationToken: async () => token,
      getAllowedHostsValidator: () => new AllowedHostsValidator(),
    });
    const adapter = new GraphBetaRequestAdapter(auth);
    if (baseUrl) adapter.baseUrl = `${baseUrl}/beta`;
    client = createGraphBetaServiceClient(adapter);
    clientKey = key;
  }
  return client;
}

export async function createSession(mailboxId, { token, baseUrl }) {
  const session = await getClient(token, baseUrl).admin.exchange.mailboxes.byMailboxId(mailboxId).createImportSession.post();
  // The model parses expirationDateTime into a Date; the other consumers return Graph's string.
  return { importUrl: session.importUrl, expirationDateTime: session.expirationDateTime };
}

export function coldStart() {
  return getClient("probe", undefined) !== undefined;
}

/** For the benchmarks: the same call against the mock tenant. */
export function mockClient({ token, graphUrl }) {
  return (mailboxId) => createSession(mailboxId, { token, baseUrl: graphUrl });
}
