// Graph's paths: which route a request names, with its version, mailbox, folder and item ids.

export const VERSIONS = new Set(["v1.0", "beta"]);

export const FOLDER_SEGMENT = Symbol("folderId");

export const ITEM_SEGMENT = Symbol("itemId");

// Routes under /{version}/admin/exchange/mailboxes/{mailboxId}/ (graph-api.md §2, §4): the first entry whose
// pattern and method match wins; a path matched with another method answers 405 with the methods it has.
export const MAILBOX_ROUTE_TABLE = [
  { name: "createImportSession", method: "POST", pattern: ["createimportsession"] },
  { name: "exportItems", method: "POST", pattern: ["exportitems"] },
  { name: "folders", method: "GET", pattern: ["folders"], list: true },
  { name: "createFolder", method: "POST", pattern: ["folders"] },
  { name: "foldersDelta", method: "GET", pattern: ["folders", "delta"], list: true, delta: true },
  { name: "folder", method: "GET", pattern: ["folders", FOLDER_SEGMENT] },
  { name: "childFolders", method: "GET", pattern: ["folders", FOLDER_SEGMENT, "childfolders"], list: true },
  { name: "createChildFolder", method: "POST", pattern: ["folders", FOLDER_SEGMENT, "childfolders"] },
  {
    name: "childFoldersDelta",
    method: "GET",
    pattern: ["folders", FOLDER_SEGMENT, "childfolders", "delta"],
    list: true,
    delta: true,
  },
  { name: "items", method: "GET", pattern: ["folders", FOLDER_SEGMENT, "items"], list: true },
  { name: "itemsDelta", method: "GET", pattern: ["folders", FOLDER_SEGMENT, "items", "delta"], list: true, delta: true },
  { name: "item", method: "GET", pattern: ["folders", FOLDER_SEGMENT, "items", ITEM_SEGMENT] },
];

export function decodeSegment(raw) {
  try {
    const v = decodeURIComponent(raw);
    return v === "" ? null : v;
  } catch {
    return null;
  }
}

/**
 * Parses a Graph path (query removed): `/{version}/users/{user}/settings/exchange` or
 * `/{version}/admin/exchange/mailboxes/{mailboxId}/...` (MAILBOX_ROUTE_TABLE). Ids must be single raw segments,
 * percent-decoded once (graph-api.md §4: ids travel as one percent-encoded segment). Fixed segments are matched
 * without regard to case, as Graph's router does; `delta()` is the same as `delta`. `route.allow` lists the
 * methods the path has (for a 405).
 */
export function parseGraphRoute(pathname, method = "GET") {
  const parts = pathname.split("/");
  const route = {
    matched: false,
    name: null,
    method: null,
    allow: [],
    list: false,
    delta: false,
    version: null,
    mailbox: null,
    rawId: null,
    badId: false,
    user: null,
    folderId: null,
    itemId: null,
    badSegment: false,
  };
  if (parts.length < 3 || parts[0] !== "" || !VERSIONS.has(parts[1])) return route;
  const version = parts[1];
  const rest = parts.slice(2);
  const lower = rest.map((p) => p.toLowerCase());
  if (rest.length === 4 && lower[0] === "users" && lower[2] === "settings" && lower[3] === "exchange" && rest[1] !== "") {
    Object.assign(route, { matched: true, name: "exchangeSettings", method: "GET", allow: ["GET"], version });
    route.user = decodeSegment(rest[1]);
    route.badId = route.user === null;
    return route;
  }
  if (rest.length < 5 || lower[0] !== "admin" || lower[1] !== "exchange" || lower[2] !== "mailboxes") return route;
  const tail = rest.slice(4);
  const matches = MAILBOX_ROUTE_TABLE.filter(
    (e) =>
      e.pattern.length === tail.length &&
      e.pattern.every((p, i) => {
        if (typeof p === "symbol") return tail[i] !== "";
        const seg = tail[i].toLowerCase();
        return seg === p || (p === "delta" && seg === "delta()");
      }),
  );
  if (matches.length === 0) return route;
  const entry = matches.find((e) => e.method === method) ?? matches[0];
  Object.assign(route, {
    matched: true,
    name: entry.name,
    method: entry.method,
    allow: [...new Set(matches.map((e) => e.method))],
    list: entry.list === true,
    delta: entry.delta === true,
    version,
    rawId: rest[3],
  });
  route.mailbox = decodeSegment(rest[3]);
  route.badId = route.mailbox === null;
  entry.pattern.forEach((p, i) => {
    if (typeof p !== "symbol") return;
    const value = decodeSegment(tail[i]);
    if (value === null) route.badSegment = true;
    if (p === FOLDER_SEGMENT) route.folderId = value;
    else route.itemId = value;
  });
  return route;
}
