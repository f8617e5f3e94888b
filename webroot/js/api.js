// The room API over HTTP, as this page uses it: no credentials, no referrer, no cache, and the client's own words
// for every error code (the server's text is never shown: it could say anything, e.g. "re-enter your link").

export async function api(method, path, body) {
  // No credentials and no referrer: the request carries nothing but what the protocol needs.
  const res = await fetch(path, {
    method,
    headers: body ? { 'Content-Type': 'application/json' } : undefined,
    body: body ? JSON.stringify(body) : undefined,
    credentials: 'omit',
    cache: 'no-store',
    referrerPolicy: 'no-referrer',
  });
  let json = null;
  try {
    json = await res.json();
  } catch (e) {
    json = null;
  }
  return { status: res.status, json };
}

/** The client's own words for an HTTP error code; the server's text is never shown. */
export function apiErrorText(r, fallback) {
  const code = r.json && r.json.error && r.json.error.code;
  return {
    rate_limited: 'Too many rooms from this address right now. Try again in a minute.',
    ttl_out_of_range: 'That lifetime is not allowed on this server.',
    node_full: 'This server is full right now. Try again later.',
    node_shutting_down: 'This server is restarting. Try again in a moment.',
  }[code] || `${fallback} (HTTP ${r.status})`;
}
