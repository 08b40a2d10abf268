// `wrangler dev` runs the example Worker locally against the mock tenant, as its README says: delegated
// mode with --var overrides, app-only mode with its secrets in an env file (as .dev.vars would hold them).

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { DEMO_IDS, startMockTenant } from "../mock/server.mjs";
import { checkPrerequisites, freePort, startWrangler, tempDir } from "./support.mjs";

const ORIGIN = "http://localhost:8080";
const CLIENT_ID = "0a0b0c0d-1111-4222-8333-444455556666";
const CLIENT_SECRET = `dev~${randomBytes(18).toString("base64url")}`;
const API_KEY = randomBytes(32).toString("base64");
const TARGET = encodeURIComponent(DEMO_IDS.targetMailbox);

let mock;
const running = [];

before(async () => {
  checkPrerequisites();
  mock = await startMockTenant({ seed: "demo", apps: { [CLIENT_ID]: CLIENT_SECRET } });
});

after(async () => {
  try {
    await Promise.all(running.map((w) => w.stop()));
  } finally {
    await mock?.close();
  }
});

async function dev(args) {
  const port = await freePort();
  const wrangler = startWrangler(["dev", "--ip", "127.0.0.1", "--port", String(port), "--show-interactive-dev-session=false", ...args]);
  running.push(wrangler);
  await wrangler.waitFor(new RegExp(`Ready on http://127\\.0\\.0\\.1:${port}`));
  return { url: `http://127.0.0.1:${port}`, wrangler };
}

test("wrangler dev, delegated mode: the README's --var overrides point it at the mock tenant", { timeout: 90_000 }, async () => {
  const { url, wrangler } = await dev([
    "--env=",
    "--var", `GRAPH_BASE_URL:${mock.graphUrl}`,
    "--var", `TRUSTED_IMPORT_HOSTS:127.0.0.1:${mock.importPort}`,
    "--var", `ALLOWED_ORIGINS:${ORIGIN}`,
  ]);
  const r = await fetch(`${url}/mailboxes/${TARGET}/import-sessions`, {
    method: "POST",
    headers: { authorization: "Bearer demo-user-token", origin: ORIGIN },
  });
  assert.equal(r.status, 201, await r.clone().text());
  assert.equal(r.headers.get("access-control-allow-origin"), ORIGIN);
  const session = await r.json();
  assert.ok(session.importUrl.startsWith(mock.importUrlBase));
  const item = await fetch(`${url}/mailboxes/${TARGET}/items`, {
    method: "POST",
    headers: { authorization: "Bearer demo-user-token", origin: ORIGIN, "content-type": "application/json" },
    body: JSON.stringify({ folderId: DEMO_IDS.targetFolders.inbox, data: Buffer.from("dev item").toString("base64") }),
  });
  assert.equal(item.status, 201, await item.clone().text());
  assert.equal(mock.state.itemIndex.get((await item.json()).itemId).folderId, DEMO_IDS.targetFolders.inbox);
  const graph = mock.state.requests.filter((x) => x.server === "graph");
  assert.ok(graph.every((x) => x.headers.authorization === "Bearer demo-user-token"));
  // Its log line went to wrangler's output, without the token.
  await wrangler.waitFor(/"route":"items","status":201/);
  assert.ok(!wrangler.output().includes("demo-user-token"));
  await wrangler.stop();
});

test("wrangler dev, app-only mode: secrets from an env file, the token from the mock's Entra endpoint", { timeout: 90_000 }, async () => {
  const envFile = join(tempDir("dev-vars"), "dev.vars");
  writeFileSync(
    envFile,
    [
      `ENTRA_CLIENT_ID=${CLIENT_ID}`,
      `ENTRA_CLIENT_SECRET=${CLIENT_SECRET}`,
      `ENTRA_AUTHORITY_HOST=${mock.loginUrl}`,
      `RELAY_API_KEY=${API_KEY}`,
      `GRAPH_BASE_URL=${mock.graphUrl}`,
      `TRUSTED_IMPORT_HOSTS=127.0.0.1:${mock.importPort}`,
      `ALLOWED_ORIGINS=${ORIGIN}`,
      "",
    ].join("\n"),
  );
  const { url, wrangler } = await dev(["--env", "app-only", "--env-file", envFile]);
  const before = mock.state.stats.login.requests;
  const r = await fetch(`${url}/mailboxes/${TARGET}/import-sessions`, {
    method: "POST",
    headers: { "x-api-key": API_KEY, origin: ORIGIN },
  });
  assert.equal(r.status, 201, await r.clone().text());
  assert.equal(mock.state.stats.login.requests - before, 1);
  const [tokenRequest] = mock.state.tokenRequests.slice(-1);
  assert.equal(tokenRequest.tenant, "contoso.onmicrosoft.com"); // from wrangler.toml [env.app-only.vars]
  assert.equal(tokenRequest.clientId, CLIENT_ID);
  const refused = await fetch(`${url}/mailboxes/${TARGET}/import-sessions`, { method: "POST", headers: { origin: ORIGIN } });
  assert.equal(refused.status, 401);
  await wrangler.waitFor(/"status":401/);
  for (const secret of [CLIENT_SECRET, API_KEY, tokenRequest.accessToken]) assert.ok(!wrangler.output().includes(secret));
  await wrangler.stop();
});
