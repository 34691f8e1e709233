/**
 * When the refresher renews, and for how long it keeps trying: pure functions of the clock, so the
 * decisions are tested without waiting.
 */
import type { RetryPolicy } from '../retry.js';

/** Renew at least this long before expiry… */
export const MIN_MARGIN_MS = 30_000;
/** …or this share of the credential's lifetime, whichever is longer… */
export const MARGIN_SHARE = 0.2;
/** …but never before half of the lifetime has passed, nor sooner than this after the last renewal. */
export const MIN_INTERVAL_MS = 1_000;

/**
 * How long before expiry to renew: max(30 s, 20 % of the lifetime), at most half of the lifetime (a
 * token of a few seconds is renewed at half-time, not at once, again and again), never negative.
 */
export function renewalMargin(lifetimeMs: number): number {
  if (!(lifetimeMs > 0)) return 0;
  return Math.min(Math.max(MIN_MARGIN_MS, MARGIN_SHARE * lifetimeMs), lifetimeMs / 2);
}

/** When to renew a credential obtained at `obtainedAt` that expires at `expiresAt` (epoch ms). */
export function nextRenewal(obtainedAt: number, expiresAt: number): number {
  const lifetime = expiresAt - obtainedAt;
  return Math.max(obtainedAt + MIN_INTERVAL_MS, expiresAt - renewalMargin(lifetime));
}

/**
 * Retrying a failed renewal: backoff from 1 s up to 30 s (or a quarter of the time left, when that is
 * shorter), until the current credential expires; then the refresher gives up.
 */
export function retryUntil(expiresAt: number, now: number): RetryPolicy {
  const left = Math.max(0, expiresAt - now);
  return {
    baseMs: Math.min(1_000, Math.max(100, left / 8)),
    maxDelayMs: Math.max(100, Math.min(30_000, left / 4)),
    totalMs: left,
    maxAttempts: 10_000,
  };
}
