// The one call with plain fetch: no retries, no timeout, an Error with the status on failure.
export async function createSession(mailboxId, { token, baseUrl = "https://graph.microsoft.com" }) {
  const url = `${baseUrl}/v1.0/admin/exchange/mailboxes/${encodeURIComponent(mailboxId)}/createImportSession`;
  const response = await fetch(url, { method: "POST", headers: { Authorization: `Bearer ${token}` } });
  if (!response.ok) throw new Error(`createImportSession failed: ${response.status}`);
  const { importUrl, expirationDateTime } = await response.json();
  return { importUrl, expirationDateTime };
}

export function coldStart() {
  return typeof createSession === "function";
}

/** For the benchmarks: the same call against the mock tenant. */
export function mockClient({ token, graphUrl }) {
  return (mailboxId) => createSession(mailboxId, { token, baseUrl: graphUrl });
}
