// Microsoft Entra ID as the issuer of access tokens for a Worker's own API: the signing keys the login server
// publishes (JWKS), its OpenID configuration, and test tokens signed with those keys (RS256, node:crypto only).
//
// The tokens say what production tokens say: `iss` is https://login.microsoftonline.com/{tenant id}/v2.0, so a
// validator is configured with the same issuer as in production; only where it fetches keys from differs:
// `jwks_uri` (and every endpoint of the OpenID configuration) is on the mock's loopback loginUrl. Point the
// validator's JWKS URL (or its OpenID configuration URL) at tenant.loginUrl and keep the issuer.

import { generateKeyPairSync, randomBytes, sign } from "node:crypto";
import { isPlainObject } from "./util.mjs";

/** The issuer Entra writes into v2.0 access tokens of `tenantId`. */
export function issuerFor(tenantId) {
  return `https://login.microsoftonline.com/${tenantId}/v2.0`;
}

/** A new RS256 signing key: { kid, privateKey, jwk } (jwk: the public key as the JWKS lists it). */
function newSigningKey() {
  // 2048 bits, as Entra's keys. Generating one takes tens of milliseconds, so keys are made when first needed.
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const kid = randomBytes(20).toString("base64url"); // the length of Entra's kids (x5t thumbprints)
  const { n, e } = publicKey.export({ format: "jwk" });
  return { kid, privateKey, jwk: { kty: "RSA", use: "sig", kid, x5t: kid, n, e, alg: "RS256" } };
}

/**
 * The login server's signing keys, newest first (made on first use; kept across reset, as Entra keeps its
 * keys whatever happens to Graph): state.signingKeys = [{ kid, privateKey, jwk }].
 */
export function signingKeys(state) {
  if (state.signingKeys.length === 0) state.signingKeys.push(newSigningKey());
  return state.signingKeys;
}

/**
 * Rolls the signing key over: a new key (new kid) signs from now on. With keepPrevious (the default) the JWKS
 * lists the new key and the previous ones, as Entra does while tokens signed with the old key live; without
 * it, only the new key. Returns the new kid.
 */
export function rotateSigningKey(state, { keepPrevious = true } = {}) {
  const keys = signingKeys(state);
  const key = newSigningKey();
  if (!keepPrevious) keys.length = 0;
  keys.unshift(key);
  return key.kid;
}

/** The JWKS document: { keys: [...] } with `issuer` on each key as Entra writes it. */
export function jwksDocument(state, tenantId) {
  return { keys: signingKeys(state).map((k) => ({ ...k.jwk, issuer: issuerFor(tenantId) })) };
}

/** The OpenID configuration of `tenantId`, its endpoints on the mock's login server (`loginUrl`). */
export function openidConfiguration(loginUrl, tenantId) {
  const at = `${loginUrl}/${tenantId}`;
  return {
    token_endpoint: `${at}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt", "client_secret_basic"],
    jwks_uri: `${at}/discovery/v2.0/keys`,
    response_modes_supported: ["query", "fragment", "form_post"],
    subject_types_supported: ["pairwise"],
    id_token_signing_alg_values_supported: ["RS256"],
    response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
    scopes_supported: ["openid", "profile", "email", "offline_access"],
    issuer: issuerFor(tenantId),
    request_uri_parameter_supported: false,
    userinfo_endpoint: "https://graph.microsoft.com/oidc/userinfo",
    authorization_endpoint: `${at}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${at}/oauth2/v2.0/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${at}/oauth2/v2.0/logout`,
    claims_supported: [
      "sub", "iss", "cloud_instance_name", "cloud_instance_host_name", "cloud_graph_host_name", "msgraph_host", "aud",
      "exp", "iat", "auth_time", "acr", "nonce", "preferred_username", "name", "tid", "ver", "at_hash", "c_hash", "email",
    ],
    tenant_region_scope: "EU",
    cloud_instance_name: "microsoftonline.com",
    cloud_graph_host_name: "graph.windows.net",
    msgraph_host: "graph.microsoft.com",
    rbac_url: "https://pas.windows.net",
  };
}

const MINT_KEYS = ["claims", "header", "expiresInS", "notBeforeInS", "signWith", "alg", "headerPaddingBytes"];

/**
 * A signed access token for a Worker's own API, as Entra issues to a signed-in portal user (ver 2.0, RS256,
 * header { typ, alg, kid }). Defaults: iss of the tenant (entraTenantId), aud apiAudience, roles
 * ["MailboxMigration.Admin"], scp "access_as_user", valid from now for an hour. `options` make each bad case:
 *   claims: { name: value } merged over the defaults; undefined or null removes the claim (e.g. roles);
 *   header: merged over the header (null removes);  expiresInS: exp - now (negative: expired);
 *   notBeforeInS: nbf - now (positive: not yet valid);  signWith: "current" | "foreign" (a key the JWKS does
 *   not list, under the current kid);  alg: "RS256" | "none" (unsigned, empty signature);
 *   headerPaddingBytes: n characters of padding in the header (a huge header).
 */
export function mintAccessToken(state, options = {}) {
  if (!isPlainObject(options)) throw new TypeError("token options must be an object");
  for (const k of Object.keys(options)) {
    if (!MINT_KEYS.includes(k)) throw new TypeError(`unknown token option ${JSON.stringify(k)}`);
  }
  const { claims = {}, header = {}, expiresInS = 3600, notBeforeInS = 0, signWith = "current", alg = "RS256" } = options;
  if (!isPlainObject(claims) || !isPlainObject(header)) throw new TypeError("claims and header must be objects");
  for (const [k, v] of [["expiresInS", expiresInS], ["notBeforeInS", notBeforeInS]]) {
    if (!Number.isFinite(v)) throw new TypeError(`${k} must be a number of seconds`);
  }
  if (signWith !== "current" && signWith !== "foreign") throw new TypeError('signWith must be "current" or "foreign"');
  if (alg !== "RS256" && alg !== "none") throw new TypeError('alg must be "RS256" or "none"');
  const padding = options.headerPaddingBytes ?? 0;
  if (!Number.isInteger(padding) || padding < 0) throw new TypeError("headerPaddingBytes must be a whole number >= 0");

  const key = signingKeys(state)[0];
  const tenantId = state.config.entraTenantId;
  const now = Math.floor(Date.now() / 1000);
  const merged = (base, over) => {
    const out = { ...base, ...over };
    for (const [k, v] of Object.entries(out)) if (v === undefined || v === null) delete out[k];
    return out;
  };
  const payload = merged(
    {
      aud: state.config.apiAudience,
      iss: issuerFor(tenantId),
      iat: now,
      nbf: now + notBeforeInS,
      exp: now + expiresInS,
      aio: randomBytes(24).toString("base64url"),
      azp: "5e2ab9f1-7c3d-4b8a-9f10-2c4d6e8a0b12", // the portal's client id
      azpacr: "0",
      name: "Adele Vance",
      oid: "ade1e000-0000-4000-8000-0000000000aa",
      preferred_username: "adele@contoso.com",
      rh: `0.${randomBytes(16).toString("base64url")}.`,
      roles: ["MailboxMigration.Admin"],
      scp: "access_as_user",
      sub: "q3cG0mZb2xW8v4nLk7pR1sT5uY9eA6dH0jF2gC4iB8o",
      tid: tenantId,
      uti: randomBytes(16).toString("base64url"),
      ver: "2.0",
    },
    claims,
  );
  const head = merged({ typ: "JWT", alg, kid: key.kid }, header);
  if (padding > 0) head.pad = "x".repeat(padding);
  const part = (obj) => Buffer.from(JSON.stringify(obj), "utf8").toString("base64url");
  const input = `${part(head)}.${part(payload)}`;
  if (alg === "none") return `${input}.`;
  const privateKey = signWith === "foreign" ? newSigningKey().privateKey : key.privateKey;
  return `${input}.${sign("RSA-SHA256", Buffer.from(input), privateKey).toString("base64url")}`;
}

/** A tenant segment of the login server's paths as the tenant id the documents name (Entra's rules). */
export function tenantIdOf(state, segment) {
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(segment)) return segment.toLowerCase();
  // The multi-tenant endpoints name no tenant: Entra writes the template "{tenantid}" there.
  if (["common", "organizations", "consumers"].includes(segment.toLowerCase())) return "{tenantid}";
  return state.config.entraTenantId; // a domain name of the tenant
}
