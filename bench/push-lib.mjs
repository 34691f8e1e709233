// Shared set-up of the push benchmarks (push.bench.mjs): the real test harness loaded through tsx (jobs
// run as GitHub runs them: main, run steps as `runner`, post), a timestamp on every log line so the post
// step's time can be split by its log groups, test cache servers, bare `nix copy` runs as `runner`, and
// store paths made of real ELF binaries from this machine.
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, closeSync, copyFileSync, mkdirSync, mkdtempSync, openSync } from 'node:fs';
import { readFileSync, readSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { stats } from './lib.mjs';

export const TOKEN = 'push-bench-token-0123456789';
export const NIX = ['--extra-experimental-features', 'nix-command'];

/**
 * Loads the harness modules through one tsx entry (one module graph: the JobLog class patched here is
 * the one runJob uses). Resolves with the modules and a scratch directory the `runner` user can use;
 * `close()` removes it and restores the patched method.
 */
export async function setUp(root) {
  if (process.getuid?.() !== 0) {
    throw new Error('the push benchmarks run jobs as the `runner` user of the test bed: run them as root');
  }
  try {
    execFileSync('nix', ['--version'], { stdio: 'ignore' });
  } catch {
    throw new Error('nix is not installed: the push benchmarks run the real nix copy');
  }
  for (const entry of ['main', 'post']) {
    try {
      statSync(join(root, 'dist', entry, 'index.js'));
    } catch {
      throw new Error('dist/ is missing: run `npm run build` first (the jobs run the built action)');
    }
  }
  const scratch = mkdtempSync(join(tmpdir(), 'nca-bench-push-'));
  try {
    const entry = join(scratch, 'harness.ts');
    const url = (p) => JSON.stringify(pathToFileURL(join(root, p)).href);
    writeFileSync(
      entry,
      [
        `export { runJob } from ${url('__tests__/harness/job.ts')};`,
        `export { JobLog } from ${url('__tests__/harness/log.ts')};`,
        `export { startCacheServer } from ${url('__tests__/servers/cache.ts')};`,
        `export { RUNNER, runAs, testbed, userInfo } from ${url('__tests__/testbed/run-as.ts')};`,
        '',
      ].join('\n'),
    );
    const { tsImport } = await import('tsx/esm/api');
    const h = await tsImport(pathToFileURL(entry).href, import.meta.url);
    const runner = h.userInfo(h.RUNNER);
    chownSync(scratch, runner.uid, runner.gid);
    chmodSync(scratch, 0o755);

    // Every log line gets the time it arrived (the harness's JobLog keeps none).
    const stamps = [];
    const write = h.JobLog.prototype.write;
    h.JobLog.prototype.write = function stamped(step, raw) {
      stamps.push({ step, raw, at: performance.now() });
      return write.call(this, step, raw);
    };
    const servers = new Set();
    const cache = async (options) => {
      const server = await h.startCacheServer(options);
      servers.add(server);
      return {
        server,
        close: async () => {
          servers.delete(server);
          await server.close();
        },
      };
    };
    return {
      h,
      runner,
      /** A directory in scratch owned by `runner`. */
      dir(name) {
        const d = join(scratch, name);
        mkdirSync(d, { recursive: true });
        chownSync(d, runner.uid, runner.gid);
        return d;
      },
      /** A test cache server (`{ server, close }`), closed by `close()` if not before. */
      cache,
      /** A fresh test cache that TOKEN may read and write. */
      writableCache: () => cache({ tokens: [{ token: TOKEN, read: true, write: true, name: 'bench' }] }),
      /**
       * Runs a job (the test bed reset first, outside the timing; the job's directory removed after) and
       * resolves with the post step's figures; throws when a step failed or the post step warned.
       */
      async job(spec) {
        await h.testbed('up'); // clears what the last job left (nix.conf block, narinfo caches, netrc)
        stamps.length = 0;
        const result = await h.runJob({
          runnerEnvironment: 'github-hosted',
          stepTimeoutMs: 600_000,
          ...spec,
        });
        try {
          return postFigures(result, stamps.splice(0));
        } finally {
          result.cleanup();
        }
      },
      async close() {
        h.JobLog.prototype.write = write;
        for (const s of servers) await s.close().catch(() => undefined);
        rmSync(scratch, { recursive: true, force: true });
        // As the e2e tests leave it: the last job's nix.conf block, credentials and narinfo caches gone.
        await h.testbed('up');
      },
    };
  } catch (error) {
    rmSync(scratch, { recursive: true, force: true });
    throw error;
  }
}

/** The push phases, by the post step's log groups (the rest is `other`: node start, cleanup…). */
const PHASES = [
  ['discovery', /^Find what the job added/],
  ['upstream check', /^Check upstream caches/],
  ['push', /^Push \d+ path/],
  ['verify', /^Verify the pushed paths/],
];
const PHASE_NAMES = [...PHASES.map(([n]) => n), 'other'];

/** The post step's duration, phases (ms, from line timestamps) and summary rows. */
function postFigures(result, lines) {
  const step = result.results.find((r) => r.kind === 'post');
  if (step === undefined) throw new Error('the job has no post step');
  if (step.conclusion !== 'success' || result.status !== 'success') {
    throw new Error(`the job failed:\n${result.log.shown().split('\n').slice(-40).join('\n')}`);
  }
  const phases = Object.fromEntries(PHASE_NAMES.map((n) => [n, 0]));
  let open;
  for (const { step: name, raw, at } of lines) {
    if (name !== step.name) continue;
    const g = /^::group::(.*)$/.exec(raw);
    if (g) open = { name: PHASES.find(([, re]) => re.test(g[1]))?.[0], at };
    else if (raw === '::endgroup::' && open) {
      if (open.name !== undefined) phases[open.name] += at - open.at;
      open = undefined;
    }
  }
  phases.other = Math.max(0, step.durationMs - PHASE_NAMES.slice(0, -1).reduce((s, n) => s + phases[n], 0));
  const shown = result.log.shown(step.name);
  const row = (label) => new RegExp(`^${label}\\s{2,}(.*)$`, 'm').exec(shown)?.[1]?.trim();
  const warnings = shown.split('\n').filter((l) => /^::(warning|error)::/.test(l));
  if (warnings.length > 0) throw new Error(`the post step warned:\n${warnings.join('\n')}`);
  return {
    ms: step.durationMs,
    phases,
    pushed: Number(row('Pushed by the post step') ?? NaN),
    pushTime: row('Push time'),
    verified: row('Verified'),
  };
}

/** Median of each phase over several post steps: `[[phase, median ms], …]`. */
export function phaseMedians(posts) {
  return PHASE_NAMES.map((n) => [n, stats(posts.map((p) => p.phases[n])).median]);
}

/** A new Nix signing key pair in `dir` (files readable by `owner` only). */
export function signingKey(dir, name, owner) {
  const secretFile = join(dir, 'signing-key');
  const publicFile = join(dir, 'signing-key.pub');
  execFileSync('nix-store', ['--generate-binary-cache-key', name, secretFile, publicFile]);
  chownSync(secretFile, owner.uid, owner.gid);
  chmodSync(secretFile, 0o600);
  return { secretFile, secret: readFileSync(secretFile, 'utf8').trim() };
}

/**
 * A bash script (run as `runner`) that times one bare `nix copy` of the paths listed in `pathsFile` and
 * writes the milliseconds to `msFile`: a fresh narinfo disk cache, the cache's token from a netrc file.
 */
export function bareCopyScript({ dir, url, pathsFile, msFile, netrc }) {
  return [
    'set -eo pipefail',
    `export XDG_CACHE_HOME=$(mktemp -d ${dir}/xdg-XXXXXX)`,
    'start=$(date +%s%N)',
    `xargs nix copy ${NIX.join(' ')} --option netrc-file ${netrc} --to '${url}' < ${pathsFile}`,
    'end=$(date +%s%N)',
    `echo $(( (end - start) / 1000000 )) > ${msFile}`,
    'rm -rf "$XDG_CACHE_HOME"',
    '',
  ].join('\n');
}

/** A netrc for the test caches (127.0.0.1), readable by `owner` only. */
export function writeNetrc(file, owner) {
  writeFileSync(file, `machine 127.0.0.1 login nix password ${TOKEN}\n`, { mode: 0o600 });
  chownSync(file, owner.uid, owner.gid);
}

function isElf(file) {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(4);
    return readSync(fd, head, 0, 4, 0) === 4 && head.toString('latin1') === '\x7fELF';
  } finally {
    closeSync(fd);
  }
}

/**
 * `count` ELF binaries from this machine's /usr/bin and /usr/lib, sizes spread evenly on a log scale
 * between `min` and `max` bytes (each the closest unused file to its target size). Deterministic for a
 * given machine. Returns `[{ file, size }]`, smallest first.
 */
export function pickBinaries(count, min, max) {
  const dirs = [
    '/usr/bin',
    '/usr/sbin',
    '/usr/lib',
    `/usr/lib/${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu`,
  ];
  const pool = [];
  const seen = new Set();
  for (const dir of dirs) {
    let names = [];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names.sort()) {
      const file = join(dir, name);
      try {
        const st = statSync(file);
        if (!st.isFile() || st.size < min / 2 || st.size > max || seen.has(st.ino)) continue;
        if (!isElf(file)) continue;
        seen.add(st.ino);
        pool.push({ file, size: st.size });
      } catch {
        // unreadable: skip
      }
    }
  }
  if (pool.length < count) throw new Error(`only ${pool.length} ELF binaries of ${min}–${max} bytes here`);
  const picked = [];
  for (let i = 0; i < count; i++) {
    const target = min * (max / min) ** (i / Math.max(1, count - 1));
    let best = -1;
    pool.forEach((p, k) => {
      if (best === -1 || Math.abs(Math.log(p.size / target)) < Math.abs(Math.log(pool[best].size / target)))
        best = k;
    });
    picked.push(...pool.splice(best, 1));
  }
  return picked.sort((a, b) => a.size - b.size || a.file.localeCompare(b.file));
}

/**
 * Store-path sources: for each binary a directory `<parent>/<prefix>-NN-<name>/bin/<name>` (the binary
 * copied) and a `salt` file; readable by everyone. Returns the directories.
 */
export function binaryDirs(parent, prefix, binaries, salt) {
  return binaries.map((b, i) => {
    const name = basename(b.file).replace(/[^A-Za-z0-9+._?=-]/g, '_');
    const dir = join(parent, `${prefix}-${String(i).padStart(2, '0')}-${name}`);
    mkdirSync(join(dir, 'bin'), { recursive: true });
    copyFileSync(b.file, join(dir, 'bin', name));
    chmodSync(join(dir, 'bin', name), 0o755);
    writeFileSync(join(dir, 'salt'), `${salt}\n`);
    return dir;
  });
}

/** Adds directories to the store as root (through the daemon); returns their store paths. */
export function addToStore(dirs) {
  const out = execFileSync('nix-store', ['--add', ...dirs], {
    encoding: 'utf8',
    env: { ...process.env, NIX_REMOTE: 'daemon' },
  });
  return out.trim().split('\n');
}

/** `nix path-info --json` of paths (root, through the daemon). */
export function pathInfo(paths) {
  const out = execFileSync('nix', ['path-info', ...NIX, '--json', ...paths], {
    encoding: 'utf8',
    env: { ...process.env, NIX_REMOTE: 'daemon' },
    maxBuffer: 64 << 20,
  });
  return JSON.parse(out);
}

/** PUT requests to a cache server of one kind (`nar` or `narinfo`): how many, and their body bytes. */
export function puts(server, kind) {
  const matching = server.http.requests.filter(
    (r) => r.method === 'PUT' && (kind === 'nar' ? r.path.startsWith('/nar/') : r.path.endsWith('.narinfo')),
  );
  return { count: matching.length, bytes: matching.reduce((sum, r) => sum + r.bodySize, 0) };
}

/**
 * A loopback TCP relay in front of `target` (`http://127.0.0.1:PORT`) whose upload direction (client to
 * server, shared by every connection, as on one link) is held to `bytesPerSecond`; answers pass freely.
 * Resolves with `{ url, close() }`.
 */
export async function startThrottle(target, bytesPerSecond) {
  const port = Number(new URL(target).port);
  const sockets = new Set();
  const burst = 64 * 1024;
  let credit = burst;
  let last = performance.now();
  const server = createServer((client) => {
    const upstream = connect(port, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    }
    let timer;
    const end = () => {
      clearTimeout(timer);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    upstream.pipe(client);
    client.on('data', (chunk) => {
      upstream.write(chunk);
      const now = performance.now();
      credit = Math.min(burst, credit + ((now - last) * bytesPerSecond) / 1000) - chunk.length;
      last = now;
      if (credit < 0) {
        // Held until the link has carried what was sent so far (one timer per connection).
        client.pause();
        clearTimeout(timer);
        timer = setTimeout(() => client.resume(), (-credit * 1000) / bytesPerSecond);
      }
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
