/**
 * The refresher's loop: sleep until the renewal is due, renew, write, again; retry a failed renewal
 * until the current credential expires. It ends when asked to stop, when the job is over (its
 * lifeline is gone), at the hard cap, or when it gives up. Clock and sleep are injected.
 */
import { errorMessage } from '../../util/errors.js';
import { CredentialError } from '../oidc.js';
import { RetriesExhausted, type RetryTiming, type Verdict, withRetry } from '../retry.js';
import type { CredentialWrite, Renewal } from './renewal.js';
import { nextRenewal, retryUntil } from './schedule.js';

export type LoopEnd = 'stopped' | 'job-over' | 'hard-cap' | 'gave-up';

export interface LoopDeps {
  readonly renewal: Renewal;
  readonly apply: (writes: readonly CredentialWrite[]) => Promise<void>;
  readonly timing: RetryTiming;
  readonly log: (line: string) => void;
  /** False once the job is over (its lifeline is gone). */
  readonly alive: () => boolean;
  /** True once a stop was asked for (SIGTERM). */
  readonly stopping: () => boolean;
  /** No renewal starts after this (epoch ms). */
  readonly deadline: number;
  /** How often a long sleep looks at `alive`/`stopping` (default 5 s). */
  readonly checkEveryMs?: number;
}

export interface LoopResult {
  readonly end: LoopEnd;
  readonly renewals: number;
}

/** Thrown out of a sleep to end the loop. */
class Ended extends Error {
  constructor(readonly end: Exclude<LoopEnd, 'gave-up'>) {
    super(end);
  }
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** Renewal failures worth another try: all but a credential error known to be permanent. */
export const renewalVerdict = (error: unknown): Verdict =>
  error instanceof Ended || (error instanceof CredentialError && !error.transient)
    ? { retry: false }
    : { retry: true };

export async function runRefresher(
  first: { readonly obtainedAt: number; readonly expiresAt: number },
  deps: LoopDeps,
): Promise<LoopResult> {
  const { timing } = deps;
  const slice = deps.checkEveryMs ?? 5_000;
  const check = (): void => {
    if (deps.stopping()) throw new Ended('stopped');
    if (!deps.alive()) throw new Ended('job-over');
    if (timing.now() >= deps.deadline) throw new Ended('hard-cap');
  };
  /** Sleeps until `until` in slices, ending the loop as soon as it should end. */
  const sleepUntil = async (until: number): Promise<void> => {
    check();
    for (let left = until - timing.now(); left > 0; left = until - timing.now()) {
      await timing.sleep(Math.min(left, slice));
      check();
    }
  };
  // Backoff waits of the retries look at the lifeline and stop requests too.
  const retryTiming: RetryTiming = { ...timing, sleep: (ms) => sleepUntil(timing.now() + ms) };

  let current = first;
  let renewals = 0;
  for (;;) {
    try {
      await sleepUntil(Math.min(nextRenewal(current.obtainedAt, current.expiresAt), deps.deadline));
      check();
      const expiring = current.expiresAt;
      const renewed = await withRetry(
        `renewing the ${deps.renewal.what}`,
        async () => {
          const r = await deps.renewal.renew();
          await deps.apply(r.writes);
          return r;
        },
        renewalVerdict,
        {
          policy: retryUntil(expiring, timing.now()),
          timing: retryTiming,
          onRetry: (n, delay, error) => {
            deps.log(
              `renewal attempt ${n} failed: ${errorMessage(error)}; next try in ${Math.round(delay)} ms`,
            );
          },
        },
      );
      const now = timing.now();
      renewals += 1;
      current = { obtainedAt: now, expiresAt: renewed.expiresAt };
      const next = nextRenewal(now, renewed.expiresAt);
      deps.log(
        `renewed the ${deps.renewal.what} (#${renewals}): valid until ${iso(renewed.expiresAt)} ` +
          `(${Math.round((renewed.expiresAt - now) / 1000)} s); next renewal at ${iso(next)}; ` +
          `${renewed.writes.length} file(s) written`,
      );
    } catch (error: unknown) {
      if (error instanceof Ended) return { end: error.end, renewals };
      const why =
        error instanceof RetriesExhausted
          ? `${error.message}, last: ${errorMessage(error.cause)}`
          : errorMessage(error);
      deps.log(`giving up: ${why}; the credential written last expires at ${iso(current.expiresAt)}`);
      return { end: 'gave-up', renewals };
    }
  }
}
