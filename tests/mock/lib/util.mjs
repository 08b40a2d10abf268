// Small helpers every part of the mock tenant uses: dates as Graph writes them, random tokens, bodies, base64,
// a seeded PRNG, data hashes, and timers that close() can cancel.

import { createHash, randomBytes } from "node:crypto";

/** ISO date without fractional seconds, as Graph puts in innerError.date. */
export function isoSeconds(ms = Date.now()) {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** ISO date with 7 fractional digits, as in expirationDateTime ("2024-10-17T19:00:48.1052906Z"). */
export function isoTicks(ms) {
  const extra = String(Math.floor(Math.random() * 10000)).padStart(4, "0");
  return new Date(ms).toISOString().replace(/Z$/, `${extra}Z`);
}

/** Random url-safe token; 32 bytes give 43 characters. */
export function randomToken(bytes = 32) {
  return randomBytes(bytes).toString("base64url");
}

/** Host part of a URL for a bound address. */
export function urlHost(host) {
  if (host === "0.0.0.0") return "127.0.0.1";
  if (host === "::") return "[::1]";
  return host.includes(":") ? `[${host}]` : host;
}

export function isPlainObject(v) {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

export function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
    req.on("aborted", () => reject(new Error("request aborted")));
  });
}

/** Standard-alphabet base64 (graph-api.md §3: "base64 (standard alphabet)"). */
export function isBase64(s) {
  return s.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(s);
}

/** Small seeded PRNG (mulberry32): the same seed gives the same sequence of draws in [0, 1). */
export function seededRandom(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function isRetryAfter(v) {
  return (typeof v === "number" && Number.isFinite(v) && v >= 0) || (typeof v === "string" && v !== "");
}

/** sha256 (hex) of an item's decoded Data bytes: equal bytes give equal hashes whatever the base64 spelling. */
export function hashData(bytes) {
  return createHash("sha256").update(bytes).digest("hex");
}

/**
 * Expires at once every entry of `records` (a Map of objects with expiresAt) whose `field` is `value`, every
 * entry when `value` is undefined or null; an entry already expired keeps its time. Returns how many matched.
 */
export function expireNow(records, field, value) {
  const now = Date.now();
  let n = 0;
  for (const entry of records.values()) {
    if (value !== undefined && value !== null && entry[field] !== value) continue;
    if (entry.expiresAt > now) entry.expiresAt = now;
    n += 1;
  }
  return n;
}

export function nonEmptyString(v) {
  return typeof v === "string" && v !== "";
}

export function sleep(ctx, ms) {
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      ctx.timers.delete(t);
      resolve();
    }, ms);
    ctx.timers.add(t);
  });
}
