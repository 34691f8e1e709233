/**
 * The push scheduler against a fake `nix copy` (Nix 2.8's behaviour: one path at a time, references first,
 * the first failure ends the run, a path whose reference the cache lacks is refused) on a virtual clock.
 */
import { describe, expect, it } from '@jest/globals';
import { planBatches, type PlanNode } from '../../../src/push/batches.js';
import {
  DRAIN_BOUND_REACHED,
  PUSH_STOPPED,
  pushPaths,
  type PushOptions,
  type Sleep,
} from '../../../src/push/schedule.js';
import type { PathInfo, PushOutcome, PushProgress } from '../../../src/push/types.js';
import type { StreamOptions, StreamResult, StreamRunner } from '../../../src/system/stream.js';

/**
 * A virtual clock: time moves to the next timer only when nothing else can happen. `early`: timers fire
 * that many ms before `now()` says they are due, as node's do now and then (timers keep a monotonic clock
 * rounded to the millisecond, `Date.now()` the wall clock).
 */
class Clock {
  t = 1_000_000;
  private timers: { at: number; fire: () => void }[] = [];
  /** `tick`: each reading of `now()` moves time on this much, as a real clock does between two readings. */
  constructor(
    private readonly early = 0,
    private readonly tick = 0,
  ) {}
  readonly now = (): number => {
    const t = this.t;
    this.t += this.tick;
    return t;
  };
  readonly sleep: Sleep = (ms, signal) =>
    new Promise((resolve) => {
      if (signal.aborted) {
        resolve();
        return;
      }
      const timer = {
        at: this.t + (ms <= 0 ? 0 : Math.max(1, ms - this.early)), // a real timer waits 1 ms at least
        fire: () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = (): void => {
        this.timers = this.timers.filter((x) => x !== timer);
        resolve();
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.timers.push(timer);
    });

  async run<T>(promise: Promise<T>): Promise<T> {
    const state = { settled: false };
    const settle = (): void => {
      state.settled = true;
    };
    promise.then(settle, settle);
    for (let step = 0; step < 100_000; step++) {
      for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
      if (state.settled) return promise;
      if (this.timers.length === 0) throw new Error('stuck: nothing runs and no timer is set');
      this.t = Math.max(this.t, Math.min(...this.timers.map((x) => x.at)));
      const due = this.timers.filter((x) => x.at <= this.t);
      this.timers = this.timers.filter((x) => x.at > this.t);
      for (const x of due) x.fire();
    }
    throw new Error('too many steps');
  }
}

type Fault = 'fail' | 'fail-after-upload' | 'hang' | undefined;

interface Run {
  readonly paths: string[];
  readonly start: number;
  end?: number;
  result?: StreamResult;
}

interface FakeOptions {
  readonly infos: readonly PathInfo[];
  /** Already in the cache (out-of-push references included). */
  readonly cached?: Iterable<string>;
  /** What happens when the `attempt`-th upload of `path` begins (attempts count from 1). */
  readonly fault?: (path: string, attempt: number) => Fault;
  /** The cache cannot be reached in this run (runs count from 1). */
  readonly down?: (run: number) => boolean;
  readonly startMs?: number;
  readonly perPathMs?: number;
}

const URL_ = 'http://cache.test';
/** Read through a call: the linter takes `signal.aborted` for constant between two awaits. */
const isAborted = (signal: AbortSignal): boolean => signal.aborted;
const line = (value: object): string => `@nix ${JSON.stringify(value)}`;
const hash = (p: string): string => p.slice('/nix/store/'.length, '/nix/store/'.length + 32);

/** A fake `nix copy --no-recursive` over an in-memory cache, recording uploads and every run. */
function fakeNix(clock: Clock, fake: FakeOptions) {
  const refs = new Map(fake.infos.map((i) => [i.path, i.references]));
  const cache = new Set(fake.cached ?? []);
  const uploads: string[] = [];
  const violations: string[] = [];
  const tries = new Map<string, number>();
  const runs: Run[] = [];
  let concurrent = 0;
  let maxConcurrent = 0;
  let nextId = 1;

  const copy = async (paths: string[], o: StreamOptions): Promise<StreamResult> => {
    const signal = o.signal ?? new AbortController().signal;
    const emit = (value: object): void => o.onStderrLine?.(line(value));
    const aborted: StreamResult = { code: 143, timedOut: false, aborted: true, stderrTail: '' };
    const error = (msg: string): StreamResult => {
      emit({ action: 'msg', level: 0, msg: `error: ${msg}`, raw_msg: msg });
      return { code: 1, timedOut: false, aborted: false, stderrTail: msg };
    };
    await clock.sleep(fake.startMs ?? 20, signal);
    if (isAborted(signal)) return aborted;
    if (fake.down?.(runs.length) === true) {
      return error(`unable to download '${URL_}/nix-cache-info': Couldn't connect to server (7)`);
    }
    for (const p of paths)
      emit({ action: 'start', id: nextId++, type: 109, fields: [p, URL_], text: 'querying' });
    const missing = paths.filter((p) => !cache.has(p));
    emit({ action: 'start', id: nextId++, type: 103, text: `copying ${missing.length} paths` });
    for (const p of missing) {
      const id = nextId++;
      emit({ action: 'start', id, type: 100, fields: [p, 'daemon', URL_], text: `copying path '${p}'` });
      emit({
        action: 'msg',
        level: 4,
        msg: `copying path '${p}' (1000 bytes, compressed 75.0% in 1 ms) to binary cache`,
      });
      await clock.sleep(fake.perPathMs ?? 10, signal);
      if (isAborted(signal)) return aborted;
      const attempt = (tries.get(p) ?? 0) + 1;
      tries.set(p, attempt);
      const fault = fake.fault?.(p, attempt);
      if (fault === 'hang') {
        await clock.sleep(1e12, signal);
        return aborted;
      }
      emit({ action: 'stop', id });
      if (fault === 'fail') return error(`unable to upload '${URL_}/nar/${hash(p)}.nar.zst': HTTP error 500`);
      const lacking = (refs.get(p) ?? []).find((r) => r !== p && !cache.has(r));
      if (lacking !== undefined) {
        if (paths.includes(lacking) || refs.has(lacking)) violations.push(`${p} before ${lacking}`);
        return error(`cannot add '${p}' to the binary cache because the reference '${lacking}' is not valid`);
      }
      cache.add(p);
      uploads.push(p);
      const up = nextId++;
      emit({ action: 'start', id: up, type: 101, fields: [`${URL_}/${hash(p)}.narinfo`], text: 'uploading' });
      emit({ action: 'stop', id: up });
      if (fault === 'fail-after-upload')
        return error(`unable to upload '${URL_}/${hash(p)}.narinfo': HTTP error 502`);
    }
    return { code: 0, timedOut: false, aborted: false, stderrTail: '' };
  };

  const run: StreamRunner = async (command, args, o = {}) => {
    expect(command).toBe('nix');
    expect(args.slice(0, 6)).toEqual([
      'copy',
      '--extra-experimental-features',
      'nix-command',
      '--no-recursive',
      '--to',
      URL_,
    ]);
    const record: Run = { paths: args.filter((a) => a.startsWith('/nix/store/')), start: clock.now() };
    runs.push(record);
    maxConcurrent = Math.max(maxConcurrent, ++concurrent);
    const result = await copy(record.paths, o);
    concurrent -= 1;
    record.end = clock.now();
    record.result = result;
    return result;
  };
  return { run, cache, uploads, violations, runs, tries, maxConcurrent: () => maxConcurrent };
}

const storePath = (i: number): string =>
  `/nix/store/${String(i)
    .padStart(32, '0')
    .replace(/[eotu]/g, 'a')}-p${i}`;

/** Paths 0..n-1 with the given references (indices), in order. */
function graph(n: number, refsOf: (i: number) => number[], narSize = (_i: number) => 1000): PathInfo[] {
  return Array.from({ length: n }, (_, i) => ({
    path: storePath(i),
    narHash: 'sha256:x',
    narSize: narSize(i),
    references: [storePath(i), ...refsOf(i).map(storePath)],
  }));
}

/** mulberry32 */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function push(
  infos: readonly PathInfo[],
  fake: Omit<FakeOptions, 'infos'> = {},
  opts: Partial<PushOptions> = {},
  clock = new Clock(),
): Promise<{ outcome: PushOutcome; nix: ReturnType<typeof fakeNix>; clock: Clock; logs: string[] }> {
  const nix = fakeNix(clock, { infos, ...fake });
  const logs: string[] = [];
  const outcome = await clock.run(
    pushPaths(infos, {
      url: URL_,
      deadline: clock.now() + 3_600_000,
      run: nix.run,
      now: clock.now,
      sleep: clock.sleep,
      backoff: (f) => f * 1000,
      log: (l) => logs.push(l),
      ...opts,
    }),
  );
  return { outcome, nix, clock, logs };
}

const paths = (infos: readonly PathInfo[]): string[] => infos.map((i) => i.path);
const sorted = (xs: readonly string[]): string[] => [...xs].sort();

describe('pushPaths', () => {
  it('never uploads a path before its references, over random graphs, jobs and transient failures', async () => {
    for (let seed = 1; seed <= 40; seed++) {
      const rnd = random(seed);
      const n = 10 + Math.floor(rnd() * 70);
      const density = 0.02 + rnd() * 0.25;
      const infos = graph(
        n,
        (i) => Array.from({ length: i }, (_, j) => j).filter(() => rnd() < density),
        () => Math.floor(rnd() * 40_000_000),
      );
      const jobs = 1 + Math.floor(rnd() * 8);
      const flaky = new Set(paths(infos).filter(() => rnd() < 0.1));
      // Every other graph on a clock that moves between readings and whose timers fire early.
      const uneven = seed % 2 === 0;
      const { outcome, nix } = await push(
        infos,
        { fault: (p, a) => (flaky.has(p) && a === 1 ? 'fail' : undefined) },
        { jobs },
        uneven ? new Clock(2, 1) : new Clock(),
      );
      const context = `seed ${seed}: ${n} paths, ${jobs} jobs${uneven ? ', uneven clock' : ''}`;
      expect({ context, violations: nix.violations }).toEqual({ context, violations: [] });
      expect({ context, failed: outcome.failed }).toEqual({ context, failed: [] });
      expect(sorted(outcome.pushed.map((p) => p.path))).toEqual(sorted(paths(infos)));
      expect(sorted(nix.uploads)).toEqual(sorted(paths(infos))); // each exactly once
      const at = new Map(nix.uploads.map((p, i) => [p, i]));
      for (const info of infos) {
        for (const r of info.references)
          if (r !== info.path) expect(at.get(r)!).toBeLessThan(at.get(info.path)!);
      }
      expect(nix.maxConcurrent()).toBeLessThanOrEqual(jobs);
    }
  });

  it('with one job runs exactly one nix copy of everything, in the given order', async () => {
    const infos = graph(30, (i) => (i % 3 === 0 ? [] : [i - 1]));
    const { outcome, nix } = await push(infos, {}, { jobs: 1 });
    expect(nix.runs.map((r) => r.paths)).toEqual([paths(infos)]);
    expect(outcome).toMatchObject({ present: [], failed: [], timedOut: false });
    expect(outcome.pushed[0]).toEqual({ path: storePath(0), narSize: 1000, fileSize: 250 });
  });

  it('shares independent paths among the jobs in big batches, the first one alone until the cache is open', async () => {
    const infos = graph(400, () => []);
    const { outcome, nix } = await push(infos, { perPathMs: 10 }, { jobs: 4 });
    expect(outcome.pushed).toHaveLength(400);
    expect(nix.runs.map((r) => r.paths.length)).toEqual([100, 100, 100, 100]);
    const [first, ...others] = nix.runs;
    for (const r of others) expect(r.start).toBeGreaterThan(first!.start);
    expect(Math.max(...nix.runs.map((r) => r.end!)) - first!.start).toBeLessThan(1100 + 100);
  });

  it('starts the dependents of a shared base on free jobs as soon as the base is in the cache', async () => {
    const infos = graph(31, (i) => (i === 0 ? [] : [0]));
    const { outcome, nix } = await push(infos, { perPathMs: 100, startMs: 20 }, { jobs: 4 });
    expect(outcome.pushed).toHaveLength(31);
    const [first, ...others] = nix.runs;
    expect(first!.paths[0]).toBe(storePath(0));
    expect(others.length).toBeGreaterThanOrEqual(3);
    for (const r of others) {
      expect(r.paths).not.toContain(storePath(0));
      expect(r.start).toBeLessThan(first!.end!); // overlapped, not after it
    }
    expect(nix.violations).toEqual([]);
  });

  it('keeps a chain in one copy whatever the jobs', async () => {
    const infos = graph(20, (i) => (i === 0 ? [] : [i - 1]));
    const { nix } = await push(infos, {}, { jobs: 8 });
    expect(nix.runs.map((r) => r.paths)).toEqual([paths(infos)]);
  });

  it('runs a failed copy again after the backoff for what is missing, and says so', async () => {
    const infos = graph(6, (i) => (i === 0 ? [] : [i - 1]));
    const x = storePath(2);
    const { outcome, nix, logs } = await push(
      infos,
      { fault: (p, a) => (p === x && a <= 2 ? 'fail' : undefined) },
      { jobs: 1 },
    );
    expect(outcome.failed).toEqual([]);
    expect(outcome.pushed.map((p) => p.path)).toEqual(paths(infos));
    expect(nix.runs.map((r) => r.paths)).toEqual([
      paths(infos),
      paths(infos).slice(2),
      paths(infos).slice(2),
    ]);
    expect(nix.runs[1]!.start - nix.runs[0]!.end!).toBe(1000);
    expect(nix.runs[2]!.start - nix.runs[1]!.end!).toBe(2000);
    expect(logs[0]).toBe(
      `nix copy of 6 paths failed: unable to upload '${URL_}/nar/${hash(x)}.nar.zst': HTTP error 500; 4 paths tried again in 1.0 s`,
    );
  });

  it('retries when the backoff timer fires a millisecond before the retry is due, never stalls', async () => {
    const infos = graph(4, (i) => (i === 0 ? [] : [i - 1]));
    const x = storePath(1);
    const { outcome, nix } = await push(
      infos,
      { fault: (p, a) => (p === x && a === 1 ? 'fail' : undefined) },
      { jobs: 2, backoff: () => 300, heartbeatMs: 1000 },
      new Clock(1),
    );
    expect({ timedOut: outcome.timedOut, failed: outcome.failed }).toEqual({ timedOut: false, failed: [] });
    expect(outcome.pushed.map((p) => p.path)).toEqual(paths(infos));
    expect(nix.runs[1]!.start - nix.runs[0]!.end!).toBeLessThanOrEqual(301); // not the next heartbeat
  });

  it('retries when the clock moves on between two readings at the moment a retry falls due', async () => {
    const infos = graph(4, (i) => (i === 0 ? [] : [i - 1]));
    const x = storePath(1);
    const { outcome, nix } = await push(
      infos,
      { fault: (p, a) => (p === x && a === 1 ? 'fail' : undefined) },
      { jobs: 2, backoff: () => 300, heartbeatMs: 1000 },
      new Clock(2, 1),
    );
    expect({ timedOut: outcome.timedOut, failed: outcome.failed }).toEqual({ timedOut: false, failed: [] });
    expect(outcome.pushed.map((p) => p.path)).toEqual(paths(infos));
    expect(nix.runs).toHaveLength(2);
  });

  it('counts a path it uploaded in a failed copy as pushed when the retry finds it in the cache', async () => {
    const infos = graph(2, () => []);
    const [a, b] = paths(infos);
    const { outcome, nix } = await push(
      infos,
      { fault: (p, n) => (p === a && n === 1 ? 'fail-after-upload' : undefined) },
      { jobs: 1 },
    );
    expect(nix.uploads).toEqual([a, b]);
    expect(sorted(outcome.pushed.map((p) => p.path))).toEqual(sorted([a!, b!]));
    expect(outcome.present).toEqual([]);
  });

  it('lists a path that keeps failing, and fails what references it without uploading it', async () => {
    // 0 <- 1 <- 2, 3 independent, 4 refs 3 and 1
    const infos = graph(5, (i) => [[], [0], [1], [], [3, 1]][i]!);
    const x = storePath(1);
    const { outcome, nix } = await push(infos, { fault: (p) => (p === x ? 'fail' : undefined) }, { jobs: 2 });
    expect(nix.tries.get(x)).toBe(3);
    expect(sorted(outcome.pushed.map((p) => p.path))).toEqual(sorted([storePath(0), storePath(3)]));
    expect(outcome.failed).toEqual(
      expect.arrayContaining([
        { path: x, reason: `unable to upload '${URL_}/nar/${hash(x)}.nar.zst': HTTP error 500` },
        { path: storePath(2), reason: `a reference failed: ${x}` },
        { path: storePath(4), reason: `a reference failed: ${x}` },
      ]),
    );
    expect(outcome.failed).toHaveLength(3);
    expect(nix.uploads).not.toContain(storePath(2));
    expect(nix.uploads).not.toContain(storePath(4));
  });

  it('fails at once a path whose reference outside the push is not in the cache', async () => {
    const outside = '/nix/store/zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz-upstream';
    const infos: PathInfo[] = [
      { path: storePath(0), narHash: 'x', narSize: 1, references: [outside] },
      { path: storePath(1), narHash: 'x', narSize: 1, references: [storePath(0)] },
    ];
    const { outcome, nix } = await push(infos, {}, { jobs: 1 });
    expect(nix.runs).toHaveLength(1);
    expect(outcome.failed).toEqual([
      { path: storePath(0), reason: `the cache lacks its reference ${outside}, which is not in this push` },
      { path: storePath(1), reason: `a reference failed: ${storePath(0)}` },
    ]);
  });

  it('tells onPushed of each uploaded path as it lands, never of one the cache had', async () => {
    const infos = graph(6, (i) => (i === 0 ? [] : [i - 1]));
    const told: string[] = [];
    const { outcome } = await push(
      infos,
      { cached: [storePath(0)] },
      { jobs: 2, onPushed: (p) => told.push(p.path) },
    );
    expect(told).toEqual(outcome.pushed.map((p) => p.path));
    expect(told).not.toContain(storePath(0));
    expect(told).toHaveLength(5);
  });

  it('reports what the cache already had as present', async () => {
    const infos = graph(4, () => []);
    const { outcome } = await push(infos, { cached: [storePath(1), storePath(3)] }, { jobs: 2 });
    expect(sorted(outcome.present)).toEqual([storePath(1), storePath(3)]);
    expect(sorted(outcome.pushed.map((p) => p.path))).toEqual([storePath(0), storePath(2)]);
  });

  it('gives up quickly on a cache that cannot be reached', async () => {
    const infos = graph(10, (i) => (i === 0 ? [] : [0]));
    const { outcome, nix, clock } = await push(infos, { down: () => true }, { jobs: 4, attempts: 3 });
    expect(nix.runs).toHaveLength(3);
    expect(outcome.pushed).toEqual([]);
    expect(outcome.failed).toHaveLength(10);
    expect(outcome.failed[0]!.reason).toMatch(/Couldn't connect to server/);
    expect(outcome.elapsedMs).toBe(3 * 20 + 1000 + 2000);
    expect(clock.now()).toBeGreaterThan(0);
  });

  it('stops at the drain bound: running copies killed, the rest failed, heartbeats all along', async () => {
    const infos = graph(6, () => []);
    const beats: { at: number; p: PushProgress }[] = [];
    const clock0 = new Clock();
    const { outcome, nix } = await push(
      infos,
      { fault: (p) => (p === storePath(1) ? 'hang' : undefined), perPathMs: 100 },
      {
        jobs: 1,
        deadline: clock0.t + 60_000,
        heartbeatMs: 30_000,
        onHeartbeat: (p) => beats.push({ at: p.elapsedMs, p }),
      },
    );
    expect(outcome.timedOut).toBe(true);
    expect(outcome.elapsedMs).toBe(60_000);
    expect(outcome.pushed.map((p) => p.path)).toEqual([storePath(0)]);
    expect(outcome.failed).toEqual(
      paths(infos)
        .slice(1)
        .map((path) => ({ path, reason: DRAIN_BOUND_REACHED })),
    );
    expect(nix.runs[0]!.result).toMatchObject({ aborted: true });
    expect(beats.map((b) => b.at)).toEqual([30_000, 60_000]);
    expect(beats[0]!.p).toMatchObject({
      done: 1,
      total: 6,
      bytesDone: 1000,
      bytesTotal: 6000,
      inFlight: [storePath(1)],
    });
  });

  it('stops when its signal is aborted: running copies killed, the rest failed as stopped', async () => {
    const infos = graph(10, () => []);
    const controller = new AbortController();
    const { outcome, nix } = await push(
      infos,
      { perPathMs: 100 },
      {
        jobs: 1,
        signal: controller.signal,
        heartbeatMs: 250,
        onHeartbeat: () => {
          controller.abort();
        },
      },
    );
    expect(outcome.timedOut).toBe(false);
    expect(outcome.elapsedMs).toBe(250);
    expect(outcome.pushed.map((p) => p.path)).toEqual([storePath(0), storePath(1)]); // 20 + 2 × 100 ms
    expect(outcome.failed).toEqual(
      paths(infos)
        .slice(2)
        .map((path) => ({ path, reason: PUSH_STOPPED })),
    );
    expect(nix.runs[0]!.result).toMatchObject({ aborted: true });
  });

  it('gives up everything at once when the drain bound has already passed', async () => {
    const clock0 = new Clock();
    const infos = graph(3, () => []);
    const { outcome, nix } = await push(infos, {}, { deadline: clock0.t - 1 });
    expect(nix.runs).toEqual([]);
    expect(outcome).toMatchObject({ timedOut: true, pushed: [], present: [] });
    expect(outcome.failed).toHaveLength(3);
  });

  it('beats at every heartbeat interval while it runs, progress growing', async () => {
    const infos = graph(
      30,
      (i) => (i === 0 ? [] : [i - 1]),
      () => 2000,
    );
    const beats: PushProgress[] = [];
    const { outcome } = await push(
      infos,
      { perPathMs: 100 },
      { jobs: 2, heartbeatMs: 500, onHeartbeat: (p) => beats.push(p) },
    );
    expect(outcome.elapsedMs).toBe(20 + 30 * 100);
    expect(beats.map((b) => b.elapsedMs)).toEqual([500, 1000, 1500, 2000, 2500, 3000]);
    const done = beats.map((b) => b.done);
    expect([...done].sort((a, b) => a - b)).toEqual(done);
    expect(beats[1]).toMatchObject({ total: 30, bytesTotal: 60_000, bytesDone: done[1]! * 2000 });
    expect(beats[1]!.inFlight).toHaveLength(1);
  });

  it('does nothing for nothing', async () => {
    const { outcome, nix } = await push([], {});
    expect(nix.runs).toEqual([]);
    expect(outcome).toEqual({ pushed: [], present: [], failed: [], timedOut: false, elapsedMs: 0 });
  });

  it('survives a runner that throws', async () => {
    const infos = graph(2, () => []);
    const clock = new Clock();
    const outcome = await clock.run(
      pushPaths(infos, {
        url: URL_,
        deadline: clock.now() + 1000,
        attempts: 2,
        backoff: () => 10,
        now: clock.now,
        sleep: clock.sleep,
        run: () => {
          throw new Error('spawn went wrong');
        },
      }),
    );
    expect(outcome.failed).toEqual(paths(infos).map((path) => ({ path, reason: 'spawn went wrong' })));
  });
});

describe('planBatches', () => {
  const nodes = (n: number, refsOf: (i: number) => number[], weight = (_i: number) => 1): PlanNode[] =>
    Array.from({ length: n }, (_, i) => ({
      path: `p${i}`,
      refs: refsOf(i).map((j) => `p${j}`),
      weight: weight(i),
    }));
  const none = (): boolean => false;
  const names = (batches: PlanNode[][]): string[][] => batches.map((b) => b.map((n) => n.path));

  it('splits independent paths evenly, counting what running copies still have', () => {
    const available = nodes(8, () => []);
    expect(names(planBatches({ available, isDone: none, runningLoad: 0, jobs: 4, free: 4 }))).toEqual([
      ['p0', 'p4'],
      ['p1', 'p5'],
      ['p2', 'p6'],
      ['p3', 'p7'],
    ]);
    // 8 available + 8 running over 4 jobs: each of the 2 free jobs gets 4, the rest waits.
    expect(
      planBatches({ available, isDone: none, runningLoad: 8, jobs: 4, free: 2 }).map((b) => b.length),
    ).toEqual([4, 4]);
  });

  it('weighs big NARs: a heavy path gets a batch to itself', () => {
    const available = nodes(
      5,
      () => [],
      (i) => (i === 0 ? 4 : 1),
    );
    expect(names(planBatches({ available, isDone: none, runningLoad: 0, jobs: 2, free: 2 }))).toEqual([
      ['p0'],
      ['p1', 'p2', 'p3', 'p4'],
    ]);
  });

  it('puts a dependent with the batch of its references, never across batches', () => {
    // p2 needs p0 and p1, which start different batches: it waits.
    const available = nodes(4, (i) => [[], [], [0, 1], [0]][i]!);
    expect(names(planBatches({ available, isDone: none, runningLoad: 0, jobs: 2, free: 2 }))).toEqual([
      ['p0', 'p3'],
      ['p1'],
    ]);
    const done = (p: string): boolean => p === 'p1';
    const later = nodes(3, (i) => [[], [], [0, 1]][i]!).filter((n) => n.path !== 'p1');
    expect(names(planBatches({ available: later, isDone: done, runningLoad: 0, jobs: 2, free: 2 }))).toEqual([
      ['p0', 'p2'],
    ]);
  });

  it('respects the command-line bound', () => {
    const available = nodes(5, () => []);
    const batches = planBatches({
      available,
      isDone: none,
      runningLoad: 0,
      jobs: 1,
      free: 1,
      maxPerBatch: 2,
    });
    expect(names(batches)).toEqual([['p0', 'p1']]);
  });

  it('starts nothing without a free job or work', () => {
    expect(
      planBatches({ available: nodes(2, () => []), isDone: none, runningLoad: 0, jobs: 2, free: 0 }),
    ).toEqual([]);
    expect(planBatches({ available: [], isDone: none, runningLoad: 0, jobs: 2, free: 2 })).toEqual([]);
  });
});
