// Names of the routes of each server. Request records carry them as `route`, and a fault may be scoped to some.

export const GRAPH_ROUTES = [
  "createImportSession",
  "exportItems",
  "exchangeSettings",
  "folders",
  "createFolder",
  "foldersDelta",
  "folder",
  "childFolders",
  "createChildFolder",
  "childFoldersDelta",
  "items",
  "itemsDelta",
  "item",
];

export const IMPORT_ROUTES = ["importItem"];

// A login fault without a route applies to the token endpoint only; the discovery documents need theirs named.
export const LOGIN_ROUTES = ["token", "openidConfiguration", "jwks"];

export const ROUTES_BY_TARGET = { graph: GRAPH_ROUTES, import: IMPORT_ROUTES, login: LOGIN_ROUTES };
