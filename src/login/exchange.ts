/**
 * HTTP cache credentials from the GitHub OIDC token: the token traded for an access token at an
 * RFC 8693 token-exchange endpoint, or the token itself. Messages never carry a token.
 */
import * as core from '@actions/core';
import { errorMessage } from '../util/errors.js';
import { type TokenClaims, decodeClaims } from './aws/claims.js';
import { CredentialError } from './oidc.js';
import {
  DEFAULT_RETRY,
  type RetryPolicy,
  type RetryTiming,
  RetriesExhausted,
  type Verdict,
  realTiming,
  retryAfterMs,
  withRetry,
} from './retry.js';
import type { HttpCredential, MintIdToken } from './types.js';

export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
export const ID_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:id_token';
export const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

/**
 * Lifetime assumed for a token whose answer has no `expires_in` (RFC 6749 makes it optional): short, so
 * that the refresher renews it every few minutes rather than keep a token the server may already have
 * dropped. Five minutes is also how long GitHub's own OIDC tokens live.
 */
export const ASSUMED_LIFETIME_MS = 5 * 60_000;
const ATTEMPT_TIMEOUT_MS = 30_000;

export interface ExchangeTarget {
  readonly endpoint: string;
  /** The `aud` of the GitHub token the endpoint trusts. */
  readonly audience: string;
}

export interface ExchangeDeps {
  readonly fetch?: typeof fetch;
  readonly policy?: RetryPolicy;
  readonly timing?: RetryTiming;
  readonly attemptTimeoutMs?: number;
  /** Hides the access token in the job log (default: core.setSecret). */
  readonly mask?: (secret: string) => void;
  /** Told about each retry (default: core.info). */
  readonly log?: (line: string) => void;
}

/** The RFC 8693 request form for a GitHub OIDC token. */
export function exchangeForm(subjectToken: string): URLSearchParams {
  return new URLSearchParams({
    grant_type: TOKEN_EXCHANGE_GRANT,
    subject_token: subjectToken,
    subject_token_type: ID_TOKEN_TYPE,
    requested_token_type: ACCESS_TOKEN_TYPE,
  });
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** A successful token response as a credential; throws (without the token) when it is not one. */
export function parseTokenResponse(body: unknown, now: number): HttpCredential {
  if (!isRecord(body)) throw new Error('the answer is not a JSON object');
  const token = body['access_token'];
  if (typeof token !== 'string' || token === '') throw new Error('the answer has no access_token');
  const raw = body['expires_in'];
  const seconds = typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw) : NaN;
  const lifetime = Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : ASSUMED_LIFETIME_MS;
  return { password: token, expiresAt: now + lifetime };
}

/** A failed attempt: HTTP status (undefined: no answer), whether to retry, and after how long. */
export class ExchangeError extends Error {
  override name = 'ExchangeError';
  constructor(
    message: string,
    readonly status: number | undefined,
    readonly verdict: Verdict,
    /** The OAuth `error` code of a refusal. */
    readonly oauthError?: string,
  ) {
    super(message);
  }
}

export const exchangeVerdict = (error: unknown): Verdict =>
  error instanceof ExchangeError ? error.verdict : { retry: false };

/** The endpoint without user info, query or fragment (they may hold secrets). */
export function describeEndpoint(endpoint: string): string {
  try {
    const url = new URL(endpoint);
    return `${url.origin}${url.pathname}`;
  } catch {
    return 'the token endpoint (not a valid URL)';
  }
}

function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s !== '') out = out.split(s).join('[redacted]');
  return out.length > 300 ? `${out.slice(0, 300)}…` : out;
}

function causeOf(error: unknown): string {
  const cause = isRecord(error) ? error['cause'] : undefined;
  const code = isRecord(cause) && typeof cause['code'] === 'string' ? cause['code'] : undefined;
  const name = isRecord(error) && typeof error['name'] === 'string' ? error['name'] : '';
  if (name === 'TimeoutError') return 'no answer in time';
  return code ?? errorMessage(cause ?? error);
}

/** Classifies an answer that is not a success. */
export function failedAnswer(
  status: number,
  text: string,
  retryAfter: string | null,
  now: number,
  secrets: string[],
): ExchangeError {
  let oauth: { error?: string; description?: string } = {};
  try {
    const body: unknown = JSON.parse(text);
    if (isRecord(body)) {
      oauth = {
        ...(typeof body['error'] === 'string' ? { error: body['error'] } : {}),
        ...(typeof body['error_description'] === 'string' ? { description: body['error_description'] } : {}),
      };
    }
  } catch {
    // not JSON: the status says it all
  }
  const said = [oauth.error, oauth.description].filter((s) => s !== undefined).join(': ');
  const detail = redact(said !== '' ? said : (text.trim().split('\n')[0] ?? ''), secrets);
  const message = `HTTP ${status}${detail === '' ? '' : ` ${detail}`}`;
  if (status === 408 || status === 429 || status >= 500) {
    const afterMs = retryAfterMs(retryAfter, now);
    return new ExchangeError(
      message,
      status,
      afterMs === undefined ? { retry: true } : { retry: true, afterMs },
      oauth.error,
    );
  }
  return new ExchangeError(message, status, { retry: false }, oauth.error);
}

function refusalHint(error: ExchangeError, target: ExchangeTarget, claims: TokenClaims | undefined): string {
  if (error.status !== undefined && error.status >= 300 && error.status < 400) {
    return 'The endpoint redirected: give its final URL as the token endpoint.';
  }
  if (error.oauthError === 'invalid_request' || error.oauthError === 'unsupported_grant_type') {
    return 'Check that the URL is an RFC 8693 token-exchange endpoint that accepts GitHub OIDC (id_token) subject tokens.';
  }
  return (
    `Check the endpoint's trust configuration: it must accept GitHub OIDC tokens from issuer ${claims?.iss ?? '?'} ` +
    `for this repository and workflow (the token's sub was "${claims?.sub ?? '?'}") with audience ` +
    `"${target.audience}" (the action's audience input).`
  );
}

/** One POST: the fresh token in, the credential out; failures as ExchangeError. */
async function attempt(
  subjectToken: string,
  target: ExchangeTarget,
  doFetch: typeof fetch,
  timeoutMs: number,
  timing: RetryTiming,
): Promise<HttpCredential> {
  let res: Response;
  let text: string;
  try {
    res = await doFetch(target.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: exchangeForm(subjectToken).toString(),
      // A redirect could carry the subject token to another host: never followed.
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    text = await res.text();
  } catch (error: unknown) {
    throw new ExchangeError(`no answer (${causeOf(error)})`, undefined, { retry: true });
  }
  if (!res.ok)
    throw failedAnswer(res.status, text, res.headers.get('retry-after'), timing.now(), [subjectToken]);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ExchangeError(`HTTP ${res.status} but the answer is not JSON`, res.status, { retry: false });
  }
  try {
    return parseTokenResponse(body, timing.now());
  } catch (error: unknown) {
    throw new ExchangeError(`HTTP ${res.status} but ${errorMessage(error)}`, res.status, { retry: false });
  }
}

/**
 * Trades a fresh GitHub OIDC token (minted for `audience`, one per attempt) for an access token at an
 * RFC 8693 endpoint. Transient failures (no answer, 408, 429 with its Retry-After, 5xx) are retried
 * within the policy; a refusal (other 4xx) fails at once with the OAuth error and what to check.
 */
export async function exchangeToken(
  mint: MintIdToken,
  target: ExchangeTarget,
  deps: ExchangeDeps = {},
): Promise<HttpCredential> {
  const timing = deps.timing ?? realTiming;
  const doFetch = deps.fetch ?? fetch;
  const where = describeEndpoint(target.endpoint);
  const log =
    deps.log ??
    ((line: string) => {
      core.info(line);
    });
  let claims: TokenClaims | undefined;
  try {
    const credential = await withRetry(
      `the token exchange at ${where}`,
      async () => {
        // Minting failures were retried by the mint itself: permanent here (not an ExchangeError).
        const subject = await mint(target.audience);
        claims = decodeClaims(subject);
        return attempt(subject, target, doFetch, deps.attemptTimeoutMs ?? ATTEMPT_TIMEOUT_MS, timing);
      },
      exchangeVerdict,
      {
        policy: deps.policy ?? DEFAULT_RETRY,
        timing,
        onRetry: (n, delay, error) => {
          log(
            `Token exchange at ${where}: attempt ${n} failed (${errorMessage(error)}); retrying in ${delay} ms`,
          );
        },
      },
    );
    if (deps.mask) deps.mask(credential.password);
    else core.setSecret(credential.password);
    return credential;
  } catch (error: unknown) {
    if (error instanceof RetriesExhausted) {
      throw new CredentialError(
        `The token exchange at ${where} failed: ${errorMessage(error.cause)} (${error.message}). ` +
          'Check that the URL is right and that the endpoint is reachable from the runner.',
        true,
      );
    }
    if (error instanceof ExchangeError) {
      throw new CredentialError(
        `The token exchange at ${where} refused the request: ${error.message}. ${refusalHint(error, target, claims)}`,
        false,
      );
    }
    throw error;
  }
}

/** The GitHub OIDC token itself as the cache's password, valid until its `exp`. */
export async function jwtCredential(
  mint: MintIdToken,
  audience: string,
  now: () => number = Date.now,
): Promise<HttpCredential> {
  const token = await mint(audience);
  // GitHub's tokens always have `exp`; without one, the assumed short lifetime.
  return { password: token, expiresAt: decodeClaims(token)?.exp ?? now() + ASSUMED_LIFETIME_MS };
}
