// The demo page in a real browser, against the built package and the mock tenant.
//
//   node --test www/
//
// Needs the package built into pkg/ (scripts/build.sh), playwright-core and @azure/msal-browser in the root
// node_modules and a Chromium (scripts/setup.sh installs them; CHROMIUM_PATH overrides /usr/bin/chromium).
// Leaves screenshots in target/: demo.png (a session created), demo-error.png (the 403 panel), demo-import.png
// (the import pane after 25 sample items) and demo-tenant.png (signed in to a real-tenant configuration). UPDATE_DOCS_SCREENSHOT=1 also copies demo.png
// to docs/demo.png, the README's picture. The lookup, folder pickers and copy pane are tested offline in
// copy.test.mjs; here only that they use the signed-in account's token.
//
// Two parts. Offline: the page against the mock tenant, as `make demo` shows it. Real tenant: the settings
// panel configures @azure/msal-browser, which signs in (popup, then the redirect fallback) against a fake
// login.microsoftonline.com answered inside the browser (Playwright routes); Graph calls go to the mock
// tenant through the page's loopback-only test hook. Nothing leaves loopback: every other request is
// aborted and reported.

import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { DEMO_IDS } from "../tests/mock/server.mjs";
import { demo, isLoopback, newContext, saveScreenshot, simulate as simulateOn, startDemoAndBrowser } from "./page-harness.mjs";

const MASKED = "authtoken=••••••";
const AUTHTOKEN = /authtoken=[A-Za-z0-9_-]{43}$/;

// Chrome logs every 4xx/5xx answer to fetch, and a connection dropped without an answer, as "Failed to load
// resource"; these are the answers the test provokes on purpose (the drop: the outcome-unknown import), not
// faults of the page.
const EXPECTED_NETWORK_LOG = /^Failed to load resource: (the server responded with a status of (429|403|401) |net::ERR_CONNECTION_RESET$)/;

startDemoAndBrowser();

/** Submits the form and waits for the call to settle (result or error shown). */
async function create(page) {
  await page.click("#create-button");
  await page.waitForFunction(() => {
    const status = document.getElementById("status").textContent;
    return status.startsWith("Import session created") || status.startsWith("Failed");
  });
}

/** The Graph requests the mock tenant saw, oldest first. */
function graphRequests() {
  return demo.tenant.state.requests.filter((r) => r.server === "graph");
}

const PANE_MAILBOX = "MBX:e0643f21@a7809c93";

/** The import host's posts for the pane's mailbox, oldest first. */
function importPosts() {
  return demo.tenant.state.requestsFor(PANE_MAILBOX).filter((r) => r.server === "import");
}

/** The items the mock tenant holds for a mailbox, read through its control API as the page would. */
async function mockItems(mailbox) {
  const res = await fetch(`${demo.config.mockControlUrl}/items?mailbox=${encodeURIComponent(mailbox)}`);
  assert.equal(res.status, 200);
  return (await res.json()).items;
}

/** Starts an import from the pane and waits for the run to end; returns the pane's status line. */
async function runImport(page) {
  await page.getByRole("button", { name: "Import", exact: true }).click();
  await page.locator("#import-status", { hasText: /^(Done|Stopped|Import failed)/ }).waitFor();
  return page.locator("#import-status").textContent();
}

/** Each result row's status: imported, failed, outcomeUnknown, notSent (or waiting). */
function rowStatuses(page) {
  return page.locator("#import-rows tr").evaluateAll((rows) => rows.map((r) => r.dataset.status));
}

// ---------------------------------------------------------------------------------------------------------

describe("offline demo tenant", () => {
  let context;
  let page;
  const consoleErrors = [];
  const outside = [];

  before(async () => {
    context = await newContext({ consoleErrors, outside, expectedLog: EXPECTED_NETWORK_LOG });
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: new URL(demo.url).origin });
    page = await context.newPage();
    await page.goto(demo.url);
    await page.locator("#status", { hasText: "Ready." }).waitFor();
  });

  after(() => context?.close());

  const simulate = (buttonText, expectedState) => simulateOn(page, buttonText, expectedState);

  test("the page shows the offline banner, a prefilled form and an empty settings panel", async () => {
    assert.match(await page.locator("#mode-banner").innerText(), /Offline demo tenant\..*mock tenant/s);
    assert.equal(await page.getByLabel("Mailbox id").inputValue(), "MBX:e0643f21@a7809c93");
    assert.equal(await page.getByLabel("API version").inputValue(), "v1.0");
    assert.equal(await page.getByLabel("Application (client) id").inputValue(), "");
    assert.equal(await page.getByLabel("Tenant", { exact: true }).inputValue(), "");
    assert.equal(await page.locator("#account-panel").isVisible(), false);
    assert.equal(await page.locator("#simulate").isVisible(), true);
    assert.equal(await page.getByRole("heading", { name: "Import items" }).isVisible(), true);
  });

  test("keyboard: the skip link leads to the content, and focus is visible", async () => {
    await page.keyboard.press("Tab");
    const skip = page.getByRole("link", { name: "Skip to content" });
    assert.equal(await skip.evaluate((el) => el === document.activeElement), true);
    assert.equal(await skip.evaluate((el) => getComputedStyle(el).outlineStyle), "solid");
    await page.keyboard.press("Enter");
    assert.equal(await page.evaluate(() => document.activeElement.id), "main");
    await page.keyboard.press("Tab");
    const focused = await page.evaluate(() => ({ id: document.activeElement.id, outline: getComputedStyle(document.activeElement).outlineStyle }));
    assert.deepEqual(focused, { id: "mailbox-id", outline: "solid" });
  });

  test("creating a session shows its expiry with a countdown and the import URL masked", async () => {
    await create(page);
    assert.equal(await page.locator("#result-panel").isVisible(), true);
    assert.equal(await page.locator("#error-panel").isVisible(), false);
    const url = await page.locator("#import-url").textContent();
    assert.ok(url.endsWith(MASKED), `masked URL, got ${url}`);
    assert.match(url, /\/api\/gv1\.0\/Mailboxes\('MBX%3Ae0643f21%40a7809c93'\)\/importItem\?/);
    assert.match(await page.locator("#expiration").textContent(), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z$/);
    assert.match(await page.locator("#countdown").textContent(), /^\d+:\d\d(:\d\d)? left$/);
    // The offline demo sends its fixed token to the mock tenant.
    assert.equal(graphRequests().at(-1).headers.authorization, "Bearer demo-token");
  });

  test("Reveal toggles the authtoken, Copy copies the full URL", async () => {
    const reveal = page.getByRole("button", { name: "Reveal" });
    await reveal.click();
    assert.equal(await reveal.getAttribute("aria-pressed"), "true");
    const full = await page.locator("#import-url").textContent();
    assert.match(full, AUTHTOKEN);
    // The one session the mock issued is the one on screen.
    const issued = [...demo.tenant.state.sessions.values()].map((s) => s.importUrl);
    assert.ok(issued.includes(full), "the revealed URL is the one the mock tenant issued");

    await page.getByRole("button", { name: "Copy", exact: true }).click();
    await page.locator("#copy-feedback", { hasText: "Copied" }).waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), full);

    await reveal.click();
    assert.equal(await reveal.getAttribute("aria-pressed"), "false");
    assert.ok((await page.locator("#import-url").textContent()).endsWith(MASKED));
  });

  test("a throttled call is retried and succeeds", async () => {
    await simulate("Throttle next call once (429)", "Next call: 429 once");
    const before = graphRequests().length;
    await create(page);
    assert.equal(await page.locator("#result-panel").isVisible(), true);
    assert.deepEqual(graphRequests().slice(before).map((r) => r.status), [429, 200]);
    assert.match(await page.locator("#status").textContent(), /2 requests: 429 → 200, 1 retry/);
    assert.ok((await page.locator("#import-url").textContent()).endsWith(MASKED));
    // The fault line is read back from the mock after the call (asynchronously): wait for it.
    await page.locator("#fault-state", { hasText: "Next call: normal" }).waitFor();

    // The README's picture: a session created after a retry, its authtoken masked.
    await page.locator("#session-heading").scrollIntoViewIfNeeded();
    await page.mouse.move(0, 0);
    await saveScreenshot(page, "demo.png", { fullPage: true, docs: true });
  });

  test("a 403 shows the error panel with code, status, request id and a hint", async () => {
    await simulate("Deny next call (403)", "Next call: 403 once");
    // From the keyboard this time: Enter in the mailbox field submits the form.
    await page.getByLabel("Mailbox id").focus();
    await page.keyboard.press("Enter");
    await page.locator("#error-panel").waitFor({ state: "visible" });
    assert.equal(await page.locator("#result-panel").isVisible(), false);
    assert.equal(await page.locator("#error-code").textContent(), "forbidden");
    assert.equal(await page.locator("#error-status").textContent(), "403");
    const requestId = await page.locator("#error-request-id").textContent();
    assert.match(requestId, /^[0-9a-f-]{36}$/);
    assert.match(await page.locator("#error-message").textContent(), /Access is denied/);
    assert.match(await page.locator("#error-hint").textContent(), /MailboxItem\.ImportExport/);
    assert.match(await page.locator("#status").textContent(), /Failed: forbidden \(403\)/);
    await saveScreenshot(page, "demo-error.png", { fullPage: true });
  });

  test("the settings panel refuses malformed values and says why", async () => {
    await page.getByLabel("Application (client) id").fill("not-a-guid");
    await page.getByLabel("Tenant", { exact: true }).fill("contoso");
    await page.getByRole("button", { name: "Save" }).click();
    await page.locator("#settings-status", { hasText: "Not saved" }).waitFor();
    assert.equal(await page.getByLabel("Application (client) id").getAttribute("aria-invalid"), "true");
    assert.equal(await page.getByLabel("Tenant", { exact: true }).getAttribute("aria-invalid"), "true");
    assert.match(await page.locator("#client-id-error").textContent(), /looks like/);
    assert.equal(await page.evaluate(() => document.activeElement.id), "client-id");
    assert.equal(await page.evaluate(() => localStorage.length), 0, "nothing saved");
    // Still offline.
    assert.equal(await page.locator("#simulate").isVisible(), true);
    await page.getByRole("button", { name: "Use offline demo tenant" }).click();
    assert.equal(await page.getByLabel("Application (client) id").getAttribute("aria-invalid"), null);
  });

  test("a stale sign-in answer in the URL is dropped and the page starts", async () => {
    const stale = await context.newPage();
    await stale.goto(`${demo.url}#code=old-code&state=not-from-this-browser`);
    await stale.locator("#settings-status", { hasText: "The sign-in answer could not be used" }).waitFor();
    assert.equal(stale.url(), demo.url);
    assert.equal(await stale.locator("#status").textContent(), "Ready.");
    await stale.close();
  });

  // -------------------------------------------------------------------------------------------------------
  // The import pane

  test("the import pane: folder prefilled, labelled controls, and it asks for items first", async () => {
    assert.equal(await page.getByLabel("Folder id").inputValue(), "AAMkInbox");
    assert.equal(await page.getByLabel("Item files").getAttribute("type"), "file");
    assert.equal(await page.locator("#import-pane").getByRole("button", { name: "Stop" }).isDisabled(), true);
    assert.equal(await page.locator("#import-selection").textContent(), "No items chosen.");
    await page.getByRole("button", { name: "Import", exact: true }).click();
    await page.locator("#import-status", { hasText: "Choose item files, or use the sample items." }).waitFor();
    // Focus goes to the file input (visually hidden; its "Choose files…" label shows the focus ring).
    assert.equal(await page.evaluate(() => document.activeElement.id), "import-files");
    const ring = await page.locator(".file-button").evaluate((el) => getComputedStyle(el).outlineStyle);
    assert.equal(ring, "solid");
  });

  test("the import pane imports 25 sample items through 3 throttled posts, one row per item", async () => {
    const before = (await mockItems(PANE_MAILBOX)).length;
    const postsBefore = importPosts().length;
    await simulate("Throttle the next 3 imports (429)", `Next imports into ${PANE_MAILBOX}: 429 ×3`);
    await page.getByRole("button", { name: "Use 25 sample items" }).click();
    await page.locator("#import-selection", { hasText: /^25 sample items \(.+\) ready to import\.$/ }).waitFor();
    assert.equal(await runImport(page), "Done: 25 imported, 0 failed, 0 outcome unknown.");

    assert.deepEqual(await rowStatuses(page), Array(25).fill("imported"));
    assert.equal(await page.locator("#import-progress").evaluate((p) => `${p.value}/${p.max}`), "25/25");
    assert.equal(await page.locator("#import-settled").textContent(), "25 of 25 settled");
    assert.deepEqual(await page.locator("#import-counts strong").allTextContents(), ["25", "0", "0"]);
    assert.equal(await page.locator("#import-unknown-note").isVisible(), false);

    // The mock tenant holds the 25 items, in the folder, under the ids the table shows.
    const stored = (await mockItems(PANE_MAILBOX)).slice(before);
    assert.equal(stored.length, 25);
    assert.ok(stored.every((item) => item.folderId === "AAMkInbox"));
    const shown = await page.locator("#import-rows .item-id").allTextContents();
    assert.deepEqual([...shown].sort(), stored.map((item) => item.itemId).sort());

    // The three 429s were retried, and the client kept within Exchange's 4 posts per mailbox.
    const posts = importPosts().slice(postsBefore);
    assert.equal(posts.filter((r) => r.status === 429).length, 3);
    assert.equal(posts.filter((r) => r.status === 200).length, 25);
    assert.equal(demo.tenant.state.stats.refusedForConcurrency[PANE_MAILBOX] ?? 0, 0);
    await page.locator("#fault-state", { hasText: "Next call: normal" }).waitFor();

    await page.locator("#import-heading").scrollIntoViewIfNeeded();
    await page.mouse.move(0, 0);
    await saveScreenshot(page.locator("#import-pane"), "demo-import.png");
  });

  test("item files from the file input are imported, their bytes as they are", async () => {
    const before = (await mockItems(PANE_MAILBOX)).length;
    await page.setInputFiles("#import-files", [
      { name: "first.fts", mimeType: "application/octet-stream", buffer: Buffer.from("first item stream") },
      { name: "second.fts", mimeType: "application/octet-stream", buffer: Buffer.from([0, 1, 2, 254, 255]) },
    ]);
    await page.locator("#import-selection", { hasText: "2 files (22 B) ready to import: first.fts, second.fts." }).waitFor();
    assert.equal(await runImport(page), "Done: 2 imported, 0 failed, 0 outcome unknown.");
    assert.deepEqual(await page.locator("#import-rows .col-file").allTextContents(), ["first.fts", "second.fts"]);
    assert.deepEqual(await rowStatuses(page), ["imported", "imported"]);
    const stored = (await mockItems(PANE_MAILBOX)).slice(before).map((item) => Buffer.from(item.data, "base64").toString("hex"));
    assert.deepEqual(stored.sort(), [Buffer.from("first item stream").toString("hex"), "000102feff"].sort());
    assert.equal(await page.locator("#import-selection").textContent(), "No items chosen.");
  });

  test("an item whose answer was lost shows as outcome unknown, explained, and is not sent again", async () => {
    const postsBefore = importPosts().length;
    // The connection drops with no answer, inside the browser. (A reset from the mock itself is no good here:
    // on a reused keep-alive connection Chromium silently sends the POST again, and the retry succeeds.)
    const importOrigin = new URL(demo.tenant.importUrlBase).origin;
    let dropped = 0;
    const drop = (route) => {
      if (route.request().method() !== "POST" || dropped++ > 0) return route.fallback();
      return route.abort("connectionreset");
    };
    await page.route((url) => url.origin === importOrigin, drop);
    try {
      await page.setInputFiles("#import-files", [{ name: "lost.fts", mimeType: "application/octet-stream", buffer: Buffer.from("lost answer") }]);
      assert.equal(await runImport(page), "Done: 0 imported, 0 failed, 1 outcome unknown.");
    } finally {
      await page.unroute((url) => url.origin === importOrigin, drop);
    }
    assert.equal(dropped, 1, "sent once, not again");
    assert.equal(importPosts().length, postsBefore);
    assert.deepEqual(await rowStatuses(page), ["outcomeUnknown"]);
    assert.match(await page.locator("#import-rows .col-detail").textContent(), /^Sent, but no answer came back: it may exist; not sent again\. outcomeUnknown/);
    assert.deepEqual(await page.locator("#import-counts strong").allTextContents(), ["0", "0", "1"]);
    assert.match(await page.locator("#import-unknown-note").innerText(), /sent, but no answer came back\. It may exist in the folder; it was not sent again/);
  });

  test("Stop ends a run of slow imports: every row says how its item ended, and the page says it stopped", async () => {
    const before = (await mockItems(PANE_MAILBOX)).length;
    demo.tenant.state.addFaults([{ target: "import", mailbox: PANE_MAILBOX, kind: "delay", ms: 400, times: 25 }]);
    try {
      await page.getByRole("button", { name: "Use 25 sample items" }).click();
      await page.getByRole("button", { name: "Import", exact: true }).click();
      await page.locator("#import-rows tr[data-status='imported']").first().waitFor();
      await page.locator("#import-pane").getByRole("button", { name: "Stop" }).click();
      await page.locator("#import-status", { hasText: /^Stopped: / }).waitFor();
    } finally {
      demo.tenant.state.clearFaults();
    }
    const statuses = await rowStatuses(page);
    assert.equal(statuses.length, 25);
    assert.ok(statuses.every((s) => ["imported", "failed", "outcomeUnknown", "notSent"].includes(s)), statuses.join());
    assert.ok(statuses.includes("notSent"), "items after the stop were not sent");
    const imported = statuses.filter((s) => s === "imported").length;
    const notSent = statuses.filter((s) => s === "notSent").length;
    assert.equal(imported + notSent, 25, statuses.join());
    assert.equal(
      await page.locator("#import-status").textContent(),
      `Stopped: ${imported} imported, 0 failed, 0 outcome unknown; ${notSent} not sent. Posts under way when Stop was pressed were let finish.`,
    );
    // What the table says was imported is exactly what the mailbox holds.
    assert.equal((await mockItems(PANE_MAILBOX)).length - before, imported);
    assert.equal(await page.locator("#import-pane").getByRole("button", { name: "Stop" }).isDisabled(), true);
    assert.equal(await page.evaluate(() => document.activeElement.id), "import-start");
  });

  test("no console errors, and no request left loopback", () => {
    assert.deepEqual(consoleErrors, []);
    assert.deepEqual(outside, []);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Real-tenant mode, without Microsoft

const CLIENT_ID = "3f2b1c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d";
const TENANT_ID = "72f988bf-0000-4000-8000-00000000c0de";
const USER_OID = "d4c3b2a1-0000-4000-8000-0000000a11ce";
const USERNAME = "adele@contoso.onmicrosoft.com";
const LOGIN = "https://login.microsoftonline.com";
const GRAPH_SCOPES = ["https://graph.microsoft.com/MailboxItem.ImportExport", "https://graph.microsoft.com/User.Read.All"];

const b64url = (value) => Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");

/**
 * A stand-in for login.microsoftonline.com, answering inside the browser: the v2.0 authorize endpoint
 * (redirects straight back with a code, as after a successful sign-in), the token endpoint (authorization
 * code with PKCE, and refresh token), the OpenID configuration and instance discovery. Tokens are well formed
 * but unsigned (MSAL in the browser does not check signatures). Records every request it sees, and every
 * request to anywhere else (which it aborts).
 */
function fakeIdentityProvider() {
  const idp = {
    requests: [], // { kind, method, url, form }
    unexpected: [], // "METHOD url"
    accessTokens: [], // issued for Graph, in order
    apiTokens: [], // issued for the jobs Worker's API
    refreshTokens: [],
    authorizations: new Map(), // code -> { nonce, challenge, clientId, redirectUri }
  };
  let issued = 0;

  const json = (route, body, status = 200) =>
    route.fulfill({
      status,
      headers: { "content-type": "application/json; charset=utf-8", "access-control-allow-origin": "*" },
      body: JSON.stringify(body),
    });

  /**
   * The token endpoint's answer. With `api`: an access token for the jobs Worker's own API, as Entra signs
   * them for a user with the admin role (minted by the mock tenant, whose keys the Worker trusts).
   */
  function tokens(clientId, nonce, api = null) {
    issued += 1;
    const now = Math.floor(Date.now() / 1000);
    const idToken = [
      b64url({ typ: "JWT", alg: "RS256", kid: "fake-key" }),
      b64url({
        aud: clientId,
        iss: `${LOGIN}/${TENANT_ID}/v2.0`,
        iat: now,
        nbf: now,
        exp: now + 3600,
        name: "Adele Vance",
        oid: USER_OID,
        preferred_username: USERNAME,
        sub: "fake-subject",
        tid: TENANT_ID,
        ver: "2.0",
        ...(nonce ? { nonce } : {}),
      }),
      b64url("not-a-signature"),
    ].join(".");
    const accessToken = api ? demo.tenant.mintAccessToken() : `fake-access-token-${issued}`;
    const refreshToken = `fake-refresh-token-${issued}`;
    (api ? idp.apiTokens : idp.accessTokens).push(accessToken);
    idp.refreshTokens.push(refreshToken);
    return {
      token_type: "Bearer",
      scope: api ? `${api}/.default` : GRAPH_SCOPES.join(" "),
      expires_in: 3599,
      ext_expires_in: 3599,
      access_token: accessToken,
      refresh_token: refreshToken,
      id_token: idToken,
      client_info: b64url({ uid: USER_OID, utid: TENANT_ID }),
    };
  }

  idp.handle = async (route) => {
    const request = route.request();
    const url = new URL(request.url());
    if (url.origin !== LOGIN) {
      idp.unexpected.push(`${request.method()} ${request.url()}`);
      return route.abort();
    }
    const path = url.pathname;
    const form = Object.fromEntries(new URLSearchParams(request.postData() ?? ""));
    const record = (kind) => idp.requests.push({ kind, method: request.method(), url, form });

    if (path === "/common/discovery/instance") {
      record("instanceDiscovery");
      return json(route, {
        tenant_discovery_endpoint: `${LOGIN}/${TENANT_ID}/v2.0/.well-known/openid-configuration`,
        "api-version": "1.1",
        metadata: [
          {
            preferred_network: "login.microsoftonline.com",
            preferred_cache: "login.windows.net",
            aliases: ["login.microsoftonline.com", "login.windows.net", "login.microsoft.com", "sts.windows.net"],
          },
        ],
      });
    }
    let m = /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/.exec(path);
    if (m) {
      record("openidConfiguration");
      const base = `${LOGIN}/${m[1]}`;
      return json(route, {
        token_endpoint: `${base}/oauth2/v2.0/token`,
        authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
        end_session_endpoint: `${base}/oauth2/v2.0/logout`,
        jwks_uri: `${base}/discovery/v2.0/keys`,
        issuer: `${LOGIN}/${TENANT_ID}/v2.0`,
        response_modes_supported: ["query", "fragment", "form_post"],
      });
    }
    m = /^\/([^/]+)\/oauth2\/v2\.0\/authorize$/.exec(path);
    if (m && request.method() === "GET") {
      record("authorize");
      const p = url.searchParams;
      const code = `fake-code-${idp.authorizations.size + 1}`;
      idp.authorizations.set(code, {
        nonce: p.get("nonce"),
        challenge: p.get("code_challenge"),
        clientId: p.get("client_id"),
        redirectUri: p.get("redirect_uri"),
      });
      const answer = new URLSearchParams({
        code,
        client_info: b64url({ uid: USER_OID, utid: TENANT_ID }),
        state: p.get("state"),
        session_state: "fake-session",
      });
      const separator = p.get("response_mode") === "query" ? "?" : "#";
      return route.fulfill({ status: 302, headers: { location: `${p.get("redirect_uri")}${separator}${answer}` } });
    }
    m = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(path);
    if (m && request.method() === "POST") {
      if (form.grant_type === "authorization_code") {
        record("token:authorization_code");
        const auth = idp.authorizations.get(form.code);
        const verifier = form.code_verifier ?? "";
        const challenge = createHash("sha256").update(verifier).digest("base64url");
        if (!auth || auth.challenge !== challenge || auth.clientId !== form.client_id || auth.redirectUri !== form.redirect_uri) {
          return json(route, { error: "invalid_grant", error_description: "fake IdP: code, PKCE verifier, client or redirect URI do not match" }, 400);
        }
        return json(route, tokens(form.client_id, auth.nonce));
      }
      if (form.grant_type === "refresh_token") {
        record("token:refresh_token");
        if (!idp.refreshTokens.includes(form.refresh_token)) {
          return json(route, { error: "invalid_grant", error_description: "fake IdP: unknown refresh token" }, 400);
        }
        const api = (form.scope ?? "").split(" ").find((s) => s.endsWith("/.default"))?.replace(/\/\.default$/, "") ?? null;
        return json(route, tokens(form.client_id, null, api));
      }
    }
    idp.unexpected.push(`${request.method()} ${request.url()}`);
    return route.abort();
  };
  return idp;
}

describe("real tenant through MSAL (login.microsoftonline.com faked in the browser)", () => {
  let context;
  let page;
  let idp;
  const consoleErrors = [];
  const outside = [];

  before(async () => {
    context = await newContext({ consoleErrors, outside, expectedLog: EXPECTED_NETWORK_LOG });
    idp = fakeIdentityProvider();
    // Everything not on loopback: the fake login.microsoftonline.com, or aborted and reported. (Registered
    // last, so it answers before newContext's catch-all.)
    await context.route((url) => !isLoopback(url), idp.handle);
    page = await context.newPage();
    await page.goto(demo.url);
    await page.locator("#status", { hasText: "Ready." }).waitFor();
    // The test hook: in real-tenant mode, Graph calls go to the mock tenant instead of graph.microsoft.com.
    await page.evaluate(
      (override) => localStorage.setItem("graph-mailbox-import-demo:graph-override", JSON.stringify(override)),
      { graphBaseUrl: demo.config.graphBaseUrl, trustedImportHosts: demo.config.trustedImportHosts },
    );
  });

  after(() => context?.close());

  const signedIn = () => page.locator("#account-state", { hasText: /^Signed in as / }).waitFor();

  test("the settings panel switches the page to the tenant and keeps the values", async () => {
    // From the keyboard: type the values and press Enter to save.
    await page.getByLabel("Application (client) id").focus();
    await page.keyboard.type(CLIENT_ID);
    await page.keyboard.press("Tab");
    await page.keyboard.type(TENANT_ID);
    await page.keyboard.press("Enter");
    await page.locator("#account-state", { hasText: /^Not signed in/ }).waitFor();

    assert.deepEqual(
      JSON.parse(await page.evaluate(() => localStorage.getItem("graph-mailbox-import-demo:settings"))),
      { clientId: CLIENT_ID, tenant: TENANT_ID },
    );
    const banner = await page.locator("#mode-banner").innerText();
    assert.match(banner, new RegExp(`Microsoft tenant ${TENANT_ID}`));
    assert.ok(banner.includes(CLIENT_ID), banner);
    assert.ok(banner.includes(demo.config.graphBaseUrl), "the banner names the Graph root in use");
    assert.equal(await page.locator("#simulate").isVisible(), false);
    // The import pane: no sample items, and the folder id is the person's to type.
    assert.equal(await page.getByRole("button", { name: "Use 25 sample items" }).isVisible(), false);
    assert.equal(await page.getByLabel("Folder id").inputValue(), "");

    // Before sign-in, creating a session asks for it and sends nothing.
    const before = graphRequests().length;
    await page.click("#create-button");
    await page.locator("#status", { hasText: "Sign in with Microsoft first." }).waitFor();
    assert.equal(graphRequests().length, before);
    assert.equal(await page.evaluate(() => document.activeElement.id), "sign-in-button");
  });

  test("Sign in: popup to the configured tenant, with the configured client id and this page as redirect URI", async () => {
    const popup = page.waitForEvent("popup");
    await page.getByRole("button", { name: "Sign in with Microsoft" }).click();
    await (await popup).waitForEvent("close");
    await signedIn();
    assert.match(await page.locator("#account-state").textContent(), new RegExp(`Signed in as ${USERNAME}`));

    const authorize = idp.requests.find((r) => r.kind === "authorize");
    assert.ok(authorize, "MSAL opened the authorize endpoint");
    assert.equal(authorize.url.pathname, `/${TENANT_ID}/oauth2/v2.0/authorize`);
    const params = authorize.url.searchParams;
    assert.equal(params.get("client_id"), CLIENT_ID);
    assert.equal(params.get("redirect_uri"), demo.url);
    assert.equal(params.get("response_type"), "code");
    assert.equal(params.get("code_challenge_method"), "S256");
    const scopes = params.get("scope").split(" ");
    for (const scope of GRAPH_SCOPES) assert.ok(scopes.includes(scope), `sign-in asks for ${scope}`);

    const redeem = idp.requests.filter((r) => r.kind === "token:authorization_code");
    assert.equal(redeem.length, 1, "the code was redeemed once, with its PKCE verifier");
    assert.equal(redeem[0].url.pathname, `/${TENANT_ID}/oauth2/v2.0/token`);
    assert.equal(redeem[0].form.client_id, CLIENT_ID);
  });

  test("acquireTokenSilent is the token provider: the access token from sign-in reaches Graph (the mock)", async () => {
    const tokenRequestsBefore = idp.requests.length;
    const before = graphRequests().length;
    await create(page);
    assert.match(await page.locator("#status").textContent(), /^Import session created/);
    assert.ok((await page.locator("#import-url").textContent()).endsWith(MASKED));

    const seen = graphRequests().slice(before);
    assert.deepEqual(seen.map((r) => r.status), [200]);
    assert.equal(seen[0].headers.authorization, `Bearer ${idp.accessTokens[0]}`);
    // Read back through the mock's control API as well, as a client of the mock would.
    const { requests } = await (await fetch(`${demo.config.mockControlUrl}/requests?server=graph`)).json();
    assert.equal(requests.at(-1).headers.authorization, `Bearer ${idp.accessTokens[0]}`);
    // Served from MSAL's cache: no trip to the token endpoint.
    assert.equal(idp.requests.length, tokenRequestsBefore);
    assert.equal(await page.locator("#attempts-log").textContent(), "MSAL acquireTokenSilent, from MSAL's cache.");
  });

  test("after a 401 the provider is asked again with forceRefresh: MSAL redeems the refresh token", async () => {
    demo.tenant.state.addFaults([{ kind: "status", status: 401, times: 1, code: "InvalidAuthenticationToken", message: "Access token has expired or is not yet valid." }]);
    const before = graphRequests().length;
    await create(page);
    assert.match(await page.locator("#status").textContent(), /^Import session created/);

    const seen = graphRequests().slice(before);
    assert.deepEqual(seen.map((r) => [r.status, r.headers.authorization]), [
      [401, `Bearer ${idp.accessTokens[0]}`],
      [200, `Bearer ${idp.accessTokens[1]}`],
    ]);
    const refresh = idp.requests.filter((r) => r.kind === "token:refresh_token");
    assert.equal(refresh.length, 1);
    assert.equal(refresh[0].form.refresh_token, idp.refreshTokens[0]);
    assert.equal(refresh[0].form.client_id, CLIENT_ID);
    assert.equal(
      await page.locator("#attempts-log").textContent(),
      "MSAL acquireTokenSilent, from MSAL's cache. Graph refused it (401), so a new one was asked for with forceRefresh: fetched from Microsoft.",
    );
    await page.mouse.move(0, 0);
    await saveScreenshot(page, "demo-tenant.png", { fullPage: true });
  });

  test("the import pane imports through the same token provider (one MailboxClient, MSAL's token)", async () => {
    await page.getByLabel("Folder id").fill("AAMkInbox");
    await page.setInputFiles("#import-files", [
      { name: "tenant-1.fts", mimeType: "application/octet-stream", buffer: Buffer.from("tenant item one") },
      { name: "tenant-2.fts", mimeType: "application/octet-stream", buffer: Buffer.from("tenant item two") },
    ]);
    const before = graphRequests().length;
    const stored = (await mockItems(PANE_MAILBOX)).length;
    assert.equal(await runImport(page), "Done: 2 imported, 0 failed, 0 outcome unknown.");
    // The client made its own session with the signed-in account's token, then both posts went through it.
    assert.deepEqual(
      graphRequests().slice(before).map((r) => [r.status, r.headers.authorization]),
      [[200, `Bearer ${idp.accessTokens.at(-1)}`]],
    );
    assert.equal((await mockItems(PANE_MAILBOX)).length - stored, 2);

    // A second run reuses the client and its session: no new createImportSession.
    await page.setInputFiles("#import-files", [{ name: "tenant-3.fts", mimeType: "application/octet-stream", buffer: Buffer.from("three") }]);
    assert.equal(await runImport(page), "Done: 1 imported, 0 failed, 0 outcome unknown.");
    assert.equal(graphRequests().length, before + 1);
  });

  test("the mailbox lookup, folder pickers and copy pane go through the same token provider", async () => {
    const lookUp = async (user) => {
      await page.getByLabel("User", { exact: true }).fill(user);
      await page.getByRole("button", { name: "Look up" }).click();
      await page.locator("#lookup-status", { hasText: `${user}: a primary mailbox` }).waitFor();
    };
    const pick = async (which, name) => {
      await page.locator(`#copy-${which}-browse`).click();
      const picker = page.locator(`#copy-${which}-picker`);
      await picker.locator(".folder-pick", { has: page.locator(".folder-name", { hasText: new RegExp(`^${name}$`) }) }).click();
    };
    // Not prefilled in a real tenant.
    assert.equal(await page.getByLabel("User", { exact: true }).inputValue(), "");
    const before = graphRequests().length;
    const stored = (await mockItems(DEMO_IDS.targetMailbox)).length;
    await lookUp(DEMO_IDS.sourceUser);
    await page.getByRole("button", { name: "Copy from the primary mailbox" }).click();
    await lookUp(DEMO_IDS.targetUser);
    await page.getByRole("button", { name: "Copy into the primary mailbox" }).click();
    await pick("source", "Drafts");
    await page.locator("#copy-status", { hasText: "5 items in Drafts. Choose the ones to copy." }).waitFor();
    await page.getByLabel("Select all items").check();
    await pick("target", "Restored");
    await page.locator("#copy-pane").getByRole("button", { name: "Copy items", exact: true }).click();
    await page.locator("#copy-status", { hasText: /^(Done|Stopped|Copy failed)/ }).waitFor();
    assert.equal(await page.locator("#copy-status").textContent(), "Done: 5 copied, 0 failed, 0 outcome unknown.");
    assert.equal((await mockItems(DEMO_IDS.targetMailbox)).length - stored, 5);

    // Every Graph call (lookup, folders, items, export, the target's import session) carried MSAL's token.
    const seen = graphRequests().slice(before);
    const routes = new Set(seen.map((r) => r.route));
    for (const route of ["exchangeSettings", "folders", "items", "exportItems", "createImportSession"]) assert.ok(routes.has(route), route);
    for (const r of seen) assert.equal(r.headers.authorization, `Bearer ${idp.accessTokens.at(-1)}`, `${r.method} ${r.path}`);
    const text = await page.evaluate(() => document.body.innerText + document.body.innerHTML);
    for (const token of idp.accessTokens) assert.ok(!text.includes(token), "no access token on the page");
  });

  test("the Jobs view asks MSAL for the Worker's API (the scope in the settings) and calls the Worker set there", async () => {
    // Before the jobs settings: the pane says where to set them, and calls nothing.
    await page.getByRole("button", { name: "Refresh the list" }).click();
    await page.locator("#jobs-status", { hasText: "Enter the jobs Worker's URL and API under Tenant and sign-in" }).waitFor();
    assert.equal(idp.apiTokens.length, 0);

    // A Worker URL that is neither https nor loopback is refused.
    await page.locator("#jobs-settings summary").click();
    await page.getByLabel("Jobs Worker URL").fill("http://relay.example.net");
    await page.getByLabel("Jobs API (application id URI)").fill(demo.tenant.state.config.apiAudience);
    await page.getByRole("button", { name: "Save" }).click();
    await page.locator("#jobs-worker-url-error", { hasText: "Enter the Worker's origin" }).waitFor();
    assert.equal(await page.evaluate(() => document.activeElement.id), "jobs-worker-url");

    await page.getByLabel("Jobs Worker URL").fill(demo.worker.url);
    await page.getByRole("button", { name: "Save" }).click();
    await page.locator("#settings-status", { hasText: "Saved." }).waitFor();
    await signedIn();
    assert.deepEqual(JSON.parse(await page.evaluate(() => localStorage.getItem("graph-mailbox-import-demo:settings"))), {
      clientId: CLIENT_ID,
      tenant: TENANT_ID,
      jobsWorkerUrl: demo.worker.url,
      jobsApi: demo.tenant.state.config.apiAudience,
    });

    await page.getByRole("button", { name: "Refresh the list" }).click();
    await page.locator("#jobs-status", { hasText: /^(No jobs yet\.|Could not)/ }).waitFor();
    assert.equal(await page.locator("#jobs-status").textContent(), "No jobs yet.");
    // MSAL redeemed the refresh token for the API's .default scope; the Worker took that token.
    const forApi = idp.requests.filter((r) => r.kind === "token:refresh_token" && r.form.scope?.includes(`${demo.tenant.state.config.apiAudience}/.default`));
    assert.equal(forApi.length, 1);
    assert.equal(idp.apiTokens.length, 1);
    const text = await page.evaluate(() => document.body.innerText + document.body.innerHTML);
    assert.ok(!text.includes(idp.apiTokens[0]), "no access token on the page");
  });

  test("a reload keeps the settings and the signed-in account (MSAL's session cache)", async () => {
    await page.reload();
    await page.locator("#status", { hasText: "Ready." }).waitFor();
    await signedIn();
    assert.equal(await page.getByLabel("Application (client) id").inputValue(), CLIENT_ID);
    assert.equal(await page.getByLabel("Tenant", { exact: true }).inputValue(), TENANT_ID);
  });

  test("without the test hook, Graph calls go to https://graph.microsoft.com (answered inside the browser)", async () => {
    const seen = [];
    const fakeGraph = (route) => {
      const request = route.request();
      seen.push({ method: request.method(), url: request.url(), authorization: request.headers().authorization });
      return route.fulfill({
        status: 200,
        headers: {
          "content-type": "application/json; odata.metadata=minimal",
          "access-control-allow-origin": new URL(demo.url).origin,
          "request-id": "00000000-0000-4000-8000-000000000001",
        },
        body: JSON.stringify({
          importUrl: "https://outlook.office365.com/api/gv1.0/Mailboxes('MBX%3Ae0643f21%40a7809c93')/importItem?authtoken=fake",
          expirationDateTime: new Date(Date.now() + 3600_000).toISOString().replace("Z", "0000Z"),
        }),
      });
    };
    await context.route("https://graph.microsoft.com/**", fakeGraph);
    const override = await page.evaluate(() => {
      const value = localStorage.getItem("graph-mailbox-import-demo:graph-override");
      localStorage.removeItem("graph-mailbox-import-demo:graph-override");
      return value;
    });
    try {
      await page.reload();
      await signedIn();
      assert.match(await page.locator("#mode-banner").innerText(), /Graph calls go to https:\/\/graph\.microsoft\.com\.$/m);
      const before = graphRequests().length;
      await create(page);
      assert.match(await page.locator("#status").textContent(), /^Import session created/);
      assert.equal(graphRequests().length, before, "the mock tenant was not called");
      const posts = seen.filter((r) => r.method === "POST");
      assert.deepEqual(posts, [
        {
          method: "POST",
          url: "https://graph.microsoft.com/v1.0/admin/exchange/mailboxes/MBX%3Ae0643f21%40a7809c93/createImportSession",
          authorization: `Bearer ${idp.accessTokens.at(-1)}`,
        },
      ]);
    } finally {
      await context.unroute("https://graph.microsoft.com/**", fakeGraph);
      await page.evaluate((value) => localStorage.setItem("graph-mailbox-import-demo:graph-override", value), override);
    }
  });

  test("Sign out forgets the account; creating a session then asks to sign in", async () => {
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.locator("#account-state", { hasText: /^Not signed in/ }).waitFor();
    assert.equal(await page.evaluate(() => document.activeElement.id), "sign-in-button");
    await page.click("#create-button");
    await page.locator("#status", { hasText: "Sign in with Microsoft first." }).waitFor();
    // The import pane too, and it sends nothing.
    const posts = importPosts().length;
    await page.getByLabel("Folder id").fill("AAMkInbox");
    await page.setInputFiles("#import-files", [{ name: "after.fts", mimeType: "application/octet-stream", buffer: Buffer.from("after") }]);
    await page.getByRole("button", { name: "Import", exact: true }).click();
    await page.locator("#import-status", { hasText: "Sign in with Microsoft first." }).waitFor();
    assert.equal(await page.evaluate(() => document.activeElement.id), "sign-in-button");
    assert.equal(importPosts().length, posts);
  });

  test("when the browser blocks the popup, sign-in falls back to a redirect and comes back signed in", async () => {
    // A page whose window.open fails, as under a popup blocker. Same context: same settings, same fake IdP.
    const blocked = await context.newPage();
    await blocked.addInitScript(() => {
      window.open = () => null;
    });
    await blocked.goto(demo.url);
    await blocked.locator("#account-state", { hasText: /^Not signed in/ }).waitFor();
    const authorizeBefore = idp.requests.filter((r) => r.kind === "authorize").length;
    await blocked.getByRole("button", { name: "Sign in with Microsoft" }).click();
    await blocked.locator("#account-state", { hasText: /^Signed in as / }).waitFor();
    assert.equal(idp.requests.filter((r) => r.kind === "authorize").length, authorizeBefore + 1);
    // Back on the page itself, the answer gone from the URL.
    assert.equal(blocked.url(), demo.url);
    const before = graphRequests().length;
    await create(blocked);
    assert.equal(graphRequests()[before].headers.authorization, `Bearer ${idp.accessTokens.at(-1)}`);
    await blocked.close();
  });

  test("Use offline demo tenant goes back to the mock tenant", async () => {
    await page.getByRole("button", { name: "Use offline demo tenant" }).click();
    await page.locator("#simulate").waitFor({ state: "visible" });
    assert.equal(await page.locator("#account-panel").isVisible(), false);
    assert.equal(await page.evaluate(() => localStorage.getItem("graph-mailbox-import-demo:settings")), null);
    assert.equal(await page.getByLabel("Folder id").inputValue(), "AAMkInbox");
    assert.equal(await page.getByRole("button", { name: "Use 25 sample items" }).isVisible(), true);
    const before = graphRequests().length;
    await create(page);
    assert.equal(graphRequests()[before].headers.authorization, "Bearer demo-token");
  });

  test("nothing left loopback except to the fake login endpoints, and no console errors", () => {
    assert.deepEqual(idp.unexpected, []);
    assert.deepEqual(outside, []);
    const kinds = new Set(idp.requests.map((r) => r.kind));
    const allowed = ["authorize", "token:authorization_code", "token:refresh_token", "openidConfiguration", "instanceDiscovery"];
    for (const kind of kinds) assert.ok(allowed.includes(kind), kind);
    assert.deepEqual(consoleErrors, []);
  });
});
