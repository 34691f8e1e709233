/**
 * Waiting until the Nix daemon answers: `nix store ping` as the job's user through the daemon's
 * socket, polled with a short backoff up to a bound. The loop's decisions take an injected clock.
 */
import { commandError } from '../nix/detect/store.js';
import type { System } from '../system/types.js';

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export const DEFAULT_READY_TIMEOUT_MS = 30_000;
/** Backoff between tries: 100 ms, doubling, at most 1 s. */
const FIRST_DELAY_MS = 100;
const MAX_DELAY_MS = 1000;
/** One ping that hangs (a socket nobody accepts on) must not eat the whole bound. */
const MAX_PING_MS = 10_000;

export function nextDelay(previous: number | undefined): number {
  return previous === undefined ? FIRST_DELAY_MS : Math.min(previous * 2, MAX_DELAY_MS);
}

/** One try: ready, or not yet (why); `final` stops the wait (the daemon process is gone: it will not answer). */
export type Probe =
  { readonly ok: true } | { readonly ok: false; readonly error: string; readonly final?: boolean };

export type WaitOutcome =
  | { readonly ready: true; readonly attempts: number; readonly elapsedMs: number }
  | {
      readonly ready: false;
      readonly attempts: number;
      readonly elapsedMs: number;
      readonly lastError: string;
    };

/** Tries `probe` until it succeeds, says stop, or `timeoutMs` has passed (at least one try, always). */
export async function pollUntilReady(
  probe: (remainingMs: number) => Promise<Probe>,
  clock: Clock,
  timeoutMs: number,
): Promise<WaitOutcome> {
  const start = clock.now();
  let attempts = 0;
  let delay: number | undefined;
  for (;;) {
    attempts++;
    const result = await probe(Math.max(0, timeoutMs - (clock.now() - start)));
    const elapsedMs = clock.now() - start;
    if (result.ok) return { ready: true, attempts, elapsedMs };
    delay = nextDelay(delay);
    if (result.final || elapsedMs + delay > timeoutMs) {
      return { ready: false, attempts, elapsedMs, lastError: result.error };
    }
    await clock.sleep(delay);
  }
}

export const PING_ARGS = ['--extra-experimental-features', 'nix-command', 'store', 'ping'] as const;

/** The job's environment, through the daemon (and its socket when it is not the default one). */
export function pingEnv(
  env: Readonly<Record<string, string | undefined>>,
  socket: string | undefined,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (value !== undefined) out[name] = value;
  out['NIX_REMOTE'] = 'daemon';
  if (socket !== undefined) out['NIX_DAEMON_SOCKET_PATH'] = socket;
  return out;
}

export interface WaitOptions {
  readonly socket?: string | undefined;
  readonly timeoutMs?: number;
  /**
   * Checked after a failed ping: a reason when the daemon can no longer come up (its process is gone),
   * which ends the wait early.
   */
  readonly gone?: () => Promise<string | undefined>;
}

/** Waits until `nix store ping` through the daemon succeeds as the job's user; never throws for a daemon that stays down. */
export async function waitForDaemon(
  deps: { readonly sys: System; readonly clock?: Clock },
  options: WaitOptions = {},
): Promise<WaitOutcome> {
  const { sys } = deps;
  const env = pingEnv(sys.env, options.socket);
  const probe = async (remainingMs: number): Promise<Probe> => {
    const timeoutMs = Math.min(MAX_PING_MS, Math.max(1000, remainingMs));
    const out = await sys.exec.run('nix', [...PING_ARGS], { env, timeoutMs });
    if (out.code === 0) return { ok: true };
    const error = commandError(out.stderr) ?? `nix store ping exited with code ${out.code}`;
    const gone = options.gone ? await options.gone() : undefined;
    return gone === undefined
      ? { ok: false, error }
      : { ok: false, error: `${error} (${gone})`, final: true };
  };
  return pollUntilReady(probe, deps.clock ?? realClock, options.timeoutMs ?? DEFAULT_READY_TIMEOUT_MS);
}
