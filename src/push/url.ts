/** The cache URL as the push hands it to `nix copy`: our store parameters added, the user's own kept. */

/** Adds `params` to the URL's query; a parameter the URL already names keeps the URL's value. */
export function withStoreParams(url: string, params: Readonly<Record<string, string | undefined>>): string {
  const at = url.indexOf('?');
  const base = at === -1 ? url : url.slice(0, at);
  const query =
    at === -1
      ? []
      : url
          .slice(at + 1)
          .split('&')
          .filter((p) => p !== '');
  const named = new Set(query.map((p) => p.split('=')[0]));
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || named.has(key)) continue;
    query.push(`${key}=${value}`);
  }
  return query.length === 0 ? base : `${base}?${query.join('&')}`;
}

/** The URL without its query, for logs and the summary (a `secret-key=` path is not a secret, but noise). */
export function displayUrl(url: string): string {
  const at = url.indexOf('?');
  return at === -1 ? url : url.slice(0, at);
}
