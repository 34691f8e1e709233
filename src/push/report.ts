/** What the push tells the log and the job summary: counts, bytes, time, throughput, the largest paths. */
import type { Row } from '../report/environment.js';
import type { PushOutcome, PushProgress, PushSelection } from './types.js';
import type { RecordedPush } from './uploader-spec.js';

export interface VerifySummary {
  readonly checked: number;
  readonly ok: number;
  /** Problems, one line each (path and why). */
  readonly problems: readonly string[];
  /** Why verification was not done, or how (e.g. "presence only: no public key"). */
  readonly note?: string;
}

export interface PushReport {
  readonly cache: string;
  readonly selection: PushSelection;
  /** How many paths an upstream cache holds (skipped), and the upstreams nobody could reach. */
  readonly upstream: { readonly skipped: number; readonly unreachable: readonly string[] };
  readonly outcome: PushOutcome;
  /** Paths the during-build uploader pushed (the post push found them in the cache). */
  readonly early: readonly RecordedPush[];
  readonly verify: VerifySummary | undefined;
  /** Time spent before the copy (discovery, upstream checks, renewal), ms. */
  readonly prepareMs: number;
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(value >= 100 ? 0 : 1)} ${UNITS[unit]}`;
}

export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function count(selection: PushSelection, reason: string): number {
  let n = 0;
  for (const r of selection.skipped.values()) if (r === reason) n += 1;
  return n;
}

const name = (path: string): string => path.replace(/^.*\/[0-9a-z]{32}-/u, '');

/** The rows of the push table, in the order a reader asks: what was there, what was left out, what went up. */
export function pushRows(report: PushReport): Row[] {
  const { selection, outcome } = report;
  const earlySet = new Set(report.early.map((p) => p.path));
  const all = [...report.early, ...outcome.pushed];
  const nar = all.reduce((sum, p) => sum + p.narSize, 0);
  const known = all.filter((p) => p.fileSize !== undefined);
  const file = known.reduce((sum, p) => sum + (p.fileSize ?? 0), 0);
  const seconds = outcome.elapsedMs / 1000;
  const rows: Row[] = [
    ['Cache', report.cache],
    ['New store paths', String(selection.found.length)],
    ['Closure', `${selection.closure.length} paths`],
    ['Filtered out', String(count(selection, 'filtered'))],
    ['Derivations left out', String(count(selection, 'derivation'))],
    ['Skipped (upstream has them)', String(report.upstream.skipped)],
    ['Pushed during the build', String(report.early.length)],
    ['Already in the cache', String(outcome.present.filter((p) => !earlySet.has(p)).length)],
    ['Pushed by the post step', String(outcome.pushed.length)],
    ['Failed', String(outcome.failed.length)],
    ['NAR bytes pushed', formatBytes(nar)],
    [
      'Compressed bytes',
      known.length === 0 ? '-' : `${formatBytes(file)}${known.length < all.length ? ' (partly known)' : ''}`,
    ],
    ['Push time', `${formatMs(outcome.elapsedMs)} (+ ${formatMs(report.prepareMs)} to prepare)`],
    [
      'Throughput',
      seconds > 0 && outcome.pushed.length > 0
        ? `${formatBytes(outcome.pushed.reduce((sum, p) => sum + p.narSize, 0) / seconds)}/s`
        : '-',
    ],
  ];
  if (report.upstream.unreachable.length > 0) {
    rows.push(['Upstream not reached', report.upstream.unreachable.join(', ')]);
  }
  if (outcome.timedOut) rows.push(['Drain bound', 'reached: the rest was not pushed']);
  if (report.verify !== undefined) {
    const v = report.verify;
    rows.push([
      'Verified',
      `${v.ok}/${v.checked}${v.note === undefined ? '' : ` (${v.note})`}${v.problems.length > 0 ? `, ${v.problems.length} problem(s)` : ''}`,
    ]);
  }
  const largest = largestPushed(report, 5);
  if (largest.length > 0) rows.push(['Largest pushed', largest.join(', ')]);
  return rows;
}

export function largestPushed(report: PushReport, n: number): string[] {
  return [...report.early, ...report.outcome.pushed]
    .sort((a, b) => b.narSize - a.narSize || a.path.localeCompare(b.path))
    .slice(0, n)
    .map((p) => `${name(p.path)} (${formatBytes(p.narSize)})`);
}

/** The heartbeat line: never silent for more than 30 s while a push runs. */
export function heartbeatLine(p: PushProgress): string {
  const current = p.inFlight.slice(0, 3).map(name).join(', ');
  const more = p.inFlight.length > 3 ? ` and ${p.inFlight.length - 3} more` : '';
  return (
    `still pushing after ${formatMs(p.elapsedMs)}: ${p.done}/${p.total} paths, ` +
    `${formatBytes(p.bytesDone)} of ${formatBytes(p.bytesTotal)}` +
    (current === '' ? '' : `; uploading ${current}${more}`)
  );
}
