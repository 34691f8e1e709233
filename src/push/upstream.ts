/**
 * "Skip what upstream has": which store paths any upstream cache already holds. HTTP(S) caches get a
 * `HEAD <url>/<hash>.narinfo` per path (200 present, 404/403 absent), many at once over keep-alive
 * connections; a `file://` cache has its directory listed once. Each HTTP upstream is first asked one
 * path alone (the probe, with a short timeout): one that does not answer it (DNS, refused, timeout, an
 * error status) is given up on and reported once, so an offline machine costs one short timeout, not
 * one per path. After that, failures in a row give an upstream up. Every wait is bounded.
 */
import { performance } from 'node:perf_hooks';
import { realSystem } from '../system/real.js';
import type { Files } from '../system/types.js';
import {
  createHttpClient,
  describeFailure,
  forEachLimit,
  narinfoUrl,
  netrcAuthorization,
  storeHash,
  type FetchLike,
  type HttpClient,
} from './http.js';
import type { UpstreamCheck } from './types.js';

export interface UpstreamOptions {
  /** Requests in flight at once (default 32). */
  readonly concurrency?: number;
  /** Per request, once the upstream has answered anything (default 5 s). */
  readonly timeoutMs?: number;
  /** For the probe, the first request to an upstream: how long an offline machine waits (1 s). */
  readonly firstAnswerTimeoutMs?: number;
  /** The whole check; paths not decided by then are treated as absent (default 60 s). */
  readonly overallTimeoutMs?: number;
  /** After the probe: failures in a row (no answer, or not 200/403/404) that give an upstream up (3). */
  readonly giveUpAfter?: number;
  /** netrc text: Basic credentials for an upstream's host, as Nix sends them (a private upstream). */
  readonly netrc?: string;
  readonly fetch?: FetchLike;
  readonly files?: Pick<Files, 'list' | 'kind'>;
}

type Answer =
  | { readonly kind: 'present' | 'absent' }
  | { readonly kind: 'failed'; readonly reason: string; readonly timedOut: boolean };

/** One upstream's state during a check. */
interface Upstream {
  readonly url: string;
  /** file:// caches: the store hashes it has narinfos for. */
  hashes?: ReadonlySet<string>;
  /** The `authorization` header from the netrc, if any. */
  authorization?: string;
  /** Why it is no longer asked; set once. */
  gaveUp?: string;
  /** The probe, while or once it runs; the other requests wait for it. */
  probe?: Promise<unknown>;
  failuresInARow: number;
  found: number;
  /** Aborts this upstream's requests in flight when it is given up on. */
  readonly abort: AbortController;
}

const isLive = (u: Upstream): boolean => u.gaveUp === undefined;

/** Credentials for a host; none when the netrc does not parse (the upstream may then refuse: reported). */
function credentials(netrc: string, host: string): string | undefined {
  try {
    return netrcAuthorization(netrc, host);
  } catch {
    return undefined;
  }
}

/** Opens a file:// upstream: its narinfo names, or why it cannot be read. */
async function listFileCache(url: URL, files: Pick<Files, 'list' | 'kind'>): Promise<Set<string> | string> {
  const dir = decodeURIComponent(url.pathname);
  if ((await files.kind(dir)) !== 'directory') return `${dir} is not a directory`;
  const hashes = new Set<string>();
  for (const name of await files.list(dir)) {
    const match = /^([0-9a-df-np-sv-z]{32})\.narinfo$/.exec(name);
    if (match?.[1] !== undefined) hashes.add(match[1]);
  }
  return hashes;
}

async function ask(
  upstream: Upstream,
  hash: string,
  fetchLike: FetchLike,
  timeoutMs: number,
  overall: AbortSignal,
): Promise<Answer> {
  const timeout = AbortSignal.timeout(timeoutMs);
  try {
    const res = await fetchLike(narinfoUrl(upstream.url, hash), {
      method: 'HEAD',
      headers: upstream.authorization === undefined ? {} : { authorization: upstream.authorization },
      redirect: 'follow',
      signal: AbortSignal.any([timeout, upstream.abort.signal, overall]),
    });
    if (res.status === 200) return { kind: 'present' };
    // Nix treats 403 as 404 (a bucket without list permission answers 403 for a missing key).
    if (res.status === 404 || res.status === 403) return { kind: 'absent' };
    return { kind: 'failed', reason: `HTTP ${res.status}`, timedOut: false };
  } catch (error: unknown) {
    if (timeout.aborted)
      return { kind: 'failed', reason: `no answer within ${timeoutMs} ms`, timedOut: true };
    return { kind: 'failed', reason: describeFailure(error), timedOut: false };
  }
}

/**
 * Which of `paths` (full store paths) any of `upstreams` (cache URLs; query parameters ignored) has.
 * Upstreams are asked in order, a path no further once one has it. Never throws for an unreachable or
 * unsupported upstream: it is listed in `unreachable` and its paths count as absent.
 */
export async function checkUpstream(
  upstreams: readonly string[],
  paths: readonly string[],
  options: UpstreamOptions = {},
): Promise<UpstreamCheck> {
  const started = performance.now();
  const timeoutMs = options.timeoutMs ?? 5_000;
  const firstTimeoutMs = Math.min(options.firstAnswerTimeoutMs ?? 1_000, timeoutMs);
  const giveUpAfter = Math.max(1, options.giveUpAfter ?? 3);
  const overall = AbortSignal.timeout(options.overallTimeoutMs ?? 60_000);

  const present = new Set<string>();
  const unreachable: { url: string; reason: string }[] = [];
  const perUpstream = new Map<string, number>();
  const state: Upstream[] = [];
  const giveUp = (u: Upstream, reason: string): void => {
    if (u.gaveUp !== undefined) return;
    u.gaveUp = reason;
    unreachable.push({ url: u.url, reason });
    u.abort.abort();
  };

  for (const url of [...new Set(upstreams)]) {
    perUpstream.set(url, 0);
    const u: Upstream = { url, failuresInARow: 0, found: 0, abort: new AbortController() };
    state.push(u);
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      giveUp(u, 'not a URL');
      continue;
    }
    if (parsed.protocol === 'file:') {
      const listed = await listFileCache(parsed, options.files ?? realSystem().files);
      if (typeof listed === 'string') giveUp(u, listed);
      else u.hashes = listed;
    } else if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      giveUp(u, `${parsed.protocol}// caches cannot be checked (only http, https and file)`);
    } else if (options.netrc !== undefined) {
      const authorization = credentials(options.netrc, parsed.hostname);
      if (authorization !== undefined) u.authorization = authorization;
    }
  }

  const client: HttpClient =
    options.fetch === undefined ? createHttpClient() : { fetch: options.fetch, close() {} };
  /** The first request to an upstream; a quick failure is tried once more, a timeout is not. */
  const probeWith = async (u: Upstream, hash: string): Promise<Answer> => {
    let answer = await ask(u, hash, client.fetch, firstTimeoutMs, overall);
    if (answer.kind === 'failed' && !answer.timedOut && !overall.aborted) {
      answer = await ask(u, hash, client.fetch, firstTimeoutMs, overall);
    }
    if (answer.kind === 'failed' && !overall.aborted) giveUp(u, answer.reason);
    return answer;
  };

  let checked = 0;
  const checkOne = async (path: string): Promise<void> => {
    const hash = storeHash(path);
    if (hash === undefined) return;
    let decided = false;
    for (const u of state) {
      if (!isLive(u)) continue;
      let answer: Answer;
      if (u.hashes !== undefined) {
        answer = { kind: u.hashes.has(hash) ? 'present' : 'absent' };
      } else if (u.probe === undefined) {
        const probe = probeWith(u, hash);
        u.probe = probe;
        answer = await probe;
        if (answer.kind === 'failed') continue;
      } else {
        await u.probe;
        if (!isLive(u)) continue;
        answer = await ask(u, hash, client.fetch, timeoutMs, overall);
        if (overall.aborted) return;
        if (!isLive(u)) continue; // given up while this request was in flight
        if (answer.kind === 'failed') {
          u.failuresInARow += 1;
          if (u.failuresInARow >= giveUpAfter) giveUp(u, answer.reason);
          continue;
        }
      }
      u.failuresInARow = 0;
      decided = true;
      if (answer.kind === 'present') {
        present.add(path);
        perUpstream.set(u.url, (u.found += 1));
        break;
      }
    }
    if (decided) checked += 1;
  };

  try {
    if (state.some(isLive)) await forEachLimit(paths, options.concurrency ?? 32, checkOne, overall);
  } finally {
    client.close();
  }
  return {
    present,
    perUpstream,
    unreachable,
    checked,
    timedOut: overall.aborted,
    elapsedMs: Math.round(performance.now() - started),
  };
}
