// Discovery of what a job added to the store, at 50,000 store entries, against the obvious alternative
// measured in the same run: `nix path-info --all` in main and again in post, diffed.
//
// A separate throwaway Nix store (its own NIX_STORE_DIR and NIX_STATE_DIR, served by its own
// `nix-daemon`, as /nix/store is in a job; the machine's daemon is not touched) gets 50,000 valid paths:
// empty files named like store paths, registered in one `nix-store --load-db` transaction (no hashing;
// a few references each), plus Nix's working files (`.links`, `*.lock`, `*.drv.chroot`). Both "before"
// states are saved, then the job's paths are added: registered outputs, real `.drv` files from
// `nix-instantiate`, and entries that are not valid paths (unregistered names, a lock file). Each
// measured run does a whole job's discovery, every Nix call through the daemon:
//   - ours (src/push/snapshot.ts and src/push/path-info.ts, loaded as they are through tsx): main lists
//     the store directory and writes the snapshot; post lists it again while reading the snapshot, keeps
//     the new names and asks `nix path-info --json` which of them are valid;
//   - baseline: main runs `nix path-info --all` and saves the list; post runs it again and diffs.
// Each step is also timed on its own within the same runs. Both ways must find exactly the new valid paths.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync } from 'node:fs';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { compare, formatMs, noiseNote, ratio, runCommand, stats, table, timingTable } from './lib.mjs';

const ENTRIES = 50_000;
const ADDED = { outputs: 40, derivations: 10 };
// `nix path-info --all` through a daemon takes seconds at this size: few runs, one warm-up of ours only.
const RUNS = 3;
const GOAL_MS = 200;
const GOAL_RATIO = 20;
const NIX_BASE32 = '0123456789abcdfghijklmnpqrsvwxyz';
const NIX = ['--extra-experimental-features', 'nix-command'];

export default async function discovery({ root, log }) {
  const { tsImport } = await import('tsx/esm/api');
  const load = (file) => tsImport(join(root, file), import.meta.url);
  const { listStore, newSinceSnapshot, writeSnapshot } = await load('src/push/snapshot.ts');
  const { queryPathInfo } = await load('src/push/path-info.ts');
  const exec = { run: (await load('src/system/exec.ts')).runCommand };

  const version = await runCommand('nix', ['--version'], { timeoutMs: 10_000 }).catch(() => undefined);
  if (version?.code !== 0) throw new Error('this benchmark needs `nix` on PATH');

  const scratch = mkdtempSync(join(tmpdir(), 'nca-bench-discovery-'));
  let daemon;
  try {
    const [storeDir, stateDir] = [join(scratch, 'store'), join(scratch, 'var')];
    for (const dir of [storeDir, stateDir]) mkdirSync(dir);
    const storeEnv = { ...process.env, NIX_STORE_DIR: storeDir, NIX_STATE_DIR: stateDir };
    delete storeEnv.NIX_DAEMON_SOCKET_PATH;
    const env = { ...storeEnv, NIX_REMOTE: 'daemon' };
    const nix = async (args) => {
      const r = await runCommand('nix', args, { env, timeoutMs: 180_000 });
      if (r.code !== 0) throw new Error(`nix ${args.join(' ')} failed: ${r.stderr.slice(-1000)}`);
      return r.stdout;
    };

    // --- the store before the job ----------------------------------------------------------------------
    let t0 = performance.now();
    const existing = makeEntries(storeDir, ENTRIES, 'pkg');
    mkdirSync(join(storeDir, '.links'));
    for (const name of [`${hash()}-pkg-1.lock`, `${hash()}-pkg-2.drv.chroot`]) touch(join(storeDir, name));
    const filesMs = performance.now() - t0;
    t0 = performance.now();
    await loadDb({ ...storeEnv, NIX_REMOTE: 'local' }, registration(storeDir, existing, []));
    const registerMs = performance.now() - t0;
    daemon = await startDaemon(storeEnv, join(stateDir, 'daemon-socket', 'socket'));

    const snapshotFile = join(scratch, 'state', 'store-snapshot');
    await writeSnapshot(snapshotFile, await listStore(storeDir));
    const baselineFile = join(scratch, 'state', 'path-info-all');
    writeFileSync(baselineFile, await nix([...NIX, 'path-info', '--all']));

    // --- what the job adds -----------------------------------------------------------------------------
    const outputs = makeEntries(storeDir, ADDED.outputs, 'job-out');
    await loadDb({ ...storeEnv, NIX_REMOTE: 'local' }, registration(storeDir, outputs, existing));
    const derivations = await instantiate(env, scratch, storeDir, ADDED.derivations);
    makeEntries(storeDir, 2, 'job-failed'); // not registered: not valid
    touch(join(storeDir, `${hash()}-job-out.lock`));
    const expected = [...outputs, ...derivations].map((n) => `${storeDir}/${n}`).sort();

    // --- the two ways to find them ---------------------------------------------------------------------
    let ours;
    let theirs;
    const oursMain = async () =>
      writeSnapshot(join(scratch, 'state', 'main-snapshot'), await listStore(storeDir));
    const oursPost = async () => {
      const added = await newSinceSnapshot(snapshotFile, storeDir);
      const { valid } = await queryPathInfo(exec, added, { closure: false, env });
      ours = { added: added.length, valid: valid.map((i) => i.path).sort() };
    };
    const baselineMain = async () =>
      writeFileSync(join(scratch, 'state', 'main-path-info-all'), await nix([...NIX, 'path-info', '--all']));
    const baselinePost = async () => {
      const after = (await nix([...NIX, 'path-info', '--all'])).split('\n').filter(Boolean);
      const before = new Set(readFileSync(baselineFile, 'utf8').split('\n'));
      theirs = after.filter((p) => !before.has(p)).sort();
    };

    // Main and post run in separate processes in a job, each starting without the other's garbage. Here
    // all runs share one process, so the heap is collected (untimed) before each step; the time recorded
    // for a run is the sum of its two steps, each also kept on its own.
    const steps = { baseline: { main: [], post: [] }, ours: { main: [], post: [] } };
    const step = async (samples, fn) => {
      collectGarbage();
      const start = performance.now();
      await fn();
      const ms = performance.now() - start;
      samples.push(ms);
      return ms;
    };
    await oursMain(); // warm-up (the baseline's first run needs none: the database is in the page cache)
    await oursPost();
    const results = await compare(
      [
        {
          name: '`nix path-info --all` diff (baseline)',
          run: async () =>
            (await step(steps.baseline.main, baselineMain)) + (await step(steps.baseline.post, baselinePost)),
        },
        {
          name: 'store listing + snapshot (ours)',
          run: async () => (await step(steps.ours.main, oursMain)) + (await step(steps.ours.post, oursPost)),
        },
      ],
      { runs: RUNS, warmup: 0 },
    );

    const same = (a) => a.join('\n') === expected.join('\n');
    if (!same(ours.valid) || !same(theirs)) {
      throw new Error(
        `the two ways disagree: ${expected.length} new, ours ${ours.valid.length}, ${theirs.length}`,
      );
    }

    log(
      `store: ${ENTRIES.toLocaleString('en')} valid paths in a throwaway store with its own daemon (entries ` +
        `written in ${formatMs(filesMs)}, registered by one \`nix-store --load-db\` in ${formatMs(registerMs)}); ` +
        `the job adds ${expected.length} valid paths (${derivations.length} .drv) and 3 entries that are not`,
    );
    log(
      `each run is a job's discovery: main (list, save) + post (list, diff, validity), every Nix call ` +
        `through the daemon; ${RUNS} runs, interleaved; ${version.stdout.trim()}`,
    );
    log(timingTable(results));
    const noise = noiseNote(results);
    if (noise) log(noise);
    const split = ['main', 'post'].map((name) => {
      const [base, mine] = [steps.baseline[name], steps.ours[name]].map((x) => stats(x).median);
      return { name, base, mine, row: [name, formatMs(base), formatMs(mine), ratio(mine, base)] };
    });
    log(
      table(
        ['step (median)', 'baseline', 'ours', 'vs baseline'],
        split.map((x) => x.row),
      ),
    );
    log();
    const verdict = (ms, base) =>
      `${formatMs(ms)} vs ${formatMs(base)}: ${ratio(ms, base)}, ${(base / ms).toFixed(1)}× faster ` +
      `(goal ≤ ${formatMs(GOAL_MS)} and ≥ ${GOAL_RATIO}×: ${ms <= GOAL_MS && base / ms >= GOAL_RATIO ? 'met' : 'MISSED'})`;
    log(`discovery, main + post: ${verdict(results[1].stats.median, results[0].stats.median)}`);
    log(`discovery, post step alone: ${verdict(split[1].mine, split[1].base)}`);
    log(
      `both found the same ${expected.length} new valid paths; ours listed ${ours.added} new names and ` +
        `\`nix path-info\` set ${ours.added - expected.length} invalid ones apart`,
    );
  } finally {
    await daemon?.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Starts `nix-daemon` for the store `env` names and waits for its socket; `stop()` ends it (by its pid). */
async function startDaemon(env, socket) {
  const child = spawn('nix-daemon', [], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const orphaned = () => child.kill('SIGKILL'); // should this process end before the finally block
  process.once('exit', orphaned);
  const stop = async () => {
    process.off('exit', orphaned);
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  for (let waited = 0; !existsSync(socket); waited += 20) {
    if (child.exitCode !== null || waited > 10_000) {
      await stop();
      throw new Error(`nix-daemon did not start: ${stderr.slice(-1000)}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return { stop };
}

/** A full garbage collection (`--expose-gc` switched on at run time). */
function collectGarbage() {
  setFlagsFromString('--expose-gc');
  runInNewContext('gc')();
}

/** A random 32-character hash part in Nix's base-32 alphabet. */
function hash() {
  return Array.from(randomBytes(32), (b) => NIX_BASE32[b % 32]).join('');
}

function touch(file) {
  closeSync(openSync(file, 'w'));
}

/** `count` empty files named like store paths; returns their names. */
function makeEntries(dir, count, prefix) {
  return Array.from({ length: count }, (_, i) => {
    const name = `${hash()}-${prefix}-${i}`;
    touch(join(dir, name));
    return name;
  });
}

/**
 * `nix-store --load-db` input (the `--dump-db` format): path, NAR hash (base-16 SHA-256), NAR size,
 * deriver (empty), reference count, references. Each path references up to 3 earlier ones (or `olders`).
 */
function registration(storeDir, names, olders) {
  const lines = [];
  const pool = olders.length > 0 ? olders : names;
  names.forEach((name, i) => {
    const path = `${storeDir}/${name}`;
    const limit = olders.length > 0 ? pool.length : i;
    const refs = new Set();
    for (let k = 0; k < 3 && limit > 0; k++)
      refs.add(`${storeDir}/${pool[Math.floor(Math.random() * limit)]}`);
    lines.push(path, createHash('sha256').update(path).digest('hex'), '0', '', String(refs.size), ...refs);
  });
  return `${lines.join('\n')}\n`;
}

/** `count` real `.drv` files written by `nix-instantiate` (through the daemon); returns their names. */
async function instantiate(env, scratch, storeDir, count) {
  const file = join(scratch, 'job.nix');
  writeFileSync(
    file,
    `builtins.genList (i: derivation { name = "job-\${toString i}"; system = builtins.currentSystem; ` +
      `builder = "/bin/sh"; args = [ "-c" "echo ${hash()} \${toString i} > $out" ]; }) ${count}\n`,
  );
  const r = await runCommand('nix-instantiate', [file], { env, timeoutMs: 60_000 });
  const drvs = r.stdout.split('\n').filter(Boolean);
  if (r.code !== 0 || drvs.length !== count)
    throw new Error(`nix-instantiate failed: ${r.stderr.slice(-1000)}`);
  return drvs.map((p) => p.slice(storeDir.length + 1));
}

/** Registers paths directly in the store `env` names (`--load-db` input on stdin). */
function loadDb(env, input) {
  return new Promise((resolve, reject) => {
    const child = spawn('nix-store', ['--load-db'], { env, stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`nix-store --load-db failed: ${stderr.slice(-1000)}`)),
    );
    child.stdin.end(input);
  });
}
