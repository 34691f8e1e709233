// push-latency: pushing many small paths to a cache 50 ms away, the issue's "≥ 2× faster than one
// `nix copy`". Nix 2.8 uploads the paths of one `nix copy` one at a time (HEAD, PUT NAR, PUT narinfo:
// three round trips each), so latency, not bandwidth, sets the pace; pushPaths runs several copies at
// once, references first.
//
// Baseline: one bare `nix copy --no-recursive --to <cache>?compression=zstd <all paths>`. Case: the real
// pushPaths (src/push/schedule.ts with src/system/stream.ts, bundled with ncc during the run, as the
// action ships them) with its default jobs. Both copy the same ~200 freshly built small paths (a wide
// graph: 10 shared roots, each other path referencing one or two of them) to a fresh test cache server
// (__tests__/servers/cache.ts, same bundle) with 50 ms added to every request, and a fresh narinfo disk
// cache (XDG_CACHE_HOME), so that every run uploads everything. Runs are interleaved; after each run
// the cache must hold every path.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { compare, formatMs, noiseNote, ratio, runCommand, timingTable } from './lib.mjs';

const PATHS = 200;
const ROOTS = 10;
const LATENCY_MS = 50;
const RUNS = 3; // a bare copy of 200 paths at 50 ms takes ~30 s: three rounds keep the bench near 2 minutes
const TOKEN = 'push-latency-bench-token';

const EXPR = `{ salt, n, roots }:
let
  mk = i: deps: derivation {
    name = "nca-push-bench-\${toString i}";
    system = builtins.currentSystem;
    builder = "/bin/sh";
    args = [ "-c" "echo \${salt} \${toString i} \${toString deps} > $out" ];
  };
  root = builtins.genList (i: mk i [ ]) roots;
  pick = i: builtins.elemAt root (i - roots * (i / roots));
  leaf = builtins.genList (k: let i = k + roots; in mk i [ (pick i) (pick (i * 7)) ]) (n - roots);
in root ++ leaf
`;

export default async function pushLatency({ root, log }) {
  const nixVersion = await runCommand('nix', ['--version'], { timeoutMs: 10_000 }).then(
    (r) => (r.code === 0 ? r.stdout.trim() : undefined),
    () => undefined,
  );
  if (!nixVersion) throw new Error('nix is not installed: this benchmark runs the real nix copy');

  const cacheDir = join(root, 'node_modules', '.cache');
  mkdirSync(cacheDir, { recursive: true });
  const scratch = mkdtempSync(join(cacheDir, 'nca-bench-push-'));
  const servers = [];
  try {
    const mod = await bundle(root, scratch);
    const env = { ...process.env, NIX_REMOTE: process.env.NIX_REMOTE ?? 'daemon' };
    const infos = buildPaths(scratch, env);
    const paths = infos.map((i) => i.path);
    const netrc = join(scratch, 'netrc');
    writeFileSync(netrc, `machine 127.0.0.1 login nix password ${TOKEN}\n`, { mode: 0o600 });

    /** A fresh empty cache at LATENCY_MS and a fresh narinfo disk cache; checks the cache got everything. */
    const fresh = async (label, push) => {
      const cache = await mod.startCacheServer({
        latencyMs: LATENCY_MS,
        tokens: [{ token: TOKEN, read: true, write: true, name: 'bench' }],
      });
      servers.push(cache);
      const xdg = mkdtempSync(join(scratch, 'xdg-'));
      try {
        const start = process.hrtime.bigint();
        await push(`${cache.url}?compression=zstd`, { ...env, XDG_CACHE_HOME: xdg });
        const ms = Number(process.hrtime.bigint() - start) / 1e6;
        const missing = paths.filter((p) => !cache.has(p));
        if (missing.length > 0)
          throw new Error(`${label}: the cache lacks ${missing.length} path(s) after the push`);
        return ms;
      } finally {
        await cache.close();
        servers.splice(servers.indexOf(cache), 1);
        rmSync(xdg, { recursive: true, force: true });
      }
    };

    const bare = (url, runEnv) =>
      runCommand(
        'nix',
        [
          'copy',
          '--extra-experimental-features',
          'nix-command',
          '--no-recursive',
          '--to',
          url,
          '--option',
          'netrc-file',
          netrc,
          ...paths,
        ],
        { env: runEnv, timeoutMs: 600_000 },
      ).then((r) => {
        if (r.code !== 0) throw new Error(`nix copy failed (${r.code}):\n${r.stderr.slice(-2000)}`);
      });
    const scheduled = (url, runEnv) =>
      mod
        .pushPaths(infos, {
          url,
          env: runEnv,
          deadline: Date.now() + 600_000,
          run: mod.streamCommand,
          copy: { extraArgs: ['--option', 'netrc-file', netrc] },
        })
        .then((outcome) => {
          if (outcome.failed.length > 0) {
            throw new Error(`pushPaths failed ${outcome.failed.length} path(s): ${outcome.failed[0].reason}`);
          }
        });

    const results = await compare(
      [
        { name: 'one nix copy (baseline)', run: () => fresh('nix copy', bare) },
        { name: `pushPaths, ${mod.DEFAULT_JOBS} jobs`, run: () => fresh('pushPaths', scheduled) },
      ],
      { runs: RUNS, warmup: 0 },
    );
    log(
      `${PATHS} small paths (${ROOTS} roots, the others referencing one or two of them) to the test cache ` +
        `with ${LATENCY_MS} ms per request, ${RUNS} runs, interleaved; ${nixVersion}`,
    );
    log(timingTable(results));
    const noise = noiseNote(results);
    if (noise) log(noise);
    log();
    const [base, case_] = results.map((r) => r.stats.median);
    log(
      `pushPaths: ${ratio(base, case_)} faster than one nix copy ` +
        `(median ${formatMs(case_)} vs ${formatMs(base)}; goal ≥ 2×)`,
    );
  } finally {
    for (const s of servers) await s.close().catch(() => undefined);
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Bundles the real modules with ncc (as .ci/build.mjs builds the action) and imports the bundle. */
async function bundle(root, scratch) {
  const entry = join(scratch, 'entry.mjs');
  const src = (p) => JSON.stringify(join(root, p));
  writeFileSync(
    entry,
    [
      `export { pushPaths, DEFAULT_JOBS } from ${src('src/push/schedule.ts')};`,
      `export { streamCommand } from ${src('src/system/stream.ts')};`,
      `export { startCacheServer } from ${src('__tests__/servers/cache.ts')};`,
      '',
    ].join('\n'),
  );
  const out = join(scratch, 'bundle');
  const ncc = join(root, 'node_modules', '@vercel', 'ncc', 'dist', 'ncc', 'cli.js');
  const r = await runCommand(process.execPath, [ncc, 'build', entry, '-o', out, '--quiet'], {
    cwd: root,
    timeoutMs: 120_000,
  });
  if (r.code !== 0) throw new Error(`ncc failed bundling the push modules:\n${r.stderr}`);
  return import(pathToFileURL(join(out, 'index.mjs')).href);
}

/** Builds PATHS never-seen small paths; their `nix path-info` in build order (references first). */
function buildPaths(scratch, env) {
  const file = join(scratch, 'paths.nix');
  writeFileSync(file, EXPR);
  const salt = `${process.pid}-${Date.now()}`;
  const args = [file, '--argstr', 'salt', salt, '--arg', 'n', String(PATHS), '--arg', 'roots', String(ROOTS)];
  const built = execFileSync('nix-build', [...args, '--no-out-link'], {
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const paths = built.trim().split('\n');
  if (paths.length !== PATHS) throw new Error(`nix-build gave ${paths.length} paths, not ${PATHS}`);
  const info = execFileSync(
    'nix',
    ['path-info', '--extra-experimental-features', 'nix-command', '--json', ...paths],
    { env, encoding: 'utf8', maxBuffer: 64 << 20 },
  );
  const byPath = new Map(JSON.parse(info).map((i) => [i.path, i]));
  return paths.map((p) => byPath.get(p));
}
