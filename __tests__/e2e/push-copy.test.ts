/**
 * The copier for real: pushPaths running Nix 2.8's `nix copy` (through the daemon, as root) of freshly
 * built throwaway paths into the test binary cache. The request log shows each path's NAR and narinfo
 * uploaded once, a narinfo only after its references are complete; a 500 and a 429 mid-push are retried;
 * a cache that is down fails fast; a hanging cache is cut at the drain bound with heartbeats all along.
 */
import { afterEach, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DRAIN_BOUND_REACHED, pushPaths, type PushOptions } from '../../src/push/schedule.js';
import type { PathInfo, PushOutcome, PushProgress } from '../../src/push/types.js';
import { streamCommand, type StreamRunner } from '../../src/system/stream.js';
import { startCacheServer, type CacheServer } from '../servers/cache.js';
import type { RequestRecord } from '../servers/http.js';
import { describeE2E } from '../testbed/e2e.js';

const run = promisify(execFile);
const TOKEN = 'push-copy-writer-0123456789';
/** Path i references these earlier paths: two roots, a diamond, a chain and a late join. */
const DEPS = [[], [], [0, 1], [2], [0], [3, 4], [], [6, 5]];
const EXPR = `{ salt, deps }:
let
  drvs = builtins.genList (i: derivation {
    name = "nca-push-copy-\${toString i}";
    system = builtins.currentSystem;
    builder = "/bin/sh";
    args = [ "-c" "echo \${salt} \${toString i} \${toString (map (j: builtins.elemAt drvs j) (builtins.elemAt deps i))} > $out" ];
  }) (builtins.length deps);
in drvs
`;

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

interface Bed {
  readonly work: string;
  readonly env: Record<string, string>;
  readonly netrc: string;
}

async function bed(): Promise<Bed> {
  const work = await mkdtemp(join(tmpdir(), 'nca-push-copy-'));
  cleanups.push(() => rm(work, { recursive: true, force: true }));
  const netrc = join(work, 'netrc');
  await writeFile(netrc, `machine 127.0.0.1 login nix password ${TOKEN}\n`, { mode: 0o600 });
  // A private narinfo disk cache: ports are reused between test caches.
  const env = {
    ...(process.env as Record<string, string>),
    NIX_REMOTE: 'daemon',
    XDG_CACHE_HOME: join(work, 'xdg'),
  };
  return { work, env, netrc };
}

/** Builds never-seen paths of DEPS; their path infos in build order (references first). */
async function buildPaths(b: Bed, deps: number[][] = DEPS): Promise<PathInfo[]> {
  const file = join(b.work, 'paths.nix');
  await writeFile(file, EXPR);
  const salt = randomBytes(8).toString('hex');
  const depsExpr = `[ ${deps.map((d) => `[ ${d.join(' ')} ]`).join(' ')} ]`;
  const built = await run(
    'nix-build',
    [file, '--argstr', 'salt', salt, '--arg', 'deps', depsExpr, '--no-out-link'],
    {
      env: b.env,
    },
  );
  const paths = built.stdout.trim().split('\n');
  expect(paths).toHaveLength(deps.length);
  const info = await run('nix', ['path-info', '--json', ...paths], { env: b.env, maxBuffer: 16 << 20 });
  const byPath = new Map((JSON.parse(info.stdout) as PathInfo[]).map((i) => [i.path, i]));
  return paths.map((p) => byPath.get(p)!);
}

async function startCache(): Promise<CacheServer> {
  const cache = await startCacheServer({
    tokens: [{ token: TOKEN, read: true, write: true, name: 'writer' }],
  });
  cleanups.push(() => cache.close());
  return cache;
}

/** What a failed expectation shows: each `nix copy`'s messages and the cache's request log, timed. */
interface Trace {
  readonly run: StreamRunner;
  readonly show: (cache: CacheServer, logs?: readonly string[]) => Record<string, readonly string[]>;
}

function trace(): Trace {
  const t0 = performance.now();
  const at = (t: number | undefined): string => (t === undefined ? '…' : (t - t0).toFixed(0));
  const lines: string[] = [];
  let copies = 0;
  const run: StreamRunner = async (command, args, options = {}) => {
    const n = ++copies;
    lines.push(
      `${at(performance.now())} copy ${n}: ${args.filter((a) => a.startsWith('/nix/store/')).length} paths`,
    );
    const res = await streamCommand(command, args, {
      ...options,
      onStderrLine: (line) => {
        if (/"action":"(msg|start)"/.test(line))
          lines.push(`${at(performance.now())} copy ${n}: ${line.slice(0, 240)}`);
        options.onStderrLine?.(line);
      },
    });
    lines.push(`${at(performance.now())} copy ${n}: exit ${res.code}${res.aborted ? ' (stopped)' : ''}`);
    return res;
  };
  const show = (cache: CacheServer, logs: readonly string[] = []): Record<string, readonly string[]> => ({
    log: logs,
    copies: lines,
    requests: cache.http.requests.map(
      (r) =>
        `${at(r.start)}–${at(r.end)} ${r.method} ${r.path} ${r.status}${r.fault === undefined ? '' : ` (${r.fault})`}`,
    ),
  });
  return { run, show };
}

/** Expects a push with nothing failed and no drain bound; on failure shows the trace. */
function expectComplete(outcome: PushOutcome, diagnosis: () => Record<string, readonly string[]>): void {
  const ok = outcome.failed.length === 0 && !outcome.timedOut;
  expect({
    failed: outcome.failed,
    timedOut: outcome.timedOut,
    ...(ok ? {} : { diagnosis: diagnosis() }),
  }).toEqual({ failed: [], timedOut: false });
}

function push(
  b: Bed,
  url: string,
  infos: readonly PathInfo[],
  opts: Partial<PushOptions> = {},
): Promise<PushOutcome> {
  return pushPaths(infos, {
    url: `${url}?compression=zstd`,
    env: b.env,
    jobs: 4,
    deadline: Date.now() + 60_000,
    run: streamCommand,
    copy: { extraArgs: ['--option', 'netrc-file', b.netrc] },
    backoff: () => 300,
    ...opts,
  });
}

const hashOf = (p: string): string => p.slice('/nix/store/'.length, '/nix/store/'.length + 32);
const puts = (cache: CacheServer, path: string): RequestRecord[] =>
  cache.http.requests.filter((r) => r.method === 'PUT' && r.path === path);
const uploaded = (cache: CacheServer, path: string): RequestRecord => {
  const ok = puts(cache, path).filter((r) => r.status === 201);
  expect({ path, uploads: ok.length }).toEqual({ path, uploads: 1 });
  return ok[0]!;
};

/** Each path's NAR and narinfo went up once; a narinfo only after its references' NAR and narinfo. */
function expectOrderedUploads(cache: CacheServer, infos: readonly PathInfo[]): void {
  const narOf = new Map(cache.narinfos().map((n) => [n.storePath, `/${n.url}`]));
  const narinfo = new Map(infos.map((i) => [i.path, uploaded(cache, `/${hashOf(i.path)}.narinfo`)]));
  const nar = new Map(infos.map((i) => [i.path, uploaded(cache, narOf.get(i.path)!)]));
  for (const info of infos) {
    const mine = narinfo.get(info.path)!;
    expect(nar.get(info.path)!.end!).toBeLessThanOrEqual(mine.start);
    for (const ref of info.references) {
      if (ref === info.path || !narinfo.has(ref)) continue;
      expect(narinfo.get(ref)!.end!).toBeLessThanOrEqual(mine.start);
      expect(nar.get(ref)!.end!).toBeLessThanOrEqual(mine.start);
    }
  }
}

/** `nix` processes still running whose command line names `text`. */
function processesNaming(text: string): number[] {
  const found: number[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (cmdline.includes(text) && !/^\d+ \(.*\) [ZX]/.test(stat)) found.push(Number(pid));
    } catch {
      // gone
    }
  }
  return found;
}

describeE2E('pushPaths with the real nix copy', () => {
  it('uploads each path once, references first, and finds them present the second time', async () => {
    const b = await bed();
    const infos = await buildPaths(b);
    const cache = await startCache();
    const t = trace();
    const outcome = await push(b, cache.url, infos, { run: t.run });
    expectComplete(outcome, () => t.show(cache));
    expect(outcome.present).toEqual([]);
    expect(outcome.pushed.map((p) => p.path).sort()).toEqual(infos.map((i) => i.path).sort());
    for (const info of infos) expect(cache.has(info.path)).toBe(true);
    expectOrderedUploads(cache, infos);
    const narOf = new Map(cache.narinfos().map((n) => [n.storePath, n]));
    for (const p of outcome.pushed) {
      const info = narOf.get(p.path)!;
      expect(p.narSize).toBe(info.narSize);
      expect(Math.abs(p.fileSize! - info.fileSize!)).toBeLessThanOrEqual(1); // from Nix's "compressed X%"
    }

    cache.clearLog();
    const again = await push(b, cache.url, infos);
    expect(again).toMatchObject({ pushed: [], failed: [] });
    expect(again.present.slice().sort()).toEqual(infos.map((i) => i.path).sort());
    expect(cache.http.requests.filter((r) => r.method === 'PUT')).toEqual([]);
  });

  it('retries a 500 and a 429 mid-push and gets everything there, Nix never left hanging', async () => {
    const b = await bed();
    const infos = await buildPaths(b);
    const cache = await startCache();
    let narPuts = 0;
    cache.http.fault({
      kind: 'status',
      status: 500,
      match: (r) => r.method === 'PUT' && r.path.startsWith('/nar/') && ++narPuts === 3,
    });
    cache.http.fault({
      kind: 'retry-after',
      status: 429,
      seconds: 1,
      match: /^PUT \/[0-9a-z]{32}\.narinfo$/,
    });
    const logs: string[] = [];
    const t = trace();
    const outcome = await push(b, cache.url, infos, { log: (l) => logs.push(l), run: t.run });
    expectComplete(outcome, () => t.show(cache, logs));
    expect(outcome.pushed).toHaveLength(infos.length);
    expect(cache.http.pendingFaults).toBe(0);
    const statuses = cache.http.requests.filter((r) => r.method === 'PUT').map((r) => r.status);
    expect(statuses).toContain(500);
    expect(statuses).toContain(429);
    expect(statuses).not.toContain(0); // no upload stalled (Nix's own retry would send no body)
    expect(logs.join('\n')).toMatch(/HTTP error 500/);
    expect(logs.join('\n')).toMatch(/HTTP error 429/);
    expectOrderedUploads(cache, infos);
  });

  it('fails every path quickly when the cache is down', async () => {
    const b = await bed();
    const infos = await buildPaths(b);
    const port = 1; // privileged, never handed out as an ephemeral port: nothing listens there
    const started = Date.now();
    const outcome = await push(b, `http://127.0.0.1:${port}`, infos, { deadline: Date.now() + 30_000 });
    expect({ took: Date.now() - started, outcome }).toMatchObject({
      took: expect.any(Number),
      outcome: { timedOut: false },
    });
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(outcome.pushed).toEqual([]);
    expect(outcome.failed).toHaveLength(infos.length);
    expect(outcome.failed.map((f) => f.reason).join('\n')).toMatch(/Couldn't connect to server/);
    expect(outcome.timedOut).toBe(false);
  });

  it('cuts a hanging cache at the drain bound, with heartbeats, and leaves no nix copy behind', async () => {
    const b = await bed();
    const infos = await buildPaths(b);
    const cache = await startCache();
    cache.http.fault({ kind: 'hang', match: /^PUT /, times: 1000 });
    const beats: PushProgress[] = [];
    const started = Date.now();
    const outcome = await push(b, cache.url, infos, {
      deadline: started + 5000,
      heartbeatMs: 1000,
      onHeartbeat: (p) => beats.push(p),
    });
    const took = Date.now() - started;
    expect(outcome.timedOut).toBe(true);
    expect(took).toBeGreaterThanOrEqual(5000);
    expect(took).toBeLessThan(5000 + 6000); // SIGTERM, at worst SIGKILL after 2 s, on a busy machine
    expect(outcome.pushed).toEqual([]);
    expect(outcome.failed.map((f) => f.reason)).toEqual(infos.map(() => DRAIN_BOUND_REACHED));
    expect(beats.length).toBeGreaterThanOrEqual(4);
    expect(beats.some((p) => p.inFlight.length > 0)).toBe(true);
    expect(processesNaming(cache.url)).toEqual([]);
  });
});
