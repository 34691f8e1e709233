/**
 * Starting and stopping the refresher process (see system/detached.ts). Main starts it detached (its own session, no handle on
 * the step's output, or the runner would wait for it), hands it the spec on stdin and waits until it
 * says `ready`; post stops it (SIGTERM, a bounded wait, SIGKILL) before removing the credentials.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { READY_FD, type StopResult, startDetached, stopDetached } from '../../system/detached.js';
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

/** Starts the refresher and returns its pid once it runs. */
export async function startRefresher(spec: StartSpec, options: StartOptions = {}): Promise<number> {
  const full: RefresherSpec = {
    ...spec,
    version: SPEC_VERSION,
    maxRunMs: spec.maxRunMs ?? DEFAULT_MAX_RUN_MS,
    readyFd: READY_FD,
  };
  return startDetached({
    what: 'the credential refresher',
    node: options.node ?? process.execPath,
    script: options.script ?? refresherScript(),
    spec: full,
    logFile: spec.logFile,
    env: refresherEnv(options.env ?? process.env),
    ...(options.readyTimeoutMs === undefined ? {} : { readyTimeoutMs: options.readyTimeoutMs }),
  });
}

/**
 * Stops the refresher: SIGTERM, up to `timeoutMs` (default 3 s) for it to exit, then SIGKILL.
 * Nothing happens when it is gone already or the pid is no longer the refresher's.
 */
export function stopRefresher(pid: number, options: { timeoutMs?: number } = {}): Promise<StopResult> {
  return stopDetached(pid, 'refresh', options);
}
