/** The daemon as a bare process: /proc (Linux) or `ps` (macOS) data. Pure. */
import type { NixDaemon } from '../environment.js';

export interface ProcessInfo {
  readonly pid: number;
  readonly ppid: number;
  readonly argv: readonly string[];
}

export const PS_ARGS = ['-axo', 'pid=,ppid=,uid=,command='];

/**
 * `/proc/PID/cmdline`: argv, NUL-separated and NUL-terminated. A process that rewrote its title leaves
 * NUL padding behind (Nix 2.8's per-connection worker shows as "nix-daemon\0<client pid>\0\0\0\0").
 */
export function parseCmdline(raw: string): string[] {
  const parts = raw.split('\0');
  while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

/** `/proc/PID/stat`: "pid (comm) state ppid …"; comm may hold spaces and parentheses. */
export function parseStatPpid(stat: string): number | undefined {
  const fields = stat
    .slice(stat.lastIndexOf(')') + 1)
    .trim()
    .split(/\s+/);
  const ppid = Number(fields[1]);
  return Number.isInteger(ppid) && fields[1] !== undefined ? ppid : undefined;
}

/** `ps -axo pid=,ppid=,uid=,command=`: argv is the command split on spaces (ps joins it so). */
export function parsePs(text: string): ProcessInfo[] {
  const out: ProcessInfo[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*(\d+)\s+(\d+)\s+\d+\s+(.*)$/.exec(line);
    if (m?.[3] === undefined) continue;
    out.push({ pid: Number(m[1]), ppid: Number(m[2]), argv: m[3].trim().split(/\s+/) });
  }
  return out;
}

const basename = (path: string): string => path.slice(path.lastIndexOf('/') + 1);

/**
 * A Nix daemon's command line: `nix-daemon …` or `nix daemon …` (argv[0] may be a full path), or
 * Determinate's `determinate-nixd … daemon`, which runs Nix's daemon as its child.
 */
export function isDaemonArgv(argv: readonly string[]): boolean {
  const name = basename(argv[0] ?? '');
  if (name === 'nix-daemon') return true;
  if (name === 'nix') return argv[1] === 'daemon';
  return name === 'determinate-nixd' && argv.includes('daemon');
}

export function isDeterminateArgv(argv: readonly string[]): boolean {
  return basename(argv[0] ?? '') === 'determinate-nixd';
}

/**
 * The daemon to manage: daemon processes whose parent is not one too. The daemon forks a child per
 * connection that keeps the parent's command line; Determinate's nixd runs Nix's daemon as a child.
 * Of several independent daemons the oldest (lowest pid) is taken.
 */
export function pickDaemonProcess(processes: readonly ProcessInfo[]): ProcessInfo | undefined {
  const daemons = processes.filter((p) => isDaemonArgv(p.argv));
  const pids = new Set(daemons.map((p) => p.pid));
  const top = daemons.filter((p) => !pids.has(p.ppid)).sort((a, b) => a.pid - b.pid);
  return top[0];
}

export function processDaemon(process: ProcessInfo | undefined): NixDaemon {
  if (!process) return { manager: 'none', determinate: false };
  return {
    manager: 'process',
    pid: process.pid,
    command: [...process.argv],
    determinate: isDeterminateArgv(process.argv),
  };
}
