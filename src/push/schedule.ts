/**
 * The push itself: `nix copy` of a topologically ordered set of paths, several copies at a time (batches
 * chosen by batches.ts), never a path before its references in the set are in the cache. A failed copy
 * is run again, after a backoff, for what is still missing (Nix skips what arrived); what keeps failing
 * is listed with the reason, and so is everything that references it (never uploaded). A drain bound
 * stops the lot, and a heartbeat says how far it got while it runs.
 */
import { setMaxListeners } from 'node:events';
import type { StreamResult, StreamRunner } from '../system/stream.js';
import { errorMessage } from '../util/errors.js';
import { availableNow, planBatches } from './batches.js';
import { Ledger, type Node } from './ledger.js';
import { type CopyEvent, type CopySizes, NixCopyLog, nixCopyArgs, type NixCopySettings } from './nix-copy.js';
import type { PathInfo, PushOutcome, PushProgress } from './types.js';

/** Concurrent `nix copy` processes when the caller does not say (see bench/push-latency.bench.mjs). */
export { DEFAULT_PUSH_JOBS as DEFAULT_JOBS } from './types.js';
import { DEFAULT_PUSH_JOBS } from './types.js';
export const DEFAULT_ATTEMPTS = 3;
export const DEFAULT_HEARTBEAT_MS = 30_000;
export const DRAIN_BOUND_REACHED = 'drain bound reached';
export const PUSH_STOPPED = 'push stopped';

/** Waits `ms`, or less when `signal` is aborted; never rejects. */
export type Sleep = (ms: number, signal: AbortSignal) => Promise<void>;

export interface PushOptions {
  /** The complete store URL (`compression=`, `secret-key=` … included). */
  readonly url: string;
  /** The environment of `nix copy` (credential files, XDG dirs); the process's when absent. */
  readonly env?: Readonly<Record<string, string>>;
  readonly jobs?: number;
  /** Epoch ms (of `now`) at which running copies are stopped and the rest is given up. */
  readonly deadline: number;
  /** Stops the push early like the drain bound (the rest fails as PUSH_STOPPED; not `timedOut`). */
  readonly signal?: AbortSignal;
  /** Tries per path, the first included (default 3). */
  readonly attempts?: number;
  /** The wait after a path's `failures`-th failed try (default 1 s, 2 s, 4 s … up to 30 s). */
  readonly backoff?: (failures: number) => number;
  readonly heartbeatMs?: number;
  readonly onHeartbeat?: (progress: PushProgress) => void;
  /** Each path as soon as this push has put it in the cache (e.g. to read it back meanwhile). */
  readonly onPushed?: (info: PathInfo) => void;
  /** A line worth the log: a failed copy and what happens next. */
  readonly log?: (line: string) => void;
  readonly run: StreamRunner;
  /** The `nix` command (default `nix`). */
  readonly nix?: string;
  readonly copy?: NixCopySettings;
  readonly now?: () => number;
  readonly sleep?: Sleep;
}

export const defaultBackoff = (failures: number): number => Math.min(30_000, 1000 * 2 ** (failures - 1));

export const realSleep: Sleep = (ms, signal) =>
  new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    signal.addEventListener('abort', done, { once: true });
    if (signal.aborted) done();
  });

interface Batch {
  readonly nodes: readonly Node[];
  readonly log: NixCopyLog;
  readonly controller: AbortController;
  readonly inFlight: Set<string>;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

export async function pushPaths(paths: readonly PathInfo[], opts: PushOptions): Promise<PushOutcome> {
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? realSleep;
  const jobs = Math.max(1, Math.floor(opts.jobs ?? DEFAULT_PUSH_JOBS));
  const attempts = Math.max(1, opts.attempts ?? DEFAULT_ATTEMPTS);
  const backoff = opts.backoff ?? defaultBackoff;
  const started = now();

  const book = new Ledger(paths);
  book.onPushed = opts.onPushed;
  const { order, isDone } = book;
  const sizes = new Map<string, CopySizes>();
  const running = new Set<Batch>();
  const stop = new AbortController();
  setMaxListeners(0, stop.signal); // one per retry timer
  // Until one copy has opened the cache, one at a time: Nix 2.8 copies that register a new cache in the
  // same narinfo disk cache at once fail ("insert or replace into NARs …: constraint failed").
  const status = { timedOut: false, halted: undefined as string | undefined, opened: false };

  // Wakes the main loop; `dirty` keeps a wake-up that comes before the loop waits.
  let dirty = false;
  let wake = (): void => undefined;
  const signal = (): void => {
    dirty = true;
    wake();
  };
  const woken = (): Promise<void> =>
    dirty
      ? Promise.resolve()
      : new Promise((resolve) => {
          wake = resolve;
        });

  const onEvent = (b: Batch, e: CopyEvent): void => {
    const n = e.kind === 'error' || e.kind === 'opened' ? undefined : book.get(e.path);
    if (e.kind === 'opened' && !status.opened) {
      status.opened = true;
      signal();
    } else if (e.kind === 'started') {
      b.inFlight.add(e.path);
      if (n !== undefined) n.tried = true;
    } else if (e.kind === 'copied') {
      b.inFlight.delete(e.path);
      const s = b.log.sizes.get(e.path);
      if (s !== undefined) sizes.set(e.path, s);
      if (n?.state === 'running') book.done(n, false, sizes.get(e.path)?.fileSize);
      signal();
    }
  };

  const finishBatch = (b: Batch, res: StreamResult): void => {
    running.delete(b);
    signal();
    const exited = !res.aborted && !res.timedOut;
    const { result, events } = b.log.finish(res.code, exited);
    for (const e of events) onEvent(b, e);
    for (const p of result.present) {
      const n = book.get(p);
      if (n?.state === 'running') book.done(n, true, sizes.get(p)?.fileSize);
    }
    const stillRunning = (): Node[] => b.nodes.filter((n) => n.state === 'running');
    if (!exited) {
      for (const n of stillRunning()) n.state = 'pending'; // stopped (drain bound, signal)
      return;
    }
    if (stillRunning().length === 0) return;
    const reason = result.errors.at(-1) ?? `nix copy exited with code ${res.code}`;
    for (const r of result.refused) {
      const n = book.get(r.path);
      if (n?.state === 'running' && !book.has(r.reference)) {
        book.fail(n, `the cache lacks its reference ${r.reference}, which is not in this push`);
      }
    }
    const rules = { attempts, backoff, now: now() };
    const { again, delay } = book.retryOrFail(stillRunning(), new Set(result.incomplete), reason, rules);
    const next = again > 0 ? `; ${plural(again, 'path')} tried again in ${(delay / 1000).toFixed(1)} s` : '';
    opts.log?.(`nix copy of ${plural(b.nodes.length, 'path')} failed: ${reason}${next}`);
  };

  const launch = (batch: readonly Node[]): void => {
    const log = new NixCopyLog(batch.map((n) => n.path));
    const b: Batch = { nodes: batch, log, controller: new AbortController(), inFlight: new Set() };
    for (const n of batch) n.state = 'running';
    running.add(b);
    const args = nixCopyArgs(opts.url, log.paths, opts.copy);
    const broke = (error: unknown): void => {
      log.feed(`error: ${errorMessage(error)}`);
      finishBatch(b, { code: 1, timedOut: false, aborted: false, stderrTail: '' });
    };
    try {
      opts
        .run(opts.nix ?? 'nix', args, {
          ...(opts.env === undefined ? {} : { env: opts.env }),
          signal: b.controller.signal,
          onStderrLine: (line) => {
            for (const e of log.feed(line)) onEvent(b, e);
          },
        })
        .then((res) => {
          finishBatch(b, res);
        }, broke);
    } catch (error: unknown) {
      broke(error);
    }
  };

  /** Starts batches on the free jobs; answers how many paths could go now. */
  const schedule = (t: number): number => {
    const free = (status.opened ? jobs : 1) - running.size;
    if (free <= 0) return 0;
    const available = availableNow(order, (n) => n.state === 'pending' && n.notBefore <= t, isDone);
    let runningLoad = 0;
    for (const b of running) for (const n of b.nodes) if (n.state === 'running') runningLoad += n.weight;
    for (const batch of planBatches({ available, isDone, runningLoad, jobs, free })) launch(batch);
    return available.length;
  };

  const progress = (): PushProgress =>
    book.progress(
      [...running].flatMap((b) => [...b.inFlight]),
      now() - started,
    );

  const halt = (reason: string): void => {
    if (status.halted !== undefined || stop.signal.aborted) return;
    status.halted = reason;
    status.timedOut = reason === DRAIN_BOUND_REACHED;
    for (const b of running) b.controller.abort();
    signal();
  };
  const onStop = (): void => {
    halt(PUSH_STOPPED);
  };
  opts.signal?.addEventListener('abort', onStop, { once: true });
  if (opts.signal?.aborted === true) onStop();
  const deadline = (async () => {
    const ms = opts.deadline - now();
    if (ms > 0) await sleep(ms, stop.signal);
    halt(DRAIN_BOUND_REACHED);
  })();
  const heartbeat = (async () => {
    const every = Math.max(1, opts.heartbeatMs ?? DEFAULT_HEARTBEAT_MS);
    for (;;) {
      await sleep(every, stop.signal);
      if (stop.signal.aborted) return;
      opts.onHeartbeat?.(progress());
    }
  })();

  for (;;) {
    dirty = false;
    // One reading of the clock per turn: what may start and what waits for a retry must agree.
    const t = now();
    const available = status.halted === undefined ? schedule(t) : 0;
    const pending = order.filter((n) => n.state === 'pending');
    if (running.size === 0) {
      if (status.halted !== undefined || pending.length === 0) break;
      if (available > 0) continue; // what started ended at once (a runner that could not start)
      if (!pending.some((n) => n.notBefore > t)) {
        // Nothing runs, nothing waits for a retry and nothing can start: references that never arrive.
        for (const n of pending) book.fail(n, 'its references in this push could not be ordered');
        break;
      }
    }
    // Woken for the next retry that falls due, armed afresh on every turn: a timer may fire a moment
    // before `now()` says the retry is due (timers and Date.now() keep different clocks), and a one-shot
    // wake-up would then leave the push waiting for the drain bound.
    const due = Math.min(...pending.map((n) => n.notBefore).filter((at) => at > t));
    const turn = new AbortController();
    if (status.halted === undefined && Number.isFinite(due)) {
      void sleep(due - t, AbortSignal.any([turn.signal, stop.signal])).then(() => {
        if (!turn.signal.aborted) signal();
      });
    }
    await woken();
    turn.abort();
  }
  stop.abort();
  opts.signal?.removeEventListener('abort', onStop);
  await Promise.all([deadline, heartbeat]);
  book.giveUp(status.halted ?? DRAIN_BOUND_REACHED);
  const { pushed, present, failed } = book;
  return { pushed, present, failed, timedOut: status.timedOut, elapsedMs: now() - started };
}
