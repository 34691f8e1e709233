/**
 * The small HTTP layer of the upstream check and the verification: a fetch-shaped seam, a default
 * client on node:http(s) with keep-alive agents (global fetch closes the connection after every HEAD,
 * so a check of thousands of paths would open thousands of connections), netrc credentials as Nix
 * sends them, narinfo URLs, short reasons for network failures, and a concurrency-limited loop.
 */
import http from 'node:http';
import https from 'node:https';
import { parseNetrc } from '../config/netrc.js';
import { ActionError, errorMessage } from '../util/errors.js';

/** The part of `fetch` used here (global `fetch` fits it too). */
export interface FetchInit {
  readonly method: 'HEAD' | 'GET';
  readonly headers: Record<string, string>;
  readonly redirect: 'follow' | 'manual';
  readonly signal: AbortSignal;
}
export interface FetchAnswer {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  text(): Promise<string>;
}
export type FetchLike = (url: string, init: FetchInit) => Promise<FetchAnswer>;

export interface HttpClient {
  readonly fetch: FetchLike;
  /** Closes the kept-alive connections. */
  close(): void;
}

/** Answers bigger than this are refused (a narinfo is a few hundred bytes). */
const MAX_BODY = 1 << 20;
const MAX_REDIRECTS = 5;

/** A client whose connections stay open between requests until close(). */
export function createHttpClient(): HttpClient {
  const agents = {
    'http:': new http.Agent({ keepAlive: true }),
    'https:': new https.Agent({ keepAlive: true }),
  };

  const once = (url: URL, init: FetchInit, headers: Record<string, string>): Promise<FetchAnswer> =>
    new Promise((resolve, reject) => {
      if (url.protocol !== 'http:' && url.protocol !== 'https:') {
        reject(new Error(`${url.protocol}// is not HTTP`));
        return;
      }
      if (init.signal.aborted) {
        reject(new Error('aborted'));
        return;
      }
      const request = url.protocol === 'https:' ? https.request : http.request;
      const req = request(url, { method: init.method, headers, agent: agents[url.protocol] }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_BODY) req.destroy(new Error(`an answer larger than ${MAX_BODY} bytes`));
          else chunks.push(chunk);
        });
        res.on('end', () => {
          done();
          const body = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: res.statusCode ?? 0,
            headers: {
              get(name) {
                const value = res.headers[name.toLowerCase()];
                return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
              },
            },
            text: () => Promise.resolve(body),
          });
        });
        res.on('error', fail);
      });
      const onAbort = (): void => {
        req.destroy(new Error('aborted'));
      };
      const done = (): void => {
        init.signal.removeEventListener('abort', onAbort);
      };
      function fail(error: Error): void {
        done();
        reject(error);
      }
      init.signal.addEventListener('abort', onAbort, { once: true });
      req.on('error', fail);
      req.end();
    });

  const fetchLike: FetchLike = async (url, init) => {
    const first = new URL(url);
    let current = first;
    for (let hop = 0; ; hop++) {
      // Like fetch: credentials never follow a redirect to another origin.
      const headers =
        current.origin === first.origin
          ? init.headers
          : Object.fromEntries(
              Object.entries(init.headers).filter(([k]) => k.toLowerCase() !== 'authorization'),
            );
      const res = await once(current, init, headers);
      const location = res.headers.get('location');
      if (init.redirect === 'manual' || res.status < 300 || res.status >= 400 || location === null)
        return res;
      if (hop >= MAX_REDIRECTS) throw new Error(`more than ${MAX_REDIRECTS} redirects`);
      current = new URL(location, current);
    }
  };

  return {
    fetch: fetchLike,
    close() {
      agents['http:'].destroy();
      agents['https:'].destroy();
    },
  };
}

/** `Basic …` for `host` from netrc text (curl's choice: the first entry for the host, else default). */
export function netrcAuthorization(netrc: string, host: string): string | undefined {
  let entries;
  try {
    entries = parseNetrc(netrc);
  } catch (error: unknown) {
    throw new ActionError(`The netrc file for the cache cannot be read: ${errorMessage(error)}`);
  }
  const wanted = host.toLowerCase();
  const entry =
    entries.find((e) => e.machine?.toLowerCase() === wanted) ?? entries.find((e) => e.machine === undefined);
  if (entry === undefined || (entry.login === undefined && entry.password === undefined)) return undefined;
  return `Basic ${Buffer.from(`${entry.login ?? ''}:${entry.password ?? ''}`).toString('base64')}`;
}

/** The 32-character hash of a store path, or undefined when it is not one. */
export function storeHash(path: string): string | undefined {
  const base = path.slice(path.lastIndexOf('/') + 1);
  return /^([0-9a-df-np-sv-z]{32})-/.exec(base)?.[1];
}

/** `<cache>/<hash>.narinfo`, the cache URL's query (Nix store parameters) and fragment dropped. */
export function narinfoUrl(cacheUrl: string, hash: string): string {
  const base = cacheUrl.replace(/[?#].*$/s, '').replace(/\/+$/, '');
  return `${base}/${hash}.narinfo`;
}

const NETWORK_CODES: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host name not found (DNS)',
  EAI_AGAIN: 'host name lookup failed (DNS)',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection reset',
  UND_ERR_SOCKET: 'connection closed by the server',
  ENETUNREACH: 'network unreachable',
  EHOSTUNREACH: 'host unreachable',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
};

/** A short reason for a failed request (fetch hides the network error in `cause`). */
export function describeFailure(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES[code] !== undefined) return NETWORK_CODES[code];
    const errors = (current as { errors?: unknown }).errors;
    const next =
      (current as { cause?: unknown }).cause ??
      (Array.isArray(errors) ? (errors as unknown[])[0] : undefined);
    if (next === undefined) break;
    current = next;
  }
  const message = (current as { message?: unknown } | undefined)?.message;
  return typeof message === 'string' && message !== '' ? message : errorMessage(current);
}

/** Runs `fn` on every item, at most `limit` at once; stops starting new ones once `signal` aborts. */
export async function forEachLimit<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length && signal?.aborted !== true) {
      const item = items[next++] as T;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}
