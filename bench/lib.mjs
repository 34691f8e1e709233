// Small helpers for the benchmarks in this folder: repeated measurement after warm-up, median and spread,
// ratios against a baseline measured in the same run, aligned tables and a machine line.
// Every figure a benchmark prints is relative to a baseline; absolute numbers only appear next to a ratio.
import { spawn } from 'node:child_process';
import { cpus, freemem, loadavg, release, totalmem, type } from 'node:os';

/** Sorted copy. */
const sorted = (values) => [...values].sort((a, b) => a - b);

/** Quantile q (0..1) of sorted values, linear interpolation between the closest ranks. */
function quantile(s, q) {
  if (s.length === 0) return NaN;
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

/** Median, quartiles, min and max of samples; `spread` is the interquartile range over the median. */
export function stats(samples) {
  const s = sorted(samples);
  const median = quantile(s, 0.5);
  const q1 = quantile(s, 0.25);
  const q3 = quantile(s, 0.75);
  return { n: s.length, median, q1, q3, min: s[0], max: s[s.length - 1], spread: (q3 - q1) / median };
}

/** `value / base` as `1.93×`. */
export function ratio(value, base) {
  if (!(base > 0)) return 'n/a';
  const r = value / base;
  return `${r >= 10 ? r.toFixed(1) : r.toFixed(2)}×`;
}

export function formatMs(ms) {
  return ms >= 1000
    ? `${(ms / 1000).toFixed(2)} s`
    : ms >= 10
      ? `${ms.toFixed(0)} ms`
      : `${ms.toFixed(1)} ms`;
}

export function formatBytes(n) {
  if (n >= 1024 * 1024) return `${(n / 1024 / 1024).toFixed(2)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} B`;
}

export function formatPercent(x) {
  return Number.isFinite(x) ? `${(x * 100).toFixed(0)}%` : 'n/a';
}

/** An aligned text table: the first column aligned left, the others right. */
export function table(headers, rows) {
  const cells = [headers, ...rows].map((r) => r.map((c) => String(c)));
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const right = headers.map((_, i) => i > 0);
  const line = (r) =>
    r
      .map((c, i) => (right[i] ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join(
    '\n',
  );
}

/** One line describing the machine, so figures from different runs can be told apart. */
export function machineInfo(extra = []) {
  const cpu = cpus();
  const model = (cpu[0]?.model ?? 'unknown CPU').replace(/\s+/g, ' ').trim();
  const gib = (n) => (n / 1024 ** 3).toFixed(1);
  return [
    `${type()} ${release()} ${process.arch}`,
    `${cpu.length}× ${model}`,
    `${gib(totalmem())} GiB RAM (${gib(freemem())} free)`,
    `load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
    `bench node ${process.version}`,
    ...extra,
  ].join(' · ');
}

/**
 * Runs a command once and resolves with its wall time in milliseconds (spawn to exit), exit code and output.
 * Rejects on spawn errors and on timeout (the process is killed).
 */
export function runCommand(command, args, { env, cwd, timeoutMs = 30_000 } = {}) {
  return new Promise((resolvePromise, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(command, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} did not exit within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      resolvePromise({ ms, code, signal, stdout, stderr });
    });
  });
}

/** Measures `fn` (sync or async) `runs` times after `warmup` calls; returns the samples in milliseconds. */
export async function measure(fn, { runs = 10, warmup = 2 } = {}) {
  for (let i = 0; i < warmup; i++) await fn();
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    await fn();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return samples;
}

/**
 * Measures several cases interleaved (one run of each per round, the order rotating each round) so that
 * drift in machine load hits the baseline and the cases alike. Each case is `{ name, run }` where `run`
 * resolves with the milliseconds to record (or undefined to time the call itself). The first case is the
 * baseline. Resolves with `[{ name, samples, stats }]` in the given order.
 */
export async function compare(cases, { runs = 10, warmup = 2 } = {}) {
  const samples = cases.map(() => []);
  for (let round = 0; round < warmup + runs; round++) {
    for (let k = 0; k < cases.length; k++) {
      const i = (k + round) % cases.length;
      const start = process.hrtime.bigint();
      const reported = await cases[i].run();
      const ms = typeof reported === 'number' ? reported : Number(process.hrtime.bigint() - start) / 1e6;
      if (round >= warmup) samples[i].push(ms);
    }
  }
  return cases.map((c, i) => ({ name: c.name, samples: samples[i], stats: stats(samples[i]) }));
}

/** A table of `compare` results: median, spread and min–max, each case as a ratio of the first one. */
export function timingTable(results) {
  const base = results[0].stats.median;
  return table(
    ['case', 'median', 'vs baseline', 'spread (IQR)', 'min–max'],
    results.map(({ name, stats: s }) => [
      name,
      formatMs(s.median),
      ratio(s.median, base),
      formatPercent(s.spread),
      `${formatMs(s.min)}–${formatMs(s.max)}`,
    ]),
  );
}

/** A warning line when any case's spread exceeds `threshold`, else undefined. */
export function noiseNote(results, threshold = 0.25) {
  const noisy = results.filter((r) => r.stats.spread > threshold).map((r) => r.name);
  if (noisy.length === 0) return undefined;
  return (
    `note: spread above ${formatPercent(threshold)} for ${noisy.join(', ')}: the machine was busy. ` +
    'The cases were interleaved, so ratios hold up better than absolute times; rerun for firmer figures.'
  );
}
