/** The daemon as a launchd job: `launchctl print system/<label>` output. Pure. */
import type { NixDaemon } from '../environment.js';

/** Upstream's job, then Determinate's (its plist runs `/usr/local/bin/determinate-nixd daemon`). */
export const LAUNCHD_LABELS = ['org.nixos.nix-daemon', 'systems.determinate.nix-daemon'] as const;

export interface LaunchdJob {
  readonly label: string;
  /** "running", "not running", "waiting"… */
  readonly state: string;
  readonly pid?: number;
  /** The job's plist. */
  readonly path?: string;
  readonly program?: string;
  readonly arguments: string[];
}

/**
 * Parses the service dump: `system/<label> = {`, then tab-indented `key = value` lines with nested
 * `name = {` … `}` blocks. Only top-level keys and the `arguments` block are read (nested blocks such
 * as sockets or endpoints have their own `state`). Undefined for "Could not find service …".
 */
export function parseLaunchctlPrint(text: string): LaunchdJob | undefined {
  const header = /^\S*?([^/\s]+) = \{\s*$/m.exec(text);
  if (!header?.[1]) return undefined;
  const top = new Map<string, string>();
  const args: string[] = [];
  let depth = 0;
  let block: string | undefined;
  for (const raw of text.slice(header.index).split('\n')) {
    const line = raw.trim();
    if (line.endsWith('{')) {
      depth++;
      if (depth === 2) block = /^(.*?) = \{$/.exec(line)?.[1];
      continue;
    }
    if (line === '}') {
      depth--;
      if (depth < 2) block = undefined;
      if (depth <= 0) break;
      continue;
    }
    if (depth === 1) {
      const kv = /^(.+?) = (.*)$/.exec(line);
      if (kv?.[1] !== undefined && !top.has(kv[1])) top.set(kv[1], kv[2] ?? '');
    } else if (depth === 2 && block === 'arguments' && line !== '') {
      args.push(line);
    }
  }
  const pid = Number(top.get('pid'));
  const path = top.get('path');
  const program = top.get('program');
  return {
    label: header[1],
    state: top.get('state') ?? '',
    ...(Number.isInteger(pid) && pid > 0 ? { pid } : {}),
    ...(path ? { path } : {}),
    ...(program ? { program } : {}),
    arguments: args,
  };
}

/** The daemon's job: the running one of the two, else the first that exists; undefined without any. */
export function launchdDaemon(jobs: readonly (LaunchdJob | undefined)[]): NixDaemon | undefined {
  const present = jobs.filter((j): j is LaunchdJob => j !== undefined);
  const job = present.find((j) => j.state === 'running') ?? present[0];
  if (!job) return undefined;
  const command = job.arguments.length > 0 ? job.arguments : job.program ? [job.program] : undefined;
  const determinate =
    job.label.startsWith('systems.determinate.') ||
    (command?.some((part) => /(?:^|\/)determinate-nixd\b/.test(part)) ?? false);
  return {
    manager: 'launchd',
    unit: job.label,
    ...(job.state === 'running' && job.pid !== undefined ? { pid: job.pid } : {}),
    ...(command ? { command } : {}),
    determinate,
  };
}
