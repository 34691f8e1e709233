/** Restarting the daemon by its manager: the command lines, and reading the daemon back afterwards. Pure. */
import type { NixDaemon } from '../nix/environment.js';
import { launchdDaemon, parseLaunchctlPrint } from '../nix/detect/launchd.js';
import { parseSystemctlShow, systemdDaemon } from '../nix/detect/systemd.js';

export const DEFAULT_SYSTEMD_UNIT = 'nix-daemon.service';
export const DEFAULT_LAUNCHD_LABEL = 'org.nixos.nix-daemon';

export const systemctlRestartArgs = (unit: string): string[] => ['restart', unit];
export const systemctlStartArgs = (units: readonly string[]): string[] => ['start', ...units];
export const systemctlDaemonReloadArgs = (): string[] => ['daemon-reload'];
export const systemctlStatusArgs = (unit: string): string[] => [
  'status',
  '--no-pager',
  '--full',
  '--lines=20',
  unit,
];

/** `kickstart -k`: kill the running instance and start it again, with the job definition as loaded. */
export const launchctlKickstartArgs = (label: string): string[] => ['kickstart', '-k', `system/${label}`];
export const launchctlPrintArgs = (label: string): string[] => ['print', `system/${label}`];

/**
 * The socket units that let clients reach the service: upstream's nix-daemon.socket, and for
 * Determinate its determinate-nixd.socket too.
 */
export function socketUnitsFor(daemon: NixDaemon): string[] {
  const unit = daemon.unit ?? DEFAULT_SYSTEMD_UNIT;
  if (unit === 'determinate-nixd.service') return ['determinate-nixd.socket'];
  return daemon.determinate ? ['nix-daemon.socket', 'determinate-nixd.socket'] : ['nix-daemon.socket'];
}

/** Of `socketUnitsFor`, those `systemctl show` reports loaded but not active (to start). */
export function inactiveSockets(showText: string, daemon: NixDaemon): string[] {
  const wanted = new Set(socketUnitsFor(daemon));
  return parseSystemctlShow(showText)
    .filter((u) => wanted.has(u.id) && u.loadState === 'loaded' && u.activeState !== 'active')
    .map((u) => u.id);
}

/** The daemon after a systemd restart: its unit as `systemctl show` reports it now (MainPID). */
export function systemdAfterRestart(showText: string, before: NixDaemon): NixDaemon {
  const unit = before.unit ?? DEFAULT_SYSTEMD_UNIT;
  // Only this service (and the sockets): systemdDaemon would otherwise prefer nix-daemon.service.
  const units = parseSystemctlShow(showText).filter((u) => u.id === unit || u.id.endsWith('.socket'));
  const verdict = systemdDaemon(units);
  if (verdict?.daemon.unit !== unit) return withoutPid(before);
  return { ...verdict.daemon, determinate: before.determinate || verdict.daemon.determinate };
}

/** The daemon after a launchd restart: `launchctl print` of its job (`pid =`). */
export function launchdAfterRestart(printText: string, before: NixDaemon): NixDaemon {
  const job = launchdDaemon([parseLaunchctlPrint(printText)]);
  if (job?.unit !== (before.unit ?? DEFAULT_LAUNCHD_LABEL)) return withoutPid(before);
  return { ...job, determinate: before.determinate || job.determinate };
}

function withoutPid(daemon: NixDaemon): NixDaemon {
  const { pid: _pid, ...rest } = daemon;
  return rest;
}

/** The lines of `launchctl print` worth showing when a job does not come back. */
export function launchdSummary(printText: string): string {
  const keep = /^\s*(state|pid|last exit code|last exit reason|stdout path|stderr path|job state) = /;
  return printText
    .split('\n')
    .filter((line) => keep.test(line) && /^\t[^\t]/.test(line))
    .map((line) => line.trim())
    .join('\n');
}

/** Where a launchd job writes its errors (`stderr path = …`), for the message. */
export function launchdLog(printText: string): string | undefined {
  return /^\tstderr path = (.+)$/m.exec(printText)?.[1]?.trim();
}

/** How the message names the daemon. */
export function describeDaemon(daemon: NixDaemon): string {
  const name = daemon.determinate ? "Determinate Nix's daemon" : 'the Nix daemon';
  switch (daemon.manager) {
    case 'systemd':
      return `${name} (systemd unit ${daemon.unit ?? DEFAULT_SYSTEMD_UNIT})`;
    case 'launchd':
      return `${name} (launchd job system/${daemon.unit ?? DEFAULT_LAUNCHD_LABEL})`;
    case 'process':
      return `${name} (bare root process${daemon.pid === undefined ? '' : ` ${daemon.pid}`}${daemon.command ? `: ${daemon.command.join(' ')}` : ''})`;
    case 'none':
      return 'no daemon';
  }
}
