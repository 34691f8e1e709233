/**
 * Background helpers of the job (the credential refresher, the during-build uploader): started detached
 * (their own session, no handle on the step's output, or the runner would wait for them), handed a JSON
 * spec on stdin, awaited until they say `ready` on fd 3; stopped with SIGTERM, a bounded wait, SIGKILL.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, open, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ActionError } from '../util/errors.js';
import { parseProcStat } from './proc.js';

/** The descriptor a helper writes `ready` to. */
export const READY_FD = 3;

export interface DetachedStart {
  /** For messages: "the credential refresher". */
  readonly what: string;
  readonly node: string;
  readonly script: string;
  /** Sent on stdin as JSON. */
  readonly spec: unknown;
  /** stderr goes here (0600); the helper logs here too. */
  readonly logFile: string;
  readonly env: Readonly<Record<string, string>>;
  /** How long the helper may take to say `ready` (default 10 s). */
  readonly readyTimeoutMs?: number;
}

async function logTail(path: string): Promise<string> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text.trim().split('\n').slice(-5).join('\n');
}

/** Starts a helper and returns its pid once it says it runs. */
export async function startDetached(start: DetachedStart): Promise<number> {
  await mkdir(dirname(start.logFile), { recursive: true, mode: 0o700 });
  const log = await open(start.logFile, 'a', 0o600);
  await chmod(start.logFile, 0o600);
  let child;
  try {
    child = spawn(start.node, [start.script], {
      detached: true,
      cwd: '/',
      env: start.env,
      // stdout ignored: @actions/core writes `::add-mask::<secret>` there. stderr (crashes) to the log.
      stdio: ['pipe', 'ignore', log.fd, 'pipe'],
    });
  } finally {
    await log.close();
  }
  const ready = child.stdio[READY_FD];
  const said: Buffer[] = [];
  const timeoutMs = start.readyTimeoutMs ?? 10_000;
  const outcome = await new Promise<string>((resolve) => {
    const timer = setTimeout(() => {
      resolve(`it did not say ready within ${timeoutMs} ms`);
    }, timeoutMs);
    const done = (result: string): void => {
      clearTimeout(timer);
      resolve(result);
    };
    child.once('error', (error) => {
      done(`it could not be started: ${error.message}`);
    });
    child.once('exit', (code, signal) => {
      done(`it exited (${signal ?? `code ${code ?? '?'}`})`);
    });
    ready?.on('data', (chunk: Buffer) => {
      said.push(chunk);
      if (Buffer.concat(said).toString('utf8').includes('ready\n')) done('ready');
    });
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(JSON.stringify(start.spec));
  });
  ready?.destroy();
  child.stdin?.destroy();
  child.unref();
  if (outcome !== 'ready' || child.pid === undefined) {
    if (child.pid !== undefined && child.exitCode === null) child.kill('SIGKILL');
    const tail = await logTail(start.logFile);
    throw new ActionError(
      `${start.what[0]?.toUpperCase() ?? ''}${start.what.slice(1)} did not start: ${outcome}.${tail === '' ? '' : ` Its log (${start.logFile}):\n${tail}`}`,
    );
  }
  return child.pid;
}

export type StopResult = 'stopped' | 'killed' | 'not-running';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether `pid` is a live process (a zombie is gone: it only waits to be reaped). */
async function alive(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch {
    // ESRCH: gone. EPERM: another user's process holds the pid now, not ours.
    return false;
  }
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  // Without /proc (macOS) the signal is all there is to know.
  if (stat === undefined) return !existsSync('/proc/self');
  return parseProcStat(stat)?.state !== 'Z';
}

/** A process whose command line shows the bundle `<bundle>/index.js` (where /proc tells; elsewhere assumed). */
async function runsBundle(pid: number, bundle: string): Promise<boolean> {
  if (!existsSync('/proc/self')) return true;
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => undefined);
  return cmdline?.split('\0').some((arg) => arg.endsWith(join(bundle, 'index.js'))) === true;
}

async function gone(pid: number, withinMs: number): Promise<boolean> {
  const until = Date.now() + withinMs;
  for (;;) {
    if (!(await alive(pid))) return true;
    if (Date.now() >= until) return false;
    await sleep(25);
  }
}

/**
 * Stops a helper: SIGTERM, up to `timeoutMs` (default 3 s) for it to exit, then SIGKILL. Nothing happens
 * when it is gone already or the pid no longer runs the bundle.
 */
export async function stopDetached(
  pid: number,
  bundle: string,
  options: { timeoutMs?: number } = {},
): Promise<StopResult> {
  if (!Number.isInteger(pid) || pid <= 1) return 'not-running';
  if (!(await alive(pid)) || !(await runsBundle(pid, bundle))) return 'not-running';
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return 'not-running';
  }
  if (await gone(pid, options.timeoutMs ?? 3_000)) return 'stopped';
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return 'stopped';
  }
  await gone(pid, 2_000);
  return 'killed';
}
