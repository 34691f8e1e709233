/**
 * Starting and stopping the refresher process. Main starts it detached (its own session, no handle on
 * the step's output, or the runner would wait for it), hands it the spec on stdin and waits until it
 * says `ready`; post stops it (SIGTERM, a bounded wait, SIGKILL) before removing the credentials.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, open, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseProcStat } from '../../system/proc.js';
import { ActionError } from '../../util/errors.js';
import { DEFAULT_MAX_RUN_MS, type RefresherSpec, SPEC_VERSION } from './spec.js';

/** The refresher bundle beside this one (dist/refresh/index.js next to dist/main/index.js). */
export const refresherScript = (): string =>
  join(dirname(fileURLToPath(import.meta.url)), '..', 'refresh', 'index.js');

/** Environment variables the refresher gets: nothing secret (no INPUT_*, no tokens). */
const PASSED_ENV = [
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'LANG',
  'LC_ALL',
  'TMPDIR',
  'RUNNER_TEMP',
  // The runner ends processes carrying its job's tracking id when the job is over.
  'RUNNER_TRACKING_ID',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
];

export function refresherEnv(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of PASSED_ENV) {
    const value = env[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}

export type StartSpec = Omit<RefresherSpec, 'version' | 'readyFd' | 'maxRunMs'> & {
  readonly maxRunMs?: number;
};

export interface StartOptions {
  readonly node?: string;
  readonly script?: string;
  /** How long the refresher may take to say `ready` (default 10 s). */
  readonly readyTimeoutMs?: number;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

const READY_FD = 3;

async function logTail(path: string): Promise<string> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text.trim().split('\n').slice(-5).join('\n');
}

/** Starts the refresher and returns its pid once it runs. */
export async function startRefresher(spec: StartSpec, options: StartOptions = {}): Promise<number> {
  await mkdir(dirname(spec.logFile), { recursive: true, mode: 0o700 });
  const log = await open(spec.logFile, 'a', 0o600);
  await chmod(spec.logFile, 0o600);
  const full: RefresherSpec = {
    ...spec,
    version: SPEC_VERSION,
    maxRunMs: spec.maxRunMs ?? DEFAULT_MAX_RUN_MS,
    readyFd: READY_FD,
  };
  let child;
  try {
    child = spawn(options.node ?? process.execPath, [options.script ?? refresherScript()], {
      detached: true,
      cwd: '/',
      env: refresherEnv(options.env ?? process.env),
      // stdout ignored: @actions/core writes `::add-mask::<token>` there. stderr (crashes) to the log.
      stdio: ['pipe', 'ignore', log.fd, 'pipe'],
    });
  } finally {
    await log.close();
  }
  const ready = child.stdio[READY_FD];
  const said: Buffer[] = [];
  const outcome = await new Promise<string>((resolve) => {
    const timer = setTimeout(() => {
      resolve(`it did not say ready within ${options.readyTimeoutMs ?? 10_000} ms`);
    }, options.readyTimeoutMs ?? 10_000);
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
    child.stdin?.end(JSON.stringify(full));
  });
  ready?.destroy();
  child.stdin?.destroy();
  child.unref();
  if (outcome !== 'ready' || child.pid === undefined) {
    if (child.pid !== undefined && child.exitCode === null) child.kill('SIGKILL');
    const tail = await logTail(spec.logFile);
    throw new ActionError(
      `The credential refresher did not start: ${outcome}.${tail === '' ? '' : ` Its log (${spec.logFile}):\n${tail}`}`,
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

/** A process whose command line shows the refresher bundle (where /proc tells; elsewhere assumed). */
async function isRefresher(pid: number): Promise<boolean> {
  if (!existsSync('/proc/self')) return true;
  const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => undefined);
  return cmdline?.split('\0').some((arg) => arg.endsWith(join('refresh', 'index.js'))) === true;
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
 * Stops the refresher: SIGTERM, up to `timeoutMs` (default 3 s) for it to exit, then SIGKILL.
 * Nothing happens when it is gone already or the pid is no longer the refresher's.
 */
export async function stopRefresher(pid: number, options: { timeoutMs?: number } = {}): Promise<StopResult> {
  if (!Number.isInteger(pid) || pid <= 1) return 'not-running';
  if (!(await alive(pid)) || !(await isRefresher(pid))) return 'not-running';
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
