/**
 * Restarting a bare root process (a nix-daemon nothing manages): stop it, start its command line again
 * in a new session that outlives the action. Linux only (/proc). Used in-process and by the root helper.
 */
import { spawn } from 'node:child_process';
import { mkdir, open, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { errorMessage } from '../util/errors.js';
import type { RestartProcessOptions, RestartedProcess } from './privileged.js';
import { type ProcessLaunch, inspectProcess, isGone } from './proc.js';
import { readRootFile, removeRootFile, writeFileAtomic } from './root-files.js';

/** Where the launch of a process stopped here waits until its successor is up (root-only: it holds the environment). */
export const STOPPED_RECORD_DIR = '/run/nix-cache-action/stopped';
/**
 * The output of a restarted process whose output went nowhere readable before (/dev/null, a pipe, a
 * terminal): kept, so that a start that fails can say why (Nix prints "error: …" and exits).
 */
export const RESTARTED_LOG = '/run/nix-cache-action/restarted.log';
/** A daemon that rejects its configuration exits within tens of ms (Nix 2.8: ~30 ms). */
export const DEFAULT_SETTLE_MS = 250;
const POLL_MS = 50;
/** After SIGKILL: only a process stuck in the kernel (D state) takes longer. */
const KILL_WAIT_MS = 5000;
const LOG_TAIL_CHARS = 2000;

interface StoppedRecord {
  readonly starttime: string;
  readonly launch: ProcessLaunch;
}

export interface RestartPlaces {
  /** Directory of the stopped-process records (tests use a temporary one). */
  readonly recordDir: string;
  /** Output of a process whose output was not a regular file. */
  readonly logFile: string;
}

async function readRecord(path: string): Promise<StoppedRecord | undefined> {
  const text = await readRootFile(path);
  if (text === undefined) return undefined;
  const data = JSON.parse(text) as StoppedRecord;
  if (typeof data.starttime !== 'string' || !Array.isArray(data.launch.argv)) {
    throw new Error(`unreadable record ${path}`);
  }
  return data;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (error: unknown) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ESRCH') return;
    throw new Error(`cannot send ${sig} to process ${pid}: ${errorMessage(error)}`, { cause: error });
  }
}

async function waitGone(pid: number, starttime: string, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await isGone(pid, starttime)) return true;
    if (Date.now() >= deadline) return false;
    await sleep(POLL_MS);
  }
}

/** SIGTERM, up to `stopTimeoutMs`, then SIGKILL. */
async function stop(pid: number, starttime: string, stopTimeoutMs: number): Promise<void> {
  signal(pid, 'SIGTERM');
  if (await waitGone(pid, starttime, stopTimeoutMs)) return;
  signal(pid, 'SIGKILL');
  if (await waitGone(pid, starttime, KILL_WAIT_MS)) return;
  throw new Error(`process ${pid} did not exit after SIGTERM, ${stopTimeoutMs} ms, and SIGKILL`);
}

async function openLog(
  path: string | undefined,
): Promise<{ fd: number; close: () => Promise<void> } | undefined> {
  if (path === undefined) return undefined;
  await mkdir(dirname(path), { recursive: true, mode: 0o700 }).catch(() => undefined);
  const handle = await open(path, 'a', 0o600).catch(() => undefined);
  return handle ? { fd: handle.fd, close: () => handle.close() } : undefined;
}

async function logSince(path: string | undefined, offset: number): Promise<string> {
  if (path === undefined) return '';
  const handle = await open(path, 'r').catch(() => undefined);
  if (!handle) return '';
  try {
    const size = (await handle.stat()).size;
    const start = Math.max(offset, size - LOG_TAIL_CHARS);
    const buffer = Buffer.alloc(Math.max(0, size - start));
    await handle.read(buffer, 0, buffer.length, start);
    const text = buffer.toString('utf8').trim();
    return text === '' ? '' : ` Its output (${path}):\n${text}`;
  } finally {
    await handle.close();
  }
}

/**
 * Starts `launch` in a new session (setsid), cwd /, stdin /dev/null, never holding the caller's
 * stdout/stderr (the runner waits for a step's output to close). Resolves with the pid once the
 * process has stayed up for `settleMs`; rejects when it could not start or exited before.
 */
export async function startProcess(
  launch: ProcessLaunch,
  settleMs: number,
  replacing: number,
): Promise<number> {
  const command = launch.argv.join(' ');
  const [out, err] = await Promise.all([openLog(launch.stdout), openLog(launch.stderr)]);
  const offset =
    launch.stderr === undefined ? 0 : ((await stat(launch.stderr).catch(() => undefined))?.size ?? 0);
  const started = Date.now();
  const seen: { exit?: { code: number | null; signal: NodeJS.Signals | null }; pid?: number } = {};
  try {
    const child = spawn(launch.executable, launch.argv.slice(1), {
      argv0: launch.argv[0] ?? launch.executable,
      env: { ...launch.env },
      cwd: '/',
      detached: true,
      stdio: ['ignore', out?.fd ?? 'ignore', err?.fd ?? 'ignore'],
    });
    child.on('exit', (code, sig) => (seen.exit = { code, signal: sig }));
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    child.unref();
    if (child.pid !== undefined) seen.pid = child.pid;
    const deadline = started + settleMs;
    while (seen.exit === undefined && Date.now() < deadline) await sleep(Math.min(POLL_MS, settleMs));
  } catch (error: unknown) {
    throw new Error(
      `could not start \`${command}\` (${launch.executable}) again in place of pid ${replacing}: ${errorMessage(error)}`,
      { cause: error },
    );
  } finally {
    await Promise.all([out?.close(), err?.close()]);
  }
  const { exit, pid } = seen;
  if (exit !== undefined || pid === undefined) {
    const how = exit?.signal ? `was killed by ${exit.signal}` : `exited with code ${exit?.code ?? '?'}`;
    throw new Error(
      `\`${command}\`, started again in place of pid ${replacing}, ${how} within ${Date.now() - started} ms; ` +
        `pid ${replacing} is stopped and nothing runs in its place.${await logSince(launch.stderr, offset)}`,
    );
  }
  return pid;
}

export async function restartProcess(
  pid: number,
  options: RestartProcessOptions,
  places: RestartPlaces = { recordDir: STOPPED_RECORD_DIR, logFile: RESTARTED_LOG },
): Promise<RestartedProcess> {
  if (process.platform !== 'linux') {
    throw new Error(`restarting a bare process reads /proc, which ${process.platform} does not have`);
  }
  if (!Number.isInteger(pid) || pid <= 1) throw new Error(`not a process to restart: pid ${pid}`);
  const recordPath = join(places.recordDir, `${pid}.json`);
  const saved = await readRecord(recordPath);
  const live = await inspectProcess(pid);
  let launch: ProcessLaunch;
  if (live && (saved === undefined || saved.starttime === live.starttime)) {
    launch = live.launch;
    const record: StoppedRecord = { starttime: live.starttime, launch };
    await writeFileAtomic(recordPath, JSON.stringify(record), 0o600, { owner: undefined, dirMode: 0o700 });
    await stop(pid, live.starttime, options.stopTimeoutMs);
  } else if (saved) {
    launch = saved.launch; // stopped here before, its start failed: start it again
  } else {
    throw new Error(`process ${pid} is not running (and was not stopped by this action): nothing to restart`);
  }
  const output: ProcessLaunch = {
    ...launch,
    stdout: launch.stdout ?? places.logFile,
    stderr: launch.stderr ?? places.logFile,
  };
  const newPid = await startProcess(output, options.settleMs ?? DEFAULT_SETTLE_MS, pid);
  await removeRootFile(recordPath);
  return { pid: newPid, argv: launch.argv };
}
