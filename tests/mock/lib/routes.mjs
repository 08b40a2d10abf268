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

export const LOGIN_ROUTES = ["token"];

export const ROUTES_BY_TARGET = { graph: GRAPH_ROUTES, import: IMPORT_ROUTES, login: LOGIN_ROUTES };
