/** Reading a process from /proc (Linux): what it takes to start it again. Parsers pure; readers use node:fs. */
import { constants } from 'node:fs';
import { access, readFile, readlink, stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { parseCmdline } from '../nix/detect/processes.js';

/** What `execvp` searches when PATH is unset. */
const DEFAULT_PATH = '/bin:/usr/bin';

/** How to start a process again as it was: the same argv (argv[0] included) and environment. */
export interface ProcessLaunch {
  /** The file to execute: argv[0] resolved (the daemon's PATH, its cwd), else /proc/PID/exe. */
  readonly executable: string;
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  /** Regular files its stdout/stderr went to (a log), reopened for appending; else /dev/null. */
  readonly stdout?: string;
  readonly stderr?: string;
}

export interface ProcStat {
  /** R, S, D, Z (zombie), X (dead)… */
  readonly state: string;
  readonly ppid: number;
  /** Session id. */
  readonly sid: number;
  /** Start time in clock ticks since boot: tells a process from a later one with the same pid. */
  readonly starttime: string;
}

/** `/proc/PID/stat`: "pid (comm) state ppid pgrp session … starttime(22) …"; comm may hold spaces and ")". */
export function parseProcStat(text: string): ProcStat | undefined {
  const fields = text
    .slice(text.lastIndexOf(')') + 1)
    .trim()
    .split(/\s+/);
  const [state, ppid, , sid] = fields;
  const starttime = fields[19];
  if (state === undefined || starttime === undefined || !/^\d+$/.test(starttime)) return undefined;
  return { state, ppid: Number(ppid), sid: Number(sid), starttime };
}

/** `/proc/PID/environ`: NUL-separated NAME=value; the first of a repeated name wins, as getenv does. */
export function parseEnviron(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of text.split('\0')) {
    const eq = entry.indexOf('=');
    if (eq <= 0) continue;
    const name = entry.slice(0, eq);
    if (!Object.hasOwn(env, name)) env[name] = entry.slice(eq + 1);
  }
  return env;
}

/**
 * The file argv[0] names, as the shell would find it for that process: absolute as is, relative to
 * the process's cwd when it has a slash, else the first executable file on the process's PATH.
 */
export async function resolveExecutable(
  argv0: string,
  path: string | undefined,
  cwd: string | undefined,
  isExecutable: (file: string) => Promise<boolean>,
): Promise<string | undefined> {
  if (argv0 === '') return undefined;
  if (argv0.includes('/')) {
    if (!isAbsolute(argv0) && cwd === undefined) return undefined;
    const file = isAbsolute(argv0) ? argv0 : resolve(cwd ?? '/', argv0);
    return (await isExecutable(file)) ? file : undefined;
  }
  for (const dir of (path ?? DEFAULT_PATH).split(':')) {
    const file = resolve(cwd ?? '/', dir || '.', argv0);
    if (await isExecutable(file)) return file;
  }
  return undefined;
}

export async function isExecutableFile(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

const readText = (path: string): Promise<string | undefined> => readFile(path, 'utf8').catch(() => undefined);
const link = (path: string): Promise<string | undefined> => readlink(path).catch(() => undefined);

export async function readProcStat(pid: number): Promise<ProcStat | undefined> {
  const text = await readText(`/proc/${pid}/stat`);
  return text === undefined ? undefined : parseProcStat(text);
}

/** Gone: no such pid, a zombie (this process may never be reaped), or a later process with the pid. */
export async function isGone(pid: number, starttime: string): Promise<boolean> {
  const now = await readProcStat(pid);
  return now === undefined || now.state === 'Z' || now.state === 'X' || now.starttime !== starttime;
}

async function logFile(pid: number, fd: number): Promise<string | undefined> {
  const target = await link(`/proc/${pid}/fd/${fd}`);
  if (target === undefined || !target.startsWith('/') || target.endsWith(' (deleted)')) return undefined;
  const s = await stat(target).catch(() => undefined);
  return s?.isFile() ? target : undefined;
}

export interface LiveProcess {
  readonly launch: ProcessLaunch;
  readonly starttime: string;
}

/** A running process and how to start it again; undefined when it is gone (or a zombie). Throws when it cannot be read. */
export async function inspectProcess(pid: number): Promise<LiveProcess | undefined> {
  const procStat = await readProcStat(pid);
  if (!procStat || procStat.state === 'Z' || procStat.state === 'X') return undefined;
  const cmdline = await readText(`/proc/${pid}/cmdline`);
  const argv = cmdline === undefined ? [] : parseCmdline(cmdline);
  const argv0 = argv[0];
  if (argv0 === undefined) throw new Error(`process ${pid} has no command line (a kernel thread?)`);
  const environ = await readText(`/proc/${pid}/environ`);
  if (environ === undefined) {
    throw new Error(`cannot read the environment of process ${pid} (/proc/${pid}/environ): not root?`);
  }
  const env = parseEnviron(environ);
  const cwd = await link(`/proc/${pid}/cwd`);
  let executable = await resolveExecutable(argv0, env['PATH'], cwd, isExecutableFile);
  if (executable === undefined) {
    const exe = await link(`/proc/${pid}/exe`);
    if (exe !== undefined && (await isExecutableFile(exe))) executable = exe;
  }
  if (executable === undefined) {
    throw new Error(
      `cannot find the executable of process ${pid} (argv[0] ${argv0}, PATH ${env['PATH'] ?? 'unset'}); not stopping it`,
    );
  }
  const [stdout, stderr] = await Promise.all([logFile(pid, 1), logFile(pid, 2)]);
  return {
    starttime: procStat.starttime,
    launch: {
      executable,
      argv,
      env,
      ...(stdout === undefined ? {} : { stdout }),
      ...(stderr === undefined ? {} : { stderr }),
    },
  };
}
