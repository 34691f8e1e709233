/**
 * The GitHub OIDC token: whether this job may mint one, minting it (with `@actions/core`'s getIDToken,
 * which masks it), and what to tell the user when it cannot. Tokens live about five minutes: mint one
 * right before each use.
 */
import * as core from '@actions/core';
import { ActionError, errorMessage } from '../util/errors.js';
import type { IdTokenAccess } from './mode.js';
import {
  type RetryPolicy,
  type RetryTiming,
  RetriesExhausted,
  type Verdict,
  realTiming,
  withRetry,
} from './retry.js';
import type { LoginMode, MintIdToken } from './types.js';

export const ID_TOKEN_URL_VAR = 'ACTIONS_ID_TOKEN_REQUEST_URL';
export const ID_TOKEN_TOKEN_VAR = 'ACTIONS_ID_TOKEN_REQUEST_TOKEN';

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const field = (v: unknown, key: string): unknown => (isRecord(v) ? v[key] : undefined);

/** Events whose payload is a pull request running in the head's context (no OIDC for forks). */
const PULL_REQUEST_EVENTS = new Set(['pull_request', 'pull_request_review', 'pull_request_review_comment']);

/** The head of a pull request lives in another repository (a fork; a deleted fork has `repo: null`). */
function fromFork(pullRequest: unknown): boolean {
  const headRepo = field(field(pullRequest, 'head'), 'repo');
  if (field(headRepo, 'fork') === true) return true;
  const head = field(headRepo, 'full_name');
  const base = field(field(field(pullRequest, 'base'), 'repo'), 'full_name');
  if (headRepo === null) return true;
  return typeof head === 'string' && typeof base === 'string' && head !== base;
}

/**
 * Whether this job can mint a GitHub OIDC token. `event` is the parsed `GITHUB_EVENT_PATH` payload.
 * `pull_request_target` runs in the base repository's context, so a missing token there is a missing
 * permission, even for a fork's pull request.
 */
export function idTokenAccess(env: Record<string, string | undefined>, event: unknown): IdTokenAccess {
  const set = (name: string): boolean => (env[name] ?? '') !== '';
  if (set(ID_TOKEN_URL_VAR) && set(ID_TOKEN_TOKEN_VAR)) return 'available';
  const eventName = env['GITHUB_EVENT_NAME'];
  const pullRequest = field(event, 'pull_request');
  const prEvent =
    eventName === undefined || eventName === ''
      ? pullRequest !== undefined
      : PULL_REQUEST_EVENTS.has(eventName);
  return prEvent && fromFork(pullRequest) ? 'fork-pull-request' : 'missing-permission';
}

const PERMISSIONS_YAML = 'permissions:\n  id-token: write\n  contents: read';

function loginName(mode: LoginMode): string {
  switch (mode.kind) {
    case 'aws':
      return `the AWS login (AssumeRoleWithWebIdentity for ${mode.aws.roleArn})`;
    case 'token-exchange':
      return `the token exchange at ${mode.endpoint}`;
    case 'github-jwt':
      return 'the cache login with a GitHub OIDC token';
    default:
      return 'the cache login';
  }
}

/** The error when OIDC is needed but the job may not mint a token: what to add, where, and why. */
export function missingPermissionMessage(mode: LoginMode): string {
  return (
    `${loginName(mode)} needs a GitHub OIDC token, but this job cannot mint one: ` +
    `${ID_TOKEN_URL_VAR} and ${ID_TOKEN_TOKEN_VAR} are not set, which means the job lacks the ` +
    '`id-token: write` permission. Add this to the job (under `jobs.<job_id>:`) or at the top level of the ' +
    `workflow:\n\n${PERMISSIONS_YAML}\n\n` +
    'A `permissions` block replaces the default permissions, so `contents: read` keeps actions/checkout ' +
    'working. In a reusable workflow the calling workflow must grant `id-token: write` too.'
  );
}

/** The notice for a fork's pull request: no OIDC token, so pull only. */
export function forkNotice(): string {
  return (
    'This pull request comes from a fork, and GitHub gives workflows of fork pull requests no OIDC token ' +
    '(nor secrets): the job runs in pull-only mode. Caches are read where they allow anonymous reads; ' +
    'nothing is pushed. Runs on the base repository (pushes, pull requests from its own branches) log in.'
  );
}

/** A login failure meant for the user, and whether trying again later could help (the refresher asks). */
export class CredentialError extends ActionError {
  override name = 'CredentialError';
  constructor(
    message: string,
    readonly transient: boolean,
  ) {
    super(message);
  }
}

/** Why a getIDToken call failed, read from the message @actions/core builds ("Error Code : 503"). */
export class IdTokenError extends Error {
  override name = 'IdTokenError';
  constructor(
    message: string,
    /** HTTP status; undefined for network errors and timeouts. */
    readonly status: number | undefined,
    readonly transient: boolean,
  ) {
    super(message);
  }
}

export function classifyIdTokenFailure(error: unknown): IdTokenError {
  const message = errorMessage(error)
    .replace(/^Error message: /, '')
    .replace(/\s*\n\s*/g, ' ')
    .trim();
  if (/Unable to get ACTIONS_ID_TOKEN_REQUEST_(URL|TOKEN)/.test(message)) {
    return new IdTokenError(message, undefined, false);
  }
  // A 404 or a body without `value`: the request URL is not a token service.
  if (/do not have ID Token field/.test(message)) return new IdTokenError(message, undefined, false);
  const code = /Error Code : (\d{3})\b/.exec(message)?.[1];
  if (code === undefined) return new IdTokenError(message, undefined, true); // network: no status
  const status = Number(code);
  return new IdTokenError(message, status, status === 408 || status === 429 || status >= 500);
}

export const idTokenVerdict = (error: unknown): Verdict =>
  error instanceof IdTokenError && error.transient ? { retry: true } : { retry: false };

export interface MintOptions {
  readonly getIDToken?: (audience: string) => Promise<string>;
  /**
   * getIDToken already retries 502/503/504 itself (10 times, ~10 s of backoff), so few rounds here:
   * at most 4 attempts, none started after 30 s, each cut off after 20 s: under a minute in all.
   */
  readonly policy?: RetryPolicy;
  readonly timing?: RetryTiming;
  readonly attemptTimeoutMs?: number;
}

export const MINT_RETRY: RetryPolicy = { baseMs: 1_000, maxDelayMs: 8_000, totalMs: 30_000, maxAttempts: 4 };
const ATTEMPT_TIMEOUT_MS = 20_000;

/** Rejects after `ms` (the call itself cannot be cancelled: its late result is dropped). */
async function within<T>(promise: Promise<T>, ms: number): Promise<T> {
  promise.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`no answer within ${ms} ms`));
    }, ms);
    timer.unref();
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A MintIdToken with its own seams (tests); `mintIdToken` is the real one. */
export function createMintIdToken(options: MintOptions = {}): MintIdToken {
  const get = options.getIDToken ?? ((audience: string) => core.getIDToken(audience));
  const timing = options.timing ?? realTiming;
  const timeoutMs = options.attemptTimeoutMs ?? ATTEMPT_TIMEOUT_MS;
  return async (audience) => {
    try {
      return await withRetry(
        'minting a GitHub OIDC token',
        async () => {
          try {
            return await within(get(audience), timeoutMs);
          } catch (error: unknown) {
            throw classifyIdTokenFailure(error);
          }
        },
        idTokenVerdict,
        {
          policy: options.policy ?? MINT_RETRY,
          timing,
          onRetry: (n, delay, error) => {
            core.info(
              `GitHub OIDC token: attempt ${n} failed (${errorMessage(error)}); retrying in ${delay} ms`,
            );
          },
        },
      );
    } catch (error: unknown) {
      throw mintFailure(audience, error);
    }
  };
}

function mintFailure(audience: string, error: unknown): CredentialError {
  const last = error instanceof RetriesExhausted ? error.cause : error;
  const tries = error instanceof RetriesExhausted ? ` (${error.message})` : '';
  const status = last instanceof IdTokenError ? last.status : undefined;
  const hint =
    status === 401 || status === 403
      ? ` ${ID_TOKEN_TOKEN_VAR} was refused: it is only valid during the job that received it.`
      : last instanceof IdTokenError && !last.transient && status === undefined
        ? ` Check that the job has \`permissions: id-token: write\` and that ${ID_TOKEN_URL_VAR} is GitHub's.`
        : '';
  return new CredentialError(
    `Could not mint a GitHub OIDC token for audience "${audience}": ${errorMessage(last)}${tries}.${hint}`,
    last instanceof IdTokenError && last.transient,
  );
}

/** Mints a fresh GitHub OIDC token (masked in the log) for `audience`, retrying transient failures. */
export const mintIdToken: MintIdToken = createMintIdToken();
