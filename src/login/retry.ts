/**
 * Retrying transient failures: full-jitter exponential backoff, a server's `Retry-After` honoured, and a
 * bound on the total time. Permanent failures are never retried. Clock, sleep and randomness are
 * injected so the policy is tested without waiting.
 */

export interface RetryTiming {
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  /** [0, 1) */
  readonly random: () => number;
}

export const realTiming: RetryTiming = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
};

export interface RetryPolicy {
  /** First backoff ceiling (full jitter draws from [0, ceiling)). */
  readonly baseMs: number;
  /** Largest backoff ceiling. */
  readonly maxDelayMs: number;
  /** No new attempt starts after this much time since the first. */
  readonly totalMs: number;
  readonly maxAttempts: number;
}

export const DEFAULT_RETRY: RetryPolicy = { baseMs: 500, maxDelayMs: 8_000, totalMs: 60_000, maxAttempts: 8 };

/** What a failure means for retrying: permanent, or transient with an optional server-given delay. */
export type Verdict = { readonly retry: false } | { readonly retry: true; readonly afterMs?: number };

/** Full-jitter backoff ceiling for attempt n (1-based). */
export function backoffCeiling(policy: RetryPolicy, attempt: number): number {
  return Math.min(policy.maxDelayMs, policy.baseMs * 2 ** (attempt - 1));
}

export class RetriesExhausted extends Error {
  override name = 'RetriesExhausted';
  constructor(
    message: string,
    readonly attempts: number,
    override readonly cause: unknown,
  ) {
    super(message);
  }
}

/**
 * Runs `attempt` until it succeeds, fails permanently (rethrown as is), or the policy's bounds are
 * reached (RetriesExhausted, carrying the last error). `onRetry` is told before each wait.
 */
export async function withRetry<T>(
  what: string,
  attempt: (n: number) => Promise<T>,
  classify: (error: unknown) => Verdict,
  options: {
    policy?: RetryPolicy;
    timing?: RetryTiming;
    onRetry?: (n: number, delayMs: number, error: unknown) => void;
  } = {},
): Promise<T> {
  const policy = options.policy ?? DEFAULT_RETRY;
  const timing = options.timing ?? realTiming;
  const started = timing.now();
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (error: unknown) {
      const verdict = classify(error);
      if (!verdict.retry) throw error;
      const jitter = Math.floor(timing.random() * backoffCeiling(policy, n));
      const delay = Math.max(jitter, verdict.afterMs ?? 0);
      const elapsed = timing.now() - started;
      if (n >= policy.maxAttempts || elapsed + delay > policy.totalMs) {
        throw new RetriesExhausted(
          `${what} failed ${n} time(s) over ${Math.round(elapsed / 1000)} s`,
          n,
          error,
        );
      }
      options.onRetry?.(n, delay, error);
      await timing.sleep(delay);
    }
  }
}

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null | undefined, now: number): number | undefined {
  if (header === null || header === undefined || header.trim() === '') return undefined;
  const seconds = Number(header.trim());
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
