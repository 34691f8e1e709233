// The push benchmarks of the post step, each through the built action run as GitHub runs it (the test
// harness: main, run steps as the untrusted `runner` user, post; the real nix-daemon of the test bed;
// loopback test cache servers with a write token), against a baseline measured in the same run:
//   1. post step ÷ a bare `nix copy` of the same 500 new paths to an identical fresh cache (goal ≤ 1.05);
//   2. a closure 90 % present upstream (by count and bytes, real binaries of varied sizes): bytes the
//      cache received ÷ the missing paths' compressed NARs (goal 1.00), and time ÷ a full push (≤ 0.3),
//      over loopback and over an upload link held to 4 MiB/s;
//   3. compression `zstd` vs `xz` on a few MB of real ELF binaries: time and compressed bytes.
// Every job runs with `push-during-build: false` (the post step pushes everything) and a signing key; the
// test bed is reset before each job. The post step's time is split by its log groups (discovery, upstream
// check, push, verify; `other` is node start, reading state, the summary and credential removal).
// Needs root (jobs run as `runner`), the test bed (brought up here) and dist/ (`npm run build`).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compare, formatBytes, formatMs, noiseNote, ratio, stats, table, timingTable } from './lib.mjs';
import {
  TOKEN,
  addToStore,
  bareCopyScript,
  binaryDirs,
  pathInfo,
  phaseMedians,
  pickBinaries,
  puts,
  setUp,
  signingKey,
  startThrottle,
  writeNetrc,
} from './push-lib.mjs';

const RUNS = 3;
const SMALL = { paths: 500, roots: 20 };
const UPSTREAM = { paths: 40, missing: 4, min: 16 << 10, max: 8 << 20, link: 4 << 20 };
const COMPRESSION = { paths: 8, min: 256 << 10, max: 4 << 20 };
const GOALS = { postVsBare: 1.05, upstreamTime: 0.3 };

export default async function push({ root, log }) {
  const bed = await setUp(root);
  try {
    const keyDir = bed.dir('key');
    const key = signingKey(keyDir, 'push-bench', bed.runner);
    const netrc = join(keyDir, 'netrc');
    writeNetrc(netrc, bed.runner);
    const env = { bed, key, netrc, log, verdicts: [] };
    for (const bench of [postVsBare, upstreamShare, compression]) {
      await bench(env);
      log();
    }
    log('summary');
    log(table(['benchmark', 'figure', 'goal', 'result'], env.verdicts));
  } finally {
    await bed.close();
  }
}

/** The inputs of every benchmark job; `extra` adds or overrides. */
const inputs = (key, cache, extra = {}) => ({
  cache,
  token: TOKEN,
  'signing-key': key.secret,
  'upstream-caches': '',
  'push-during-build': 'false',
  ...extra,
});

const verdict = (ok) => (ok ? 'met' : 'MISSED');
const median = (list, f) => stats(list.map(f)).median;

/** Throws unless the cache holds exactly `paths` (narinfo and NAR each). */
function expectHolds(server, paths, who) {
  const held = server.narinfos().map((i) => i.storePath);
  const lacking = paths.filter((p) => !server.has(p));
  if (held.length !== paths.length || lacking.length > 0)
    throw new Error(
      `${who}: the cache holds ${held.length} paths, lacks ${lacking.length} of ${paths.length}`,
    );
}

/** The post step's phases (medians), each also as a share of `base` ms. */
function phaseTable(posts, base, baseName) {
  return table(
    ['post step phase (median)', 'time', `÷ ${baseName}`],
    phaseMedians(posts).map(([name, ms]) => [name, formatMs(ms), ratio(ms, base)]),
  );
}

// --- 1. post step vs bare nix copy ----------------------------------------------------------------------

const GRAPH = `{ salt, n, roots }:
let
  mk = i: deps: derivation {
    name = "nca-bench-post-\${toString i}";
    system = builtins.currentSystem;
    builder = "/bin/sh";
    args = [ "-c" "echo \${salt} \${toString i} \${toString deps} > $out" ];
  };
  root = builtins.genList (i: mk i [ ]) roots;
  pick = i: builtins.elemAt root (i - roots * (i / roots));
  leaf = builtins.genList (k: let i = k + roots; in mk i [ (pick i) (pick (i * 7)) ]) (n - roots);
in root ++ leaf
`;

/**
 * Each round: a job builds 500 never-seen small paths (20 roots, each other path referencing one or two
 * of them) and its post step pushes them to a fresh cache; a bare `nix copy --to <cache>?compression=zstd
 * &secret-key=…` of the same paths goes, as `runner`, to another fresh cache. The bare copy runs inside
 * the job before the post step in odd rounds and after the job in even ones, so neither always goes first.
 */
async function postVsBare({ bed, key, netrc, log, verdicts }) {
  const dir = bed.dir('post-vs-bare');
  const expr = join(dir, 'graph.nix');
  writeFileSync(expr, GRAPH);
  const [bare, posts] = [[], []];
  for (let round = 0; round < RUNS; round++) {
    const ours = await bed.writableCache();
    const theirs = await bed.writableCache();
    try {
      const [pathsFile, msFile, script] = ['paths', 'bare-ms', 'bare.sh'].map((f) =>
        join(dir, `${f}-${round}`),
      );
      const url = `${theirs.server.url}?compression=zstd&secret-key=${key.secretFile}`;
      writeFileSync(script, bareCopyScript({ dir, url, pathsFile, msFile, netrc }));
      const salt = `${process.pid}-${Date.now()}`;
      const build = `nix-build ${expr} --argstr salt ${salt} --arg n ${SMALL.paths} --arg roots ${SMALL.roots}`;
      const inJob = round % 2 === 1;
      const post = await bed.job({
        steps: [
          { uses: '.', id: 'nix', with: inputs(key, ours.server.url) },
          { id: 'build', run: `${build} --no-out-link > ${pathsFile}` },
          ...(inJob ? [{ id: 'bare', run: `bash ${script}` }] : []),
        ],
      });
      if (!inJob) {
        const r = await bed.h.runAs(bed.h.RUNNER, ['bash', script], { timeoutMs: 600_000 });
        if (r.code !== 0) throw new Error(`bare nix copy failed (${r.code}):\n${r.stderr.slice(-2000)}`);
      }
      const paths = readFileSync(pathsFile, 'utf8').trim().split('\n');
      if (paths.length !== SMALL.paths || post.pushed !== SMALL.paths)
        throw new Error(`the post step pushed ${post.pushed} of ${paths.length} paths`);
      expectHolds(ours.server, paths, 'post step');
      expectHolds(theirs.server, paths, 'bare nix copy');
      bare.push(Number(readFileSync(msFile, 'utf8').trim()));
      posts.push(post);
    } finally {
      await ours.close();
      await theirs.close();
    }
  }
  const results = [
    { name: 'bare `nix copy` (baseline)', samples: bare, stats: stats(bare) },
    { name: 'post step', samples: posts.map((p) => p.ms), stats: stats(posts.map((p) => p.ms)) },
  ];
  log(
    `1. post step vs bare nix copy: ${SMALL.paths} new small paths (${SMALL.roots} roots, the others ` +
      `referencing one or two), zstd, signed, each to a fresh test cache; ${RUNS} runs`,
  );
  log(timingTable(results));
  const noise = noiseNote(results);
  if (noise) log(noise);
  log(phaseTable(posts, results[0].stats.median, 'bare nix copy'));
  log(`post step's own summary (run 1): Push time ${posts[0].pushTime}; Verified ${posts[0].verified}`);
  const [base, ours] = results.map((r) => r.stats.median);
  verdicts.push([
    `post step ÷ bare nix copy (${SMALL.paths} paths)`,
    `${(ours / base).toFixed(3)}× (${formatMs(ours)} vs ${formatMs(base)})`,
    `≤ ${GOALS.postVsBare}`,
    verdict(ours / base <= GOALS.postVsBare),
  ]);
}

// --- 2. 90 % present upstream -----------------------------------------------------------------------------

/**
 * A closure of 40 paths made of real binaries (16 KiB–8 MiB, log-spaced): 36 dependencies, in the store
 * before the job and in an upstream cache (public read), and 4 top paths the job builds, each holding a
 * binary of its own (copied from a source path it does not reference) and referencing 9 dependencies;
 * the 4 are chosen to hold about 10 % of the closure's bytes. Cases: the push with `upstream-caches:
 * <that cache>` and a full push (`upstream-caches: ''`), each to a fresh cache, over loopback and through
 * a relay that holds uploads to UPSTREAM.link bytes/s (on loopback bytes cost almost nothing, so the
 * push's fixed costs decide the time ratio there).
 */
async function upstreamShare({ bed, key, log, verdicts }) {
  const binaries = pickBinaries(UPSTREAM.paths, UPSTREAM.min, UPSTREAM.max);
  const top = tenPercent(binaries, UPSTREAM.missing);
  const deps = binaries.filter((_, i) => !top.includes(i));
  const depPaths = addToStore(binaryDirs(bed.dir('upstream/deps'), 'nca-bench-dep', deps, 'nca-push-bench'));
  const srcs = top.map((i) => binaries[i]);
  const srcPaths = addToStore(binaryDirs(bed.dir('upstream/srcs'), 'nca-bench-src', srcs, 'nca-push-bench'));
  const expr = join(bed.dir('upstream'), 'top.nix');
  writeFileSync(expr, topExpr(srcPaths, depPaths));
  const depBytes = pathInfo(depPaths).reduce((s, i) => s + i.narSize, 0);
  const upstream = await bed.cache({ publicRead: true });
  const runs = {};
  try {
    await upstream.server.seedFromStore(depPaths);
    let n = 0;
    const runJob = async (which, link) => {
      const cache = await bed.writableCache();
      const relay = link === 'loopback' ? undefined : await startThrottle(cache.server.url, UPSTREAM.link);
      try {
        const outFile = join(bed.dir('upstream'), `top-${n++}`);
        const post = await bed.job({
          steps: [
            {
              uses: '.',
              id: 'nix',
              with: inputs(key, relay?.url ?? cache.server.url, {
                'upstream-caches': which === 'upstream' ? upstream.server.url : '',
              }),
            },
            {
              id: 'build',
              run: `nix-build ${expr} --argstr salt ${process.pid}-${Date.now()}-${n} --no-out-link > ${outFile}`,
            },
          ],
        });
        const tops = readFileSync(outFile, 'utf8').trim().split('\n');
        const expected = which === 'upstream' ? tops : [...tops, ...depPaths];
        expectHolds(cache.server, expected, which);
        if (post.pushed !== expected.length) throw new Error(`${which}: pushed ${post.pushed}`);
        const topInfos = cache.server.narinfos().filter((i) => tops.includes(i.storePath));
        (runs[`${which}, ${link}`] ??= []).push({
          post,
          nar: puts(cache.server, 'nar'),
          narinfos: puts(cache.server, 'narinfo').count,
          missingFile: topInfos.reduce((s, i) => s + (i.fileSize ?? NaN), 0),
          missingNar: topInfos.reduce((s, i) => s + i.narSize, 0),
        });
        return post.ms;
      } finally {
        await relay?.close();
        await cache.close();
      }
    };
    const slow = `uploads at ${formatBytes(UPSTREAM.link)}/s`;
    const results = await compare(
      [
        { name: "full push (upstream-caches: ''), loopback", run: () => runJob('full', 'loopback') },
        { name: '90 % upstream, loopback', run: () => runJob('upstream', 'loopback') },
        { name: `full push, ${slow}`, run: () => runJob('full', slow) },
        { name: `90 % upstream, ${slow}`, run: () => runJob('upstream', slow) },
      ],
      { runs: RUNS, warmup: 0 },
    );
    const up = [...runs['upstream, loopback'], ...runs[`upstream, ${slow}`]];
    const closureBytes = depBytes + up[0].missingNar;
    log(
      `2. closure 90 % present upstream: ${UPSTREAM.paths} paths of real binaries (${formatBytes(closureBytes)} ` +
        `NAR), ${deps.length} of them (${((100 * depBytes) / closureBytes).toFixed(1)} % of the bytes) in an ` +
        `upstream test cache; ${RUNS} runs, interleaved`,
    );
    log(timingTable(results.slice(0, 2)));
    log(timingTable(results.slice(2)));
    const noise = noiseNote(results);
    if (noise) log(noise);
    log(
      table(
        ['case (median)', 'post step', 'push phase', 'NARs PUT', 'NAR bytes PUT', 'narinfos PUT'],
        Object.entries(runs).map(([name, list]) => [
          name,
          formatMs(median(list, (r) => r.post.ms)),
          formatMs(median(list, (r) => r.post.phases.push)),
          String(list[0].nar.count),
          formatBytes(list[0].nar.bytes),
          String(list[0].narinfos),
        ]),
      ),
    );
    log(
      phaseTable(
        runs['upstream, loopback'].map((r) => r.post),
        results[0].stats.median,
        'full push',
      ),
    );
    const bytesRatio = up.map((r) => r.nar.bytes / r.missingFile);
    const bytesOk = bytesRatio.every((x) => Math.abs(x - 1) < 0.005);
    const shown = [...new Set(bytesRatio.map((x) => x.toFixed(2)))].join(', ');
    log(
      `bytes uploaded ÷ missing bytes: ${shown} in all ${up.length} pushes with upstream (NAR files PUT, ` +
        `${formatBytes(up[0].nar.bytes)}, ÷ the ${UPSTREAM.missing} missing paths' zstd NARs as Nix wrote them, ` +
        `FileSize ${formatBytes(up[0].missingFile)}; uncompressed ${formatBytes(up[0].missingNar)})`,
    );
    verdicts.push([`bytes uploaded ÷ missing bytes (90 % upstream)`, shown, '= 1.00', verdict(bytesOk)]);
    for (const link of ['loopback', slow]) {
      const [full, part] = ['full', 'upstream'].map((w) => runs[`${w}, ${link}`]);
      const post = median(part, (r) => r.post.ms) / median(full, (r) => r.post.ms);
      const pushOnly = median(part, (r) => r.post.phases.push) / median(full, (r) => r.post.phases.push);
      verdicts.push([
        `90 % upstream ÷ full push, ${link}`,
        `${post.toFixed(3)}× (push phase ${pushOnly.toFixed(3)}×)`,
        `≤ ${GOALS.upstreamTime}`,
        verdict(post <= GOALS.upstreamTime),
      ]);
    }
  } finally {
    await upstream.close();
  }
}

/** Indices of `k` binaries, one from each k-th of the size order, holding as near 10 % of the bytes as can be. */
function tenPercent(binaries, k) {
  const total = binaries.reduce((s, b) => s + b.size, 0);
  const block = Math.floor(binaries.length / k);
  let best;
  const search = (i, chosen, sum) => {
    if (i === k) {
      const miss = Math.abs(sum / total - 0.1);
      if (best === undefined || miss < best.miss) best = { miss, chosen };
      return;
    }
    for (let j = i * block; j < (i + 1) * block; j++) search(i + 1, [...chosen, j], sum + binaries[j].size);
  };
  search(0, [], 0);
  return best.chosen;
}

/**
 * The job's top paths: each a copy of one source's binary, referencing every k-th dependency. The source
 * is named without string context, so it is no input of the derivation and not in the closure of its
 * .drv (which the push takes in); the builder reads it directly (the test bed's builds are unsandboxed).
 */
function topExpr(srcPaths, depPaths) {
  const dep = (p) => `(builtins.storePath "${p}")`;
  const tops = srcPaths.map((src, i) => {
    const refs = depPaths.filter((_, j) => j % srcPaths.length === i).map(dep);
    return `(mk ${i} "${src}" [ ${refs.join(' ')} ])`;
  });
  return `{ salt }:
let
  mk = i: src: deps: derivation {
    name = "nca-bench-top-\${toString i}";
    system = builtins.currentSystem;
    builder = "/bin/sh";
    args = [ "-c" "/bin/mkdir $out && /bin/cp -r \${src}/bin $out/bin && echo \${salt} \${toString deps} > $out/refs" ];
  };
in [ ${tops.join('\n  ')} ]
`;
}

// --- 3. zstd vs xz ----------------------------------------------------------------------------------------

/**
 * A job adds 8 never-seen store paths of real ELF binaries (256 KiB–4 MiB, log-spaced, ~12 MB) with
 * `nix-store --add` as `runner`; the post step pushes them with `compression: xz` (Nix's default) and with
 * `compression: zstd` (ours), each to a fresh cache.
 */
async function compression({ bed, key, log, verdicts }) {
  const binaries = pickBinaries(COMPRESSION.paths, COMPRESSION.min, COMPRESSION.max);
  const dirs = binaryDirs(bed.dir('compression'), 'nca-bench-bin', binaries, 'initial');
  const runs = { xz: [], zstd: [] };
  let n = 0;
  const runJob = async (method) => {
    const cache = await bed.writableCache();
    try {
      for (const d of dirs) writeFileSync(join(d, 'salt'), `${process.pid}-${Date.now()}-${n++}\n`);
      const post = await bed.job({
        steps: [
          { uses: '.', id: 'nix', with: inputs(key, cache.server.url, { compression: method }) },
          { id: 'add', run: `nix-store --add ${dirs.join(' ')} > /dev/null` },
        ],
      });
      const narinfos = cache.server.narinfos();
      if (post.pushed !== dirs.length || narinfos.length !== dirs.length)
        throw new Error(`${method}: pushed ${post.pushed}, the cache holds ${narinfos.length}`);
      if (narinfos.some((i) => i.compression !== method)) throw new Error(`${method}: wrong compression`);
      runs[method].push({
        post,
        file: narinfos.reduce((s, i) => s + (i.fileSize ?? NaN), 0),
        nar: narinfos.reduce((s, i) => s + i.narSize, 0),
      });
      return post.ms;
    } finally {
      await cache.close();
    }
  };
  const results = await compare(
    [
      { name: 'compression: xz (baseline)', run: () => runJob('xz') },
      { name: 'compression: zstd', run: () => runJob('zstd') },
    ],
    { runs: RUNS, warmup: 0 },
  );
  const nar = runs.zstd[0].nar;
  log(
    `3. zstd vs xz: ${binaries.length} new store paths of real ELF binaries (${formatBytes(nar)} NAR, ` +
      `${formatBytes(binaries[0].size)}–${formatBytes(binaries.at(-1).size)} each); ${RUNS} runs, interleaved`,
  );
  log(timingTable(results));
  const noise = noiseNote(results);
  if (noise) log(noise);
  log(
    table(
      ['case (median)', 'post step', 'push phase', 'compressed bytes', 'of NAR', 'vs xz'],
      ['xz', 'zstd'].map((w) => [
        w,
        formatMs(median(runs[w], (r) => r.post.ms)),
        formatMs(median(runs[w], (r) => r.post.phases.push)),
        formatBytes(runs[w][0].file),
        `${((100 * runs[w][0].file) / nar).toFixed(1)} %`,
        ratio(runs[w][0].file, runs.xz[0].file),
      ]),
    ),
  );
  const pushPhase = (w) => median(runs[w], (r) => r.post.phases.push);
  verdicts.push([
    'zstd ÷ xz: post step; push phase; bytes',
    `${ratio(results[1].stats.median, results[0].stats.median)}; ${ratio(pushPhase('zstd'), pushPhase('xz'))}; ` +
      ratio(runs.zstd[0].file, runs.xz[0].file),
    '-',
    '-',
  ]);
}
