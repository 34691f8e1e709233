/**
 * Restarting the Nix daemon so that it reads the new configuration: through systemd, launchd, or as
 * a bare root process; then waiting until it answers the job's user again.
 */
import type { NixDaemon } from '../nix/environment.js';
import { systemctlShowArgs } from '../nix/detect/systemd.js';
import type { Privileged } from '../system/privileged.js';
import { parseProcStat } from '../system/proc.js';
import type { ExecResult, System } from '../system/types.js';
import { ActionError, errorMessage } from '../util/errors.js';
import {
  DEFAULT_LAUNCHD_LABEL,
  DEFAULT_SYSTEMD_UNIT,
  describeDaemon,
  inactiveSockets,
  launchctlKickstartArgs,
  launchctlPrintArgs,
  launchdAfterRestart,
  launchdLog,
  launchdSummary,
  systemctlDaemonReloadArgs,
  systemctlRestartArgs,
  systemctlStartArgs,
  systemctlStatusArgs,
  systemdAfterRestart,
} from './commands.js';
import { type Clock, DEFAULT_READY_TIMEOUT_MS, type WaitOutcome, waitForDaemon } from './wait.js';

export const DEFAULT_STOP_TIMEOUT_MS = 10_000;
/** systemd gives a unit 90 s to stop by default; a restart is a stop and a start. */
const SERVICE_COMMAND_TIMEOUT_MS = 120_000;
const QUERY_TIMEOUT_MS = 15_000;

export interface RestartDeps {
  readonly sys: System;
  readonly root: Privileged;
  readonly clock?: Clock;
}

export interface RestartOptions {
  /** How long the daemon gets to answer after the restart (default 30 s). */
  readonly readyTimeoutMs?: number;
  /** Bare process: how long it gets to exit after SIGTERM before SIGKILL (default 10 s). */
  readonly stopTimeoutMs?: number;
  /** systemd: `systemctl daemon-reload` first (after writing a drop-in). */
  readonly daemonReload?: boolean;
}

/** A restart that failed. `daemon` is the daemon as it is now: restart it again to roll back. */
export class DaemonRestartError extends ActionError {
  override name = 'DaemonRestartError';
  constructor(
    message: string,
    readonly daemon: NixDaemon,
  ) {
    super(message);
  }
}

const said = (out: ExecResult): string =>
  (out.stderr.trim() || out.stdout.trim() || 'no output').slice(0, 2000);
const failedCommand = (command: string, args: readonly string[], out: ExecResult): string =>
  `\`${[command, ...args].join(' ')}\` exited with code ${out.code}: ${said(out)}`;
const notReady = (outcome: WaitOutcome & { ready: false }): string =>
  `it did not answer \`nix store ping\` within ${Math.round(outcome.elapsedMs / 100) / 10} s ` +
  `(${outcome.attempts} tries); last error: ${outcome.lastError}`;
const indent = (text: string): string =>
  text
    .trim()
    .split('\n')
    .slice(0, 30)
    .map((line) => `  ${line}`)
    .join('\n');

async function waitReady(
  deps: RestartDeps,
  socket: string | undefined,
  options: RestartOptions,
  gone?: () => Promise<string | undefined>,
) {
  return waitForDaemon(
    { sys: deps.sys, ...(deps.clock ? { clock: deps.clock } : {}) },
    { socket, timeoutMs: options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS, ...(gone ? { gone } : {}) },
  );
}

async function systemdFailure(
  deps: RestartDeps,
  daemon: NixDaemon,
  what: string,
): Promise<DaemonRestartError> {
  const unit = daemon.unit ?? DEFAULT_SYSTEMD_UNIT;
  const status = await deps.root.run('systemctl', systemctlStatusArgs(unit), { timeoutMs: QUERY_TIMEOUT_MS });
  return new DaemonRestartError(
    `Restarting ${describeDaemon(daemon)} failed: ${what}.\n` +
      `\`systemctl status ${unit}\`:\n${indent(status.stdout || status.stderr)}\n` +
      `See why with \`journalctl -u ${unit}\`; a setting the daemon rejects in nix.conf is the usual cause. ` +
      `Start it again with \`sudo systemctl restart ${unit}\` once that is fixed.`,
    { ...daemon, unit },
  );
}

async function restartSystemd(
  deps: RestartDeps,
  daemon: NixDaemon,
  socket: string | undefined,
  options: RestartOptions,
) {
  const { sys, root } = deps;
  const unit = daemon.unit ?? DEFAULT_SYSTEMD_UNIT;
  const systemctl = async (args: string[]): Promise<void> => {
    const out = await root.run('systemctl', args, { timeoutMs: SERVICE_COMMAND_TIMEOUT_MS });
    if (out.code !== 0) throw await systemdFailure(deps, daemon, failedCommand('systemctl', args, out));
  };
  if (options.daemonReload) await systemctl(systemctlDaemonReloadArgs());
  await systemctl(systemctlRestartArgs(unit));
  // Socket activation: the service alone is not enough, its socket must listen too.
  const show = await sys.exec.run('systemctl', systemctlShowArgs(), { timeoutMs: QUERY_TIMEOUT_MS });
  const sockets = show.code === 0 ? inactiveSockets(show.stdout, daemon) : [];
  if (sockets.length > 0) await systemctl(systemctlStartArgs(sockets));
  const outcome = await waitReady(deps, socket, options);
  if (!outcome.ready) {
    throw await systemdFailure(
      deps,
      daemon,
      `\`systemctl restart ${unit}\` succeeded, but ${notReady(outcome)}`,
    );
  }
  const after = await sys.exec.run('systemctl', systemctlShowArgs(), { timeoutMs: QUERY_TIMEOUT_MS });
  return systemdAfterRestart(after.code === 0 ? after.stdout : '', { ...daemon, unit });
}

async function launchdFailure(
  deps: RestartDeps,
  daemon: NixDaemon,
  what: string,
): Promise<DaemonRestartError> {
  const label = daemon.unit ?? DEFAULT_LAUNCHD_LABEL;
  const print = await deps.root.run('launchctl', launchctlPrintArgs(label), { timeoutMs: QUERY_TIMEOUT_MS });
  const summary = print.code === 0 ? launchdSummary(print.stdout) : said(print);
  const log = print.code === 0 ? launchdLog(print.stdout) : undefined;
  return new DaemonRestartError(
    `Restarting ${describeDaemon(daemon)} failed: ${what}.\n` +
      `\`launchctl print system/${label}\`:\n${indent(summary)}\n` +
      `See why in ${log ?? "the job's log"}; a setting the daemon rejects in nix.conf is the usual cause. ` +
      `Start it again with \`sudo launchctl kickstart -k system/${label}\` once that is fixed (if the job is not ` +
      `loaded: \`sudo launchctl bootstrap system /Library/LaunchDaemons/${label}.plist\`).`,
    { ...daemon, unit: label },
  );
}

async function restartLaunchd(
  deps: RestartDeps,
  daemon: NixDaemon,
  socket: string | undefined,
  options: RestartOptions,
) {
  const label = daemon.unit ?? DEFAULT_LAUNCHD_LABEL;
  const args = launchctlKickstartArgs(label);
  const kick = await deps.root.run('launchctl', args, { timeoutMs: SERVICE_COMMAND_TIMEOUT_MS });
  if (kick.code !== 0) throw await launchdFailure(deps, daemon, failedCommand('launchctl', args, kick));
  const outcome = await waitReady(deps, socket, options);
  if (!outcome.ready) {
    throw await launchdFailure(
      deps,
      daemon,
      `\`launchctl ${args.join(' ')}\` succeeded, but ${notReady(outcome)}`,
    );
  }
  const print = await deps.sys.exec.run('launchctl', launchctlPrintArgs(label), {
    timeoutMs: QUERY_TIMEOUT_MS,
  });
  return launchdAfterRestart(print.code === 0 ? print.stdout : '', { ...daemon, unit: label });
}

function processAdvice(daemon: NixDaemon): string {
  const command = daemon.command?.join(' ') ?? 'nix-daemon --daemon';
  return (
    'Nothing manages this daemon, so it stays down until it is started again as root, e.g. ' +
    `\`sudo setsid ${command} </dev/null >/dev/null 2>&1 &\`. ` +
    'A setting the daemon rejects in nix.conf is the usual cause of a daemon that does not start.'
  );
}

/** Linux: the process has exited (or is a zombie nobody reaps); undefined while it runs. */
function processGone(sys: System, pid: number): () => Promise<string | undefined> {
  return async () => {
    const stat = await sys.files.read(`/proc/${pid}/stat`);
    const state = stat === undefined ? undefined : parseProcStat(stat)?.state;
    return state === undefined || state === 'Z' || state === 'X' ? `process ${pid} has exited` : undefined;
  };
}

async function restartBareProcess(
  deps: RestartDeps,
  daemon: NixDaemon,
  socket: string | undefined,
  options: RestartOptions,
) {
  if (daemon.pid === undefined) {
    throw new DaemonRestartError(`Cannot restart ${describeDaemon(daemon)}: its pid is not known.`, daemon);
  }
  let restarted;
  try {
    restarted = await deps.root.restartProcess(daemon.pid, {
      stopTimeoutMs: options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS,
    });
  } catch (error: unknown) {
    throw new DaemonRestartError(
      `Restarting ${describeDaemon(daemon)} failed: stopping it and starting the same command line again ` +
        `(as root, ${deps.root.via === 'sudo' ? 'through sudo' : 'in-process'}) did not work: ${errorMessage(error)}\n` +
        processAdvice(daemon),
      daemon,
    );
  }
  const after: NixDaemon = { ...daemon, pid: restarted.pid, command: [...restarted.argv] };
  const gone = deps.sys.host.platform === 'linux' ? processGone(deps.sys, restarted.pid) : undefined;
  const outcome = await waitReady(deps, socket, options, gone);
  if (!outcome.ready) {
    throw new DaemonRestartError(
      `Restarting ${describeDaemon(daemon)} failed: it was stopped and started again as pid ${restarted.pid}, ` +
        `but ${notReady(outcome)}.\n${processAdvice(daemon)}`,
      after,
    );
  }
  return after;
}

/**
 * Restarts the daemon by its manager and waits until `nix store ping` as the job's user succeeds;
 * returns the daemon with its new pid. Nothing to do without a daemon. Throws a DaemonRestartError
 * naming the manager, what was tried, the last error and what to do.
 */
export async function restartDaemon(
  deps: RestartDeps,
  daemon: NixDaemon,
  socket: string | undefined,
  options: RestartOptions = {},
): Promise<NixDaemon> {
  switch (daemon.manager) {
    case 'none':
      return daemon;
    case 'systemd':
      return restartSystemd(deps, daemon, socket, options);
    case 'launchd':
      return restartLaunchd(deps, daemon, socket, options);
    case 'process':
      return restartBareProcess(deps, daemon, socket, options);
  }
}

export { waitForDaemon } from './wait.js';
