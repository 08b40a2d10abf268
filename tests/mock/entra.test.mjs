// Tests of the login server as Entra ID for a Worker's own API: the OpenID configuration, the JWKS, access
// tokens signed with its key (each bad case a validator must refuse) and key rotation. Signatures are checked
// here with node:crypto against the keys the JWKS serves, as a validator would. node --test tests/mock/
import { test, before, after, beforeEach } from "node:test";
import assert from "node:assert/strict";
import { createPublicKey, verify } from "node:crypto";
import { mintAccessToken, startMockTenant } from "./server.mjs";
import { controlRequest, withServerProcess } from "./support.mjs";

const TENANT_ID = "c0c0c0c0-0000-4000-8000-00000000c0de";
const ISSUER = `https://login.microsoftonline.com/${TENANT_ID}/v2.0`;

let tenant;

before(async () => {
  tenant = await startMockTenant();
});
after(async () => {
  await tenant.close();
});
beforeEach(() => {
  tenant.state.reset();
});

/** The three parts of a JWT: header and payload parsed, signing input and signature bytes. */
function decode(token) {
  const [h, p, s] = token.split(".");
  return {
    header: JSON.parse(Buffer.from(h, "base64url").toString("utf8")),
    payload: JSON.parse(Buffer.from(p, "base64url").toString("utf8")),
    input: `${h}.${p}`,
    signature: Buffer.from(s, "base64url"),
  };
}

async function jwks() {
  const r = await fetch(tenant.jwksUri);
  assert.equal(r.status, 200);
  return (await r.json()).keys;
}

/** Whether `token` verifies (RS256) against the served key with its kid. */
async function verifiesAgainstJwks(token) {
  const { header, input, signature } = decode(token);
  const jwk = (await jwks()).find((k) => k.kid === header.kid);
  if (!jwk || header.alg !== "RS256") return false;
  const { kty, n, e } = jwk;
  return verify("RSA-SHA256", Buffer.from(input), createPublicKey({ key: { kty, n, e }, format: "jwk" }), signature);
}

test("OpenID configuration: the production issuer, with jwks_uri and endpoints on the mock's loopback login server", async () => {
  const r = await fetch(tenant.openidConfigurationUrl);
  assert.equal(r.status, 200);
  assert.match(r.headers.get("content-type"), /^application\/json/);
  assert.equal(r.headers.get("access-control-allow-origin"), "*");
  const config = await r.json();
  assert.equal(config.issuer, ISSUER);
  assert.equal(tenant.issuer, ISSUER);
  assert.equal(config.jwks_uri, `${tenant.loginUrl}/${TENANT_ID}/discovery/v2.0/keys`);
  assert.equal(config.jwks_uri, tenant.jwksUri);
  assert.equal(config.token_endpoint, `${tenant.loginUrl}/${TENANT_ID}/oauth2/v2.0/token`);
  assert.deepEqual(config.id_token_signing_alg_values_supported, ["RS256"]);
  // A tenant named by another GUID, by domain, or the multi-tenant endpoint, as Entra names them.
  const other = "11111111-2222-4333-8444-555555555555";
  assert.equal((await (await fetch(`${tenant.loginUrl}/${other}/v2.0/.well-known/openid-configuration`)).json()).issuer, `https://login.microsoftonline.com/${other}/v2.0`);
  assert.equal((await (await fetch(`${tenant.loginUrl}/contoso.onmicrosoft.com/v2.0/.well-known/openid-configuration`)).json()).issuer, ISSUER);
  assert.equal((await (await fetch(`${tenant.loginUrl}/common/v2.0/.well-known/openid-configuration`)).json()).issuer, "https://login.microsoftonline.com/{tenantid}/v2.0");
  const missing = await fetch(`${tenant.loginUrl}/missing-tenant/v2.0/.well-known/openid-configuration`);
  assert.equal(missing.status, 400);
  const err = await missing.json();
  assert.equal(err.error, "invalid_tenant");
  assert.deepEqual(err.error_codes, [90002]);
  assert.deepEqual(tenant.state.stats.discovery, { openidConfiguration: 5, jwks: 0 });
  assert.deepEqual(tenant.state.stats.login.requests, 0, "discovery is not the token endpoint");
});

test("JWKS: one RSA signing key with kid, use sig, alg RS256; a minted token verifies against it with node:crypto", async () => {
  const keys = await jwks();
  assert.equal(keys.length, 1);
  const [key] = keys;
  assert.equal(key.kty, "RSA");
  assert.equal(key.use, "sig");
  assert.equal(key.alg, "RS256");
  assert.match(key.kid, /^[A-Za-z0-9_-]{27}$/);
  assert.equal(key.e, "AQAB");
  assert.equal(Buffer.from(key.n, "base64url").length, 256, "2048-bit modulus");
  assert.equal(key.issuer, ISSUER);
  assert.equal("d" in key || "p" in key, false, "no private part");

  const token = mintAccessToken(tenant);
  const { header, payload } = decode(token);
  assert.deepEqual(header, { typ: "JWT", alg: "RS256", kid: key.kid });
  const now = Math.floor(Date.now() / 1000);
  assert.equal(payload.iss, ISSUER);
  assert.equal(payload.aud, "api://mailbox-migration");
  assert.equal(payload.tid, TENANT_ID);
  assert.equal(payload.ver, "2.0");
  assert.deepEqual(payload.roles, ["MailboxMigration.Admin"]);
  assert.equal(payload.scp, "access_as_user");
  for (const claim of ["sub", "oid"]) assert.equal(typeof payload[claim], "string");
  assert.ok(Math.abs(payload.iat - now) <= 2 && payload.nbf === payload.iat && payload.exp === payload.iat + 3600);
  assert.equal(await verifiesAgainstJwks(token), true);
  // Tampering with one byte of the payload breaks the signature.
  const [h, p, s] = token.split(".");
  const forged = `${h}.${Buffer.from(JSON.stringify({ ...payload, roles: ["Everything"] })).toString("base64url")}.${s}`;
  assert.equal(await verifiesAgainstJwks(forged), false);
  // The same through tenant.mintAccessToken, state.mintAccessToken and the control API.
  assert.equal(await verifiesAgainstJwks(tenant.mintAccessToken({ claims: { aud: "api://other" } })), true);
  const r = await controlRequest(tenant.graphUrl, "POST", "/_mock/access-tokens", { claims: { roles: null }, expiresInS: 60 });
  assert.equal(r.status, 200);
  const viaHttp = (await r.json()).accessToken;
  assert.equal("roles" in decode(viaHttp).payload, false);
  assert.equal(await verifiesAgainstJwks(viaHttp), true);
  assert.equal((await controlRequest(tenant.graphUrl, "POST", "/_mock/access-tokens", { signWith: "nobody" })).status, 400);
});

test("bad tokens: each case a validator must refuse is made by one option", async () => {
  const now = Math.floor(Date.now() / 1000);
  const foreign = tenant.mintAccessToken({ signWith: "foreign" });
  assert.equal(decode(foreign).header.kid, (await jwks())[0].kid, "the served kid, another key");
  assert.equal(await verifiesAgainstJwks(foreign), false);

  const expired = decode(tenant.mintAccessToken({ expiresInS: -300 })).payload;
  assert.ok(expired.exp < now);
  const early = decode(tenant.mintAccessToken({ notBeforeInS: 3600 })).payload;
  assert.ok(early.nbf > now + 3500);
  assert.equal(decode(tenant.mintAccessToken({ claims: { iss: "https://sts.windows.net/x/" } })).payload.iss, "https://sts.windows.net/x/");
  assert.equal(decode(tenant.mintAccessToken({ claims: { aud: "api://someone-else" } })).payload.aud, "api://someone-else");
  const noRole = decode(tenant.mintAccessToken({ claims: { roles: undefined } })).payload;
  assert.equal("roles" in noRole, false);
  const otherRole = decode(tenant.mintAccessToken({ claims: { roles: ["Reader"] } })).payload;
  assert.deepEqual(otherRole.roles, ["Reader"]);
  // Each of those still carries a good signature, so only the claim is wrong.
  assert.equal(await verifiesAgainstJwks(tenant.mintAccessToken({ expiresInS: -300 })), true);

  const none = tenant.mintAccessToken({ alg: "none" });
  assert.equal(decode(none).header.alg, "none");
  assert.ok(none.endsWith("."), "no signature");
  assert.equal(await verifiesAgainstJwks(none), false);
  const huge = tenant.mintAccessToken({ headerPaddingBytes: 64 * 1024 });
  assert.ok(huge.split(".")[0].length > 80_000);
  assert.equal(decode(tenant.mintAccessToken({ header: { kid: "unknown-kid" } })).header.kid, "unknown-kid");
  assert.throws(() => tenant.mintAccessToken({ lifetime: 5 }), TypeError);
  assert.throws(() => tenant.mintAccessToken({ alg: "HS256" }), TypeError);
});

test("rotation: a new kid signs from then on; the JWKS lists both until the previous key is dropped; keys survive reset", async () => {
  const before = tenant.mintAccessToken();
  const kid1 = decode(before).header.kid;
  const r = await controlRequest(tenant.graphUrl, "POST", "/_mock/rotate-signing-key", {});
  const { kid: kid2, kids } = await r.json();
  assert.notEqual(kid2, kid1);
  assert.deepEqual(kids, [kid2, kid1]);
  assert.deepEqual((await jwks()).map((k) => k.kid), [kid2, kid1]);
  const after = tenant.mintAccessToken();
  assert.equal(decode(after).header.kid, kid2);
  assert.equal(await verifiesAgainstJwks(after), true);
  assert.equal(await verifiesAgainstJwks(before), true, "tokens of the previous key still verify");
  // Verified with the wrong key of the two, it fails: the kids really name different keys.
  const { input, signature } = decode(after);
  const old = (await jwks()).find((k) => k.kid === kid1);
  assert.equal(verify("RSA-SHA256", Buffer.from(input), createPublicKey({ key: { kty: "RSA", n: old.n, e: old.e }, format: "jwk" }), signature), false);

  tenant.state.reset();
  assert.deepEqual((await jwks()).map((k) => k.kid), [kid2, kid1]);
  const kid3 = tenant.state.rotateSigningKey({ keepPrevious: false });
  assert.deepEqual((await jwks()).map((k) => k.kid), [kid3]);
  assert.equal(await verifiesAgainstJwks(before), false, "the dropped key's tokens no longer find their key");
  assert.equal(tenant.state.stats.discovery.jwks, 3, "counted since the reset");
});

test("discovery faults: named by route, a JWKS fetch can fail; an unnamed login fault still takes the token endpoint only", async () => {
  tenant.state.addFaults([{ target: "login", route: "jwks", kind: "status", status: 503 }, { target: "login", kind: "status", status: 500 }]);
  const failed = await fetch(tenant.jwksUri);
  assert.equal(failed.status, 503);
  assert.equal((await failed.json()).error, "temporarily_unavailable");
  // The unnamed fault waits for the token endpoint.
  assert.equal((await fetch(tenant.openidConfigurationUrl)).status, 200);
  assert.equal((await fetch(tenant.jwksUri)).status, 200);
  assert.equal(tenant.state.faults.length, 1);
  const token = await fetch(`${tenant.loginUrl}/${TENANT_ID}/oauth2/v2.0/token`, { method: "POST" });
  assert.equal(token.status, 500);
  assert.equal(tenant.state.faults.length, 0);
});

test("command line: the discovery documents are served by a mock in its own process", async () => {
  await withServerProcess([], async (info) => {
    const config = await (await fetch(`${info.loginUrl}/${TENANT_ID}/v2.0/.well-known/openid-configuration`)).json();
    assert.equal(config.issuer, ISSUER);
    const r = await fetch(`${info.graphUrl}/_mock/access-tokens`, { method: "POST" });
    const { accessToken } = await r.json();
    const { header, input, signature } = decode(accessToken);
    const jwk = (await (await fetch(config.jwks_uri)).json()).keys.find((k) => k.kid === header.kid);
    assert.equal(verify("RSA-SHA256", Buffer.from(input), createPublicKey({ key: { kty: "RSA", n: jwk.n, e: jwk.e }, format: "jwk" }), signature), true);
  });
});
