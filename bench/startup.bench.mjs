// Startup cost of the action's entries, each against a baseline measured in the same run:
//   - bundle size of runs.main and runs.post against an action that only imports @actions/core, bundled
//     here with the same ncc flags as .ci/build.mjs (the floor for any action built on the toolkit);
//   - cold start (spawn to exit) of each entry under the project's node 24 against an empty node script,
//     every run in a fresh throwaway step environment like the one GitHub gives an action: GITHUB_STATE,
//     GITHUB_OUTPUT, GITHUB_ENV, GITHUB_PATH, GITHUB_STEP_SUMMARY as empty temp files, RUNNER_TEMP,
//     GITHUB_WORKSPACE as the working directory, INPUT_* from action.yml's defaults, and for post the STATE_*
//     variables main saved. main runs for real (it detects Nix on this machine); its exit code is ignored
//     only when Nix is not installed.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { parse } from 'yaml';
import { compare, formatBytes, formatMs, noiseNote, ratio, runCommand, table, timingTable } from './lib.mjs';

const RUNS = 10;
const WARMUP = 2;

export default async function startup({ root, log }) {
  const node = join(root, 'node_modules', '.bin', 'node');
  if (!existsSync(node))
    throw new Error(`${node} is missing: run \`npm ci\` (the \`node\` package provides node 24)`);
  const nodeVersion = (await runCommand(node, ['--version'])).stdout.trim();

  const action = parse(readFileSync(join(root, 'action.yml'), 'utf8'));
  const entries = ['main', 'post']
    .filter((key) => typeof action.runs?.[key] === 'string')
    .map((key) => ({ key, file: join(root, action.runs[key]) }));
  for (const { key, file } of entries) {
    if (!existsSync(file)) throw new Error(`runs.${key} (${file}) is missing: run \`npm run build\``);
  }
  const inputs = Object.fromEntries(
    Object.entries(action.inputs ?? {})
      .filter(([, spec]) => spec?.default !== undefined)
      .map(([name, spec]) => [`INPUT_${name.replace(/ /g, '_').toUpperCase()}`, String(spec.default)]),
  );

  // Scratch space inside node_modules so that the baseline bundle resolves @actions/core like src/ does.
  const cacheDir = join(root, 'node_modules', '.cache');
  mkdirSync(cacheDir, { recursive: true });
  const scratch = mkdtempSync(join(cacheDir, 'nca-bench-'));
  const steps = [];
  try {
    // --- bundle size -------------------------------------------------------------------------------------
    const coreOnly = await buildCoreOnly(root, scratch);
    const size = (file) => {
      const bytes = readFileSync(file);
      return { bytes: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
    };
    const base = size(coreOnly);
    const sizes = entries.map(({ key, file }) => ({ key, ...size(file) }));
    log(`bundle size (baseline: an action that only imports @actions/core, bundled with the same ncc flags)`);
    log(
      table(
        ['bundle', 'size', 'vs baseline', 'gzip -9', 'vs baseline'],
        [
          [
            'core-only (baseline)',
            formatBytes(base.bytes),
            ratio(base.bytes, base.bytes),
            formatBytes(base.gzip),
            ratio(base.gzip, base.gzip),
          ],
          ...sizes.map((s) => [
            s.key,
            formatBytes(s.bytes),
            ratio(s.bytes, base.bytes),
            formatBytes(s.gzip),
            ratio(s.gzip, base.gzip),
          ]),
        ],
      ),
    );
    log();

    // --- cold start --------------------------------------------------------------------------------------
    const nixVersion = await runCommand('nix', ['--version'], { timeoutMs: 10_000 }).then(
      (r) => (r.code === 0 ? r.stdout.trim() : undefined),
      () => undefined,
    );

    const step = (extraEnv = {}) => {
      const dir = mkdtempSync(join(tmpdir(), 'nca-bench-step-'));
      steps.push(dir);
      const files = {};
      for (const name of [
        'GITHUB_STATE',
        'GITHUB_OUTPUT',
        'GITHUB_ENV',
        'GITHUB_PATH',
        'GITHUB_STEP_SUMMARY',
      ]) {
        files[name] = join(dir, name.toLowerCase());
        writeFileSync(files[name], '');
      }
      const workspace = join(dir, 'workspace');
      const temp = join(dir, 'runner-temp');
      mkdirSync(workspace);
      mkdirSync(temp);
      const env = {
        ...hostEnv(),
        CI: 'true',
        GITHUB_ACTIONS: 'true',
        RUNNER_OS:
          { linux: 'Linux', darwin: 'macOS', win32: 'Windows' }[process.platform] ?? process.platform,
        RUNNER_ARCH: { x64: 'X64', arm64: 'ARM64' }[process.arch] ?? process.arch,
        RUNNER_TEMP: temp,
        GITHUB_WORKSPACE: workspace,
        ...files,
        ...inputs,
        ...extraEnv,
      };
      return { dir, env, files, cwd: workspace };
    };
    const finish = (s) => {
      rmSync(s.dir, { recursive: true, force: true });
      steps.splice(steps.indexOf(s.dir), 1);
    };
    /** Runs `script` in a fresh step; returns the milliseconds; `okCodes` undefined accepts any exit code. */
    const timed = async (label, script, { extraEnv, okCodes = [0] } = {}) => {
      const s = step(extraEnv);
      try {
        const r = await runCommand(node, [script], { env: s.env, cwd: s.cwd });
        if (okCodes && !okCodes.includes(r.code)) {
          throw new Error(
            `${label} exited with ${r.code ?? r.signal}:\n${(r.stdout + r.stderr).slice(-2000)}`,
          );
        }
        return r.ms;
      } finally {
        finish(s);
      }
    };

    const main = entries.find((e) => e.key === 'main');
    const post = entries.find((e) => e.key === 'post');
    const mainOk = nixVersion ? [0] : undefined;

    // post runs with what main saved, as on GitHub: one main run first, its GITHUB_STATE turned into STATE_*.
    let postEnv = {};
    let mainNote = '';
    if (main) {
      const s = step();
      try {
        const r = await runCommand(node, [main.file], { env: s.env, cwd: s.cwd });
        if (mainOk && !mainOk.includes(r.code)) {
          throw new Error(`main exited with ${r.code ?? r.signal}:\n${(r.stdout + r.stderr).slice(-2000)}`);
        }
        const state = parseFileCommands(readFileSync(s.files.GITHUB_STATE, 'utf8'));
        postEnv = Object.fromEntries(Object.entries(state).map(([k, v]) => [`STATE_${k}`, v]));
        mainNote = `main exit ${r.code}; ${Object.keys(state).length} state value(s) handed to post`;
      } finally {
        finish(s);
      }
    }

    const empty = join(scratch, 'empty.mjs');
    writeFileSync(empty, '');
    const cases = [
      { name: 'empty node (baseline)', run: () => timed('empty script', empty) },
      { name: 'core-only action', run: () => timed('core-only action', coreOnly) },
      ...(main ? [{ name: 'main', run: () => timed('main', main.file, { okCodes: mainOk }) }] : []),
      ...(post ? [{ name: 'post', run: () => timed('post', post.file, { extraEnv: postEnv }) }] : []),
    ];
    const results = await compare(cases, { runs: RUNS, warmup: WARMUP });

    log(
      `cold start under node ${nodeVersion}, ${RUNS} runs after ${WARMUP} warm-up, interleaved ` +
        `(baseline: an empty node script in the same throwaway step environment)`,
    );
    log(`nix: ${nixVersion ?? 'not installed (main exit code ignored)'}${mainNote ? `; ${mainNote}` : ''}`);
    log(timingTable(results));
    const noise = noiseNote(results);
    if (noise) log(noise);
    log();

    const baseline = results[0].stats.median;
    for (const s of sizes) {
      log(
        `${s.key} bundle: ${ratio(s.bytes, base.bytes)} a core-only action ` +
          `(${formatBytes(s.bytes)} vs ${formatBytes(base.bytes)}; gzip ${ratio(s.gzip, base.gzip)})`,
      );
    }
    for (const r of results.slice(1)) {
      log(
        `${r.name} cold start: ${ratio(r.stats.median, baseline)} empty node ` +
          `(median ${formatMs(r.stats.median)} vs ${formatMs(baseline)})`,
      );
    }
  } finally {
    for (const dir of steps) rmSync(dir, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** The host environment without anything a real runner would set for the step (or that changes node). */
function hostEnv() {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) =>
        !/^(GITHUB_|INPUT_|STATE_|RUNNER_|ACTIONS_)/.test(k) && k !== 'NODE_OPTIONS' && !k.startsWith('npm_'),
    ),
  );
}

/** Bundles `import * as core from '@actions/core'` with .ci/build.mjs's ncc flags; returns the bundle path. */
async function buildCoreOnly(root, scratch) {
  const entry = join(scratch, 'core-only.mjs');
  writeFileSync(entry, "import * as core from '@actions/core';\n\ncore.info('core-only action');\n");
  const out = join(scratch, 'core-only');
  const ncc = join(root, 'node_modules', '@vercel', 'ncc', 'dist', 'ncc', 'cli.js');
  const r = await runCommand(
    process.execPath,
    [ncc, 'build', entry, '-o', out, '--license', 'licenses.txt', '--quiet'],
    {
      cwd: root,
      timeoutMs: 60_000,
    },
  );
  if (r.code !== 0) throw new Error(`ncc failed building the baseline:\n${r.stderr}`);
  const bundle = ['index.mjs', 'index.js']
    .map((f) => join(out, f))
    .find((f) => existsSync(f) && statSync(f).isFile());
  if (!bundle) throw new Error(`ncc wrote no index.mjs/index.js to ${out}`);
  return bundle;
}

/**
 * Reads a GITHUB_STATE/GITHUB_OUTPUT file as the runner does: `name=value` lines and
 * `name<<DELIMITER` … `DELIMITER` blocks (what @actions/core writes).
 */
export function parseFileCommands(text) {
  const values = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line === '') continue;
    const heredoc = /^([^=]+?)<<(.+)$/.exec(line);
    const eq = line.indexOf('=');
    if (heredoc && (eq < 0 || line.indexOf('<<') < eq)) {
      const [, name, delimiter] = heredoc;
      const value = [];
      for (i++; i < lines.length && lines[i] !== delimiter; i++) value.push(lines[i]);
      if (i >= lines.length) throw new Error(`unterminated ${name}<<${delimiter} in a file command`);
      values[name] = value.join('\n');
    } else if (eq > 0) {
      values[line.slice(0, eq)] = line.slice(eq + 1);
    } else {
      throw new Error(`unreadable file command line: ${line}`);
    }
  }
  return values;
}
