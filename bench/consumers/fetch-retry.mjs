// The one call with fetch and the retry loop a careful hand-written client has: 429/503/504 and network
// failures retried up to 3 times, Retry-After honoured when visible, else exponential backoff with jitter,
// a per-attempt timeout through AbortController.
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export async function createSession(mailboxId, { token, baseUrl = "https://graph.microsoft.com", maxRetries = 3, timeoutMs = 30000 }) {
  const url = `${baseUrl}/v1.0/admin/exchange/mailboxes/${encodeURIComponent(mailboxId)}/createImportSession`;
  for (let attempt = 0; ; attempt += 1) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    let response;
    try {
      response = await fetch(url, {
        method: "POST",
        headers: { Authorization: `Bearer ${token}`, "client-request-id": crypto.randomUUID() },
        signal: controller.signal,
      });
      if (response.ok) {
        const { importUrl, expirationDateTime } = await response.json();
        return { importUrl, expirationDateTime };
      }
    } catch (error) {
      if (attempt >= maxRetries) throw error;
    } finally {
      clearTimeout(timer);
    }
    if (response && (![429, 503, 504].includes(response.status) || attempt >= maxRetries)) {
      throw new Error(`createImportSession failed: ${response.status}`);
    }
    const retryAfter = Number(response?.headers.get("retry-after"));
    await sleep(retryAfter > 0 ? retryAfter * 1000 : 1000 * 2 ** attempt * (0.5 + Math.random() / 2));
  }
}

export function coldStart() {
  return typeof createSession === "function";
}

/** For the benchmarks: the same call against the mock tenant. */
export function mockClient({ token, graphUrl }) {
  return (mailboxId) => createSession(mailboxId, { token, baseUrl: graphUrl });
}
