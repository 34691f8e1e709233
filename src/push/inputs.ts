/**
 * The push inputs, validated in main (a bad regex or key fails there, before anything is written) and
 * read again the same way by post. The signing key is a secret: only its public half is ever shown.
 */
import { parseStoreUrls } from '../config/validate.js';
import type { StoreUrl } from '../config/types.js';
import { ActionError } from '../util/errors.js';
import { parseSecretKey } from './signing.js';
import { DEFAULT_PUSH_JOBS, type PushFilters } from './types.js';

export const COMPRESSIONS = ['zstd', 'xz', 'bzip2', 'br', 'gzip', 'none'] as const;
export type Compression = (typeof COMPRESSIONS)[number];

export interface SigningKey {
  /** `name:base64` as Nix reads it from a `secret-key` file (secret). */
  readonly secret: string;
  /** `name:base64` of the public half: trusted by client and daemon like `public-keys`. */
  readonly publicKey: string;
}

export interface PushInputs {
  /** `push`: push what the job built (post step). */
  readonly enabled: boolean;
  readonly filters: PushFilters;
  /** `upstream-caches`: paths any of them has are not pushed. */
  readonly upstream: readonly StoreUrl[];
  readonly signingKey: SigningKey | undefined;
  readonly compression: Compression;
  /** `push-jobs`: concurrent `nix copy` processes. */
  readonly jobs: number;
  /** `push-timeout`: the drain bound of the post step's push, in seconds. */
  readonly timeoutSeconds: number;
  /** `push-verify`: read back each pushed narinfo and check its signature. */
  readonly verify: boolean;
  /** `fail-on-push-error`: a push failure fails the job (default: a warning). */
  readonly failOnError: boolean;
  /** `push-during-build`: a post-build hook queues built paths and they are uploaded while the job runs. */
  readonly duringBuild: boolean;
}

export type Reader = (name: string) => string;
type BooleanParser = (name: string, raw: string, fallback: boolean) => boolean;

export const DEFAULT_PUSH_TIMEOUT_SECONDS = 900;

/** A regular expression input ('' gives undefined); the error quotes the engine's complaint, not the value. */
export function parseRegex(input: string, raw: string): RegExp | undefined {
  const value = raw.trim();
  if (value === '') return undefined;
  if (value.length > 4096 || /[\r\n]/u.test(value)) {
    throw new ActionError(
      `Input '${input}' must be one regular expression on one line (at most 4096 characters).`,
    );
  }
  try {
    return new RegExp(value, 'u');
  } catch (error: unknown) {
    const why = error instanceof Error ? error.message.replace(/^Invalid regular expression: /u, '') : '';
    throw new ActionError(
      `Input '${input}' is not a valid regular expression (${why}); it is matched against full store paths, e.g. '-source$|\\.iso$'.`,
    );
  }
}

export function parseInteger(input: string, raw: string, fallback: number, min: number, max: number): number {
  const value = raw.trim();
  if (value === '') return fallback;
  if (!/^\d+$/u.test(value) || Number(value) < min || Number(value) > max) {
    throw new ActionError(`Input '${input}' must be a whole number from ${min} to ${max}.`);
  }
  return Number(value);
}

function parseCompression(raw: string): Compression {
  const value = raw.trim().toLowerCase();
  if (value === '') return 'zstd';
  const found = COMPRESSIONS.find((c) => c === value);
  if (found === undefined) {
    throw new ActionError(`Input 'compression' must be one of ${COMPRESSIONS.join(', ')} (zstd is fastest).`);
  }
  return found;
}

export function readPushInputs(read: Reader, parseBoolean: BooleanParser): PushInputs {
  const rawKey = read('signing-key');
  const key = rawKey.trim() === '' ? undefined : parseSecretKey('signing-key', rawKey);
  return {
    enabled: parseBoolean('push', read('push'), true),
    filters: {
      exclude: parseRegex('push-filter', read('push-filter')),
      include: parseRegex('push-include', read('push-include')),
      derivations: parseBoolean('push-derivations', read('push-derivations'), false),
    },
    upstream: parseStoreUrls('upstream-caches', read('upstream-caches')),
    signingKey: key === undefined ? undefined : { secret: key.secret, publicKey: key.publicKey },
    compression: parseCompression(read('compression')),
    jobs: parseInteger('push-jobs', read('push-jobs'), DEFAULT_PUSH_JOBS, 1, 64),
    timeoutSeconds: parseInteger(
      'push-timeout',
      read('push-timeout'),
      DEFAULT_PUSH_TIMEOUT_SECONDS,
      10,
      21600,
    ),
    verify: parseBoolean('push-verify', read('push-verify'), true),
    failOnError: parseBoolean('fail-on-push-error', read('fail-on-push-error'), false),
    duringBuild: parseBoolean('push-during-build', read('push-during-build'), true),
  };
}
