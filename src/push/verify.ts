/**
 * Verification after a push: each pushed path's narinfo read back from the cache (HTTP(S) with the
 * netrc credentials Nix would send, or a file:// directory) and checked against the local path — the
 * same StorePath, NarHash, NarSize and references, and a Sig that verifies against the public keys —
 * the automated form of "does a fresh machine substitute this?". An s3:// cache is read like Nix reads
 * it (s3-read.ts), with the session in the AWS files; other schemes are reported as not verifiable.
 */
import { basename } from 'node:path';
import { performance } from 'node:perf_hooks';
import { realSystem } from '../system/real.js';
import type { Files } from '../system/types.js';
import { errorMessage } from '../util/errors.js';
import { fingerprint, normalizeSha256, parseNarInfo, type NarInfo } from './narinfo.js';
import { verifySignature } from './signing.js';
import type { PathInfo, VerifyProblem, VerifyReport } from './types.js';
import { s3ErrorCode, s3Location, s3Signer, type S3Location, type S3Signer } from './s3-read.js';
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

export interface VerifyOptions {
  readonly cacheUrl: string;
  readonly paths: readonly PathInfo[];
  /** `name:base64` public keys; none: presence and content only. */
  readonly publicKeys: readonly string[];
  /** netrc text: the entry for the cache's host (or the default one) gives HTTP Basic credentials. */
  readonly netrc?: string;
  /** For an s3:// cache: the AWS files holding the session of the profile the URL names. */
  readonly aws?: { readonly credentials: string; readonly config: string };
  /** Reads in flight at once (default 32). */
  readonly concurrency?: number;
  /** Per request (default 10 s). */
  readonly timeoutMs?: number;
  /** Tries per narinfo when the answer is transient: no answer, 429, 5xx (default 3). */
  readonly attempts?: number;
  /** First wait between tries, doubled each time (default 250 ms). */
  readonly retryDelayMs?: number;
  /** Narinfos in a row that could not be read before the cache is given up on (default 5). */
  readonly giveUpAfter?: number;
  /** The whole verification (default 5 min). */
  readonly overallTimeoutMs?: number;
  readonly fetch?: FetchLike;
  readonly files?: Pick<Files, 'read'>;
}

type Read =
  | { readonly kind: 'found'; readonly text: string }
  /** `denied`: an S3 AccessDenied, which Nix (and S3 without s3:ListBucket) treats as absent. */
  | { readonly kind: 'missing'; readonly denied?: boolean }
  | { readonly kind: 'failed'; readonly reason: string; readonly retry: boolean; readonly afterMs?: number };

/** One GET of a narinfo (redirects followed; credentials only within the cache's origin). */
async function readHttp(
  url: string,
  headers: Record<string, string>,
  fetchLike: FetchLike,
  timeoutMs: number,
  signal: AbortSignal,
  s3 = false,
): Promise<Read> {
  const timeout = AbortSignal.timeout(timeoutMs);
  try {
    const res = await fetchLike(url, {
      method: 'GET',
      headers,
      redirect: s3 ? 'manual' : 'follow',
      signal: AbortSignal.any([timeout, signal]),
    });
    const text = await res.text();
    if (res.status === 200) return { kind: 'found', text };
    // Nix treats 403 as 404; on S3 only AccessDenied (no s3:ListBucket makes a missing key a 403), and
    // a 404 only for a missing key (NoSuchBucket says the URL is wrong).
    const code = s3 ? s3ErrorCode(text) : undefined;
    if (!s3 && (res.status === 404 || res.status === 403)) return { kind: 'missing' };
    if (s3 && res.status === 404 && (code === undefined || code === 'NoSuchKey')) return { kind: 'missing' };
    if (s3 && res.status === 403 && code === 'AccessDenied') return { kind: 'missing', denied: true };
    const after = Number(res.headers.get('retry-after') ?? '');
    const hint =
      code !== undefined
        ? ` ${code}${res.status === 403 ? ' (S3 refused the session)' : ''}`
        : res.status === 401
          ? ' (the cache refused the credentials)'
          : '';
    return {
      kind: 'failed',
      reason: `HTTP ${res.status}${hint}`,
      retry: res.status === 429 || res.status >= 500,
      ...(Number.isFinite(after) && after > 0 ? { afterMs: Math.min(after * 1000, 10_000) } : {}),
    };
  } catch (error: unknown) {
    const reason = timeout.aborted ? `no answer within ${timeoutMs} ms` : describeFailure(error);
    return { kind: 'failed', reason, retry: !signal.aborted };
  }
}

/** Why the narinfo does not describe `local`, or undefined when it does. */
function compare(local: PathInfo, info: NarInfo): string | undefined {
  if (info.storePath !== local.path) return `the narinfo is for ${info.storePath}`;
  if (normalizeSha256(info.narHash) !== normalizeSha256(local.narHash)) {
    return `NarHash ${info.narHash} differs from the local ${local.narHash}`;
  }
  if (info.narSize !== local.narSize)
    return `NarSize ${info.narSize} differs from the local ${local.narSize}`;
  const cached = [...new Set(info.references)].sort().join(' ');
  const wanted = [...new Set(local.references.map((r) => basename(r)))].sort().join(' ');
  if (cached !== wanted) return 'References differ from the local path';
  return undefined;
}

/** Whether a Sig of the narinfo verifies against one of the keys. */
function signedBy(info: NarInfo, publicKeys: readonly string[]): boolean {
  let print: string;
  try {
    print = fingerprint(info);
  } catch {
    return false; // Nix cannot sign (or check) a path of unknown NAR size either
  }
  return info.sigs.some((sig) => verifySignature(publicKeys, print, sig));
}

/**
 * Reads back and checks the narinfo of every path in `options.paths`. Never throws for what the cache
 * answers; throws an ActionError only when `options.netrc` does not parse.
 */
export async function verifyPushed(options: VerifyOptions): Promise<VerifyReport> {
  const started = performance.now();
  let url: URL;
  try {
    url = new URL(options.cacheUrl);
  } catch {
    return { verifiable: false, reason: 'the cache URL does not parse' };
  }
  const isFile = url.protocol === 'file:';
  let s3: { location: S3Location; sign: S3Signer } | undefined;
  if (url.protocol === 's3:') {
    if (options.aws === undefined)
      return {
        verifiable: false,
        reason: "the bucket is read back with the action's AWS session only (aws-role-arn)",
      };
    try {
      const location = s3Location(options.cacheUrl);
      s3 = { location, sign: await s3Signer(location, options.aws) };
    } catch (error: unknown) {
      return { verifiable: false, reason: errorMessage(error) };
    }
  } else if (!isFile && url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { verifiable: false, reason: `${url.protocol}// caches are not read back here` };
  }
  const files = options.files ?? realSystem().files;
  const authorization =
    isFile || s3 !== undefined || options.netrc === undefined
      ? undefined
      : netrcAuthorization(options.netrc, url.hostname);
  const dir = decodeURIComponent(url.pathname).replace(/\/+$/, '');
  const attempts = Math.max(1, options.attempts ?? 3);
  const retryDelayMs = options.retryDelayMs ?? 250;
  const giveUpAfter = Math.max(1, options.giveUpAfter ?? 5);
  const overall = AbortSignal.timeout(options.overallTimeoutMs ?? 300_000);
  const stop = new AbortController();
  const signal = AbortSignal.any([overall, stop.signal]);
  let gaveUp: string | undefined;
  let failuresInARow = 0;

  const client: HttpClient =
    options.fetch === undefined ? createHttpClient() : { fetch: options.fetch, close() {} };
  const read = async (hash: string): Promise<Read> => {
    if (isFile) {
      const text = await files.read(`${dir}/${hash}.narinfo`);
      return text === undefined ? { kind: 'missing' } : { kind: 'found', text };
    }
    let last: Read = { kind: 'failed', reason: 'not read', retry: false };
    const target =
      s3 === undefined ? narinfoUrl(options.cacheUrl, hash) : s3.location.objectUrl(`${hash}.narinfo`);
    for (let n = 1; n <= attempts && !signal.aborted; n++) {
      let headers: Record<string, string>;
      try {
        // Signed per try: a signature is bound to its time, and the session may have been renewed.
        headers =
          s3 !== undefined ? await s3.sign(target) : authorization === undefined ? {} : { authorization };
      } catch (error: unknown) {
        return {
          kind: 'failed',
          reason: `the AWS session could not be read: ${errorMessage(error)}`,
          retry: false,
        };
      }
      last = await readHttp(
        target,
        headers,
        client.fetch,
        options.timeoutMs ?? 10_000,
        signal,
        s3 !== undefined,
      );
      if (last.kind !== 'failed' || !last.retry || n === attempts) break;
      const wait = last.afterMs ?? retryDelayMs * 2 ** (n - 1);
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
    return last;
  };

  const ok: string[] = [];
  const missing: string[] = [];
  const badSignature: string[] = [];
  const mismatch: VerifyProblem[] = [];
  const unreadable: VerifyProblem[] = [];
  const done = new Set<string>();
  let found = 0;
  let denied = 0;

  const verifyOne = async (local: PathInfo): Promise<void> => {
    const hash = storeHash(local.path);
    if (hash === undefined) {
      done.add(local.path);
      mismatch.push({ path: local.path, why: 'not a store path' });
      return;
    }
    const answer = await read(hash);
    if (signal.aborted && answer.kind === 'failed') return; // reported below with the others not read
    done.add(local.path);
    if (answer.kind === 'failed') {
      unreadable.push({ path: local.path, why: answer.reason });
      failuresInARow += 1;
      if (failuresInARow >= giveUpAfter && gaveUp === undefined) {
        gaveUp = `given up on the cache after ${failuresInARow} narinfos in a row could not be read (${answer.reason})`;
        stop.abort();
      }
      return;
    }
    failuresInARow = 0;
    if (answer.kind === 'missing') {
      missing.push(local.path);
      if (answer.denied === true) denied += 1;
      return;
    }
    found += 1;
    let why: string | undefined;
    let info;
    try {
      info = parseNarInfo(answer.text);
      why = compare(local, info);
    } catch (error: unknown) {
      why = `the narinfo does not parse: ${errorMessage(error)}`;
    }
    if (why !== undefined || info === undefined) {
      mismatch.push({ path: local.path, why: why ?? 'the narinfo does not parse' });
      return;
    }
    if (options.publicKeys.length > 0 && !signedBy(info, options.publicKeys)) {
      badSignature.push(local.path);
      return;
    }
    ok.push(local.path);
  };

  try {
    await forEachLimit(options.paths, options.concurrency ?? 32, verifyOne, signal);
  } finally {
    client.close();
  }
  const notRead = gaveUp ?? `the verification ran out of time (${options.overallTimeoutMs ?? 300_000} ms)`;
  for (const p of options.paths) if (!done.has(p.path)) unreadable.push({ path: p.path, why: notRead });
  if (found === 0 && missing.length > 0 && denied === missing.length) {
    // Not one object readable and every answer a denial: the session cannot read, not the push that failed.
    const why = 'HTTP 403 AccessDenied on every narinfo (does the session have s3:GetObject on the bucket?)';
    for (const p of missing.splice(0)) unreadable.push({ path: p, why });
  }
  return {
    verifiable: true,
    checks: options.publicKeys.length > 0 ? 'signatures' : 'presence',
    ok,
    missing,
    badSignature,
    mismatch,
    unreadable,
    elapsedMs: Math.round(performance.now() - started),
  };
}
