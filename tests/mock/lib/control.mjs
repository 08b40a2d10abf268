// Control API under /_mock/ on the Graph port: what tests use to seed, fault, inspect and reset the tenant.

import { json, response, send, withHeaders } from "./responses.mjs";
import { isPlainObject, readBody } from "./util.mjs";

export async function handleControl(ctx, req, res, cors) {
  const { state } = ctx;
  const url = new URL(req.url, "http://mock");
  const route = `${req.method} ${url.pathname}`;
  const reply = (r) => send(res, null, withHeaders(r, cors));
  const noContent = () => reply(response(204));
  let bodyText;
  try {
    bodyText = (await readBody(req)).toString("utf8");
  } catch {
    return;
  }
  const parseBody = () => {
    try {
      return JSON.parse(bodyText);
    } catch {
      throw new TypeError("body must be JSON");
    }
  };

  try {
    switch (route) {
      case "POST /_mock/reset":
        state.reset();
        return noContent();
      case "GET /_mock/faults":
        return reply(json(200, { faults: state.faults }));
      case "POST /_mock/faults": {
        const body = parseBody();
        if (!isPlainObject(body) || !Array.isArray(body.faults)) throw new TypeError('body must be {"faults": [...]}');
        state.addFaults(body.faults);
        return noContent();
      }
      case "DELETE /_mock/faults":
        state.clearFaults();
        return noContent();
      case "GET /_mock/requests": {
        const mailbox = url.searchParams.get("mailbox");
        const server = url.searchParams.get("server");
        const requests = state.requests.filter(
          (r) => (mailbox === null || r.mailbox === mailbox) && (server === null || r.server === server),
        );
        return reply(json(200, { requests }));
      }
      case "GET /_mock/items": {
        const mailbox = url.searchParams.get("mailbox");
        const items = [];
        for (const [mbx, list] of state.items) {
          if (mailbox === null || mbx === mailbox) for (const it of list) items.push({ mailbox: mbx, ...it });
        }
        return reply(json(200, { items }));
      }
      case "GET /_mock/sessions":
        return reply(json(200, { sessions: [...state.sessions.values()] }));
      case "GET /_mock/config":
        return reply(json(200, state.config));
      case "POST /_mock/config":
        state.setConfig(parseBody());
        return noContent();
      case "GET /_mock/stats":
        return reply(json(200, state.stats));
      case "GET /_mock/duplicates": {
        const mailboxes = url.searchParams.getAll("mailbox");
        return reply(json(200, { duplicates: state.duplicateData(mailboxes.length ? mailboxes : undefined) }));
      }
      case "POST /_mock/seed":
        return reply(json(200, state.seed(parseBody())));
      case "GET /_mock/users": {
        const users = [...new Set(state.users.values())];
        return reply(json(200, { users }));
      }
      case "GET /_mock/mailboxes":
        return reply(json(200, { mailboxes: [...state.mailboxes.values()] }));
      case "GET /_mock/folders": {
        const mailbox = url.searchParams.get("mailbox");
        const folders = [...state.folders.values()].filter((f) => mailbox === null || f.mailbox === mailbox);
        return reply(json(200, { folders }));
      }
      case "GET /_mock/elsewhere-requests":
        return reply(json(200, { requests: state.elsewhereRequests }));
      case "DELETE /_mock/elsewhere-requests":
        state.elsewhereRequests.length = 0;
        return noContent();
      case "GET /_mock/token-requests":
        return reply(json(200, { requests: state.tokenRequests }));
      case "DELETE /_mock/token-requests":
        state.tokenRequests.length = 0;
        return noContent();
      case "GET /_mock/app-tokens":
        return reply(json(200, { tokens: [...state.appTokens].map(([accessToken, t]) => ({ accessToken, ...t })) }));
      case "POST /_mock/expire-app-tokens": {
        const body = bodyText.trim() === "" ? {} : parseBody();
        if (!isPlainObject(body) || (body.clientId !== undefined && typeof body.clientId !== "string")) {
          throw new TypeError('body must be {"clientId": "<id>"} or {} for every app-only token');
        }
        return reply(json(200, { expired: state.expireAppTokens(body.clientId) }));
      }
      case "POST /_mock/add-item": {
        const item = state.createItem(parseBody());
        return reply(json(201, { item: { mailbox: item.mailbox, ...item } }));
      }
      case "POST /_mock/change-item": {
        const body = parseBody();
        if (!isPlainObject(body) || typeof body.itemId !== "string") throw new TypeError('body must be {"itemId": "<id>", "data"?, "categories"?}');
        const { itemId, ...patch } = body;
        const item = state.changeItem(itemId, patch);
        return reply(json(200, { item: { mailbox: item.mailbox, ...item } }));
      }
      case "POST /_mock/remove-item": {
        const body = parseBody();
        if (!isPlainObject(body) || typeof body.itemId !== "string") throw new TypeError('body must be {"itemId": "<id>"}');
        const item = state.removeItem(body.itemId);
        return reply(json(200, { item: { mailbox: item.mailbox, ...item } }));
      }
      case "GET /_mock/tree": {
        const mailbox = url.searchParams.get("mailbox");
        if (!mailbox) throw new TypeError("tree needs ?mailbox=ID");
        return reply(json(200, state.folderTree(mailbox)));
      }
      case "POST /_mock/expire-delta-tokens": {
        const body = bodyText.trim() === "" ? {} : parseBody();
        if (!isPlainObject(body) || (body.mailbox !== undefined && typeof body.mailbox !== "string")) {
          throw new TypeError('body must be {"mailbox": "<id>"} or {} for every mailbox');
        }
        return reply(json(200, { expired: state.expireDeltaTokens(body.mailbox) }));
      }
      case "POST /_mock/access-tokens":
        // Options as mintAccessToken takes them; in JSON a claim set to null is left out.
        return reply(json(200, { accessToken: state.mintAccessToken(bodyText.trim() === "" ? {} : parseBody()) }));
      case "POST /_mock/rotate-signing-key": {
        const body = bodyText.trim() === "" ? {} : parseBody();
        if (!isPlainObject(body) || (body.keepPrevious !== undefined && typeof body.keepPrevious !== "boolean")) {
          throw new TypeError('body must be {"keepPrevious": true | false} or {}');
        }
        const kid = state.rotateSigningKey(body);
        return reply(json(200, { kid, kids: state.signingKeys.map((k) => k.kid) }));
      }
      case "POST /_mock/expire-sessions": {
        const body = bodyText.trim() === "" ? {} : parseBody();
        if (!isPlainObject(body) || (body.mailbox !== undefined && typeof body.mailbox !== "string")) {
          throw new TypeError('body must be {"mailbox": "<id>"} or {} for every session');
        }
        return reply(json(200, { expired: state.expireSessions(body.mailbox) }));
      }
      default: {
        const known = [
          "/_mock/reset", "/_mock/faults", "/_mock/requests", "/_mock/items", "/_mock/sessions", "/_mock/config",
          "/_mock/stats", "/_mock/duplicates", "/_mock/expire-sessions", "/_mock/seed", "/_mock/users",
          "/_mock/mailboxes", "/_mock/folders", "/_mock/elsewhere-requests", "/_mock/token-requests",
          "/_mock/app-tokens", "/_mock/expire-app-tokens", "/_mock/add-item", "/_mock/change-item", "/_mock/remove-item",
          "/_mock/tree", "/_mock/expire-delta-tokens", "/_mock/access-tokens", "/_mock/rotate-signing-key",
        ];
        if (known.includes(url.pathname)) return reply(json(405, { error: `${req.method} not allowed here` }));
        return reply(json(404, { error: `no control route ${url.pathname}` }));
      }
    }
  } catch (err) {
    if (err instanceof TypeError) return reply(json(400, { error: err.message }));
    throw err;
  }
}
