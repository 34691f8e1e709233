/** The daemon as a systemd unit: `systemctl show` output. Pure. */
import type { NixDaemon } from '../environment.js';

/**
 * The units asked about. Upstream and Determinate both name the service nix-daemon.service (Determinate's
 * runs determinate-nixd, which runs Nix's daemon); both ship nix-daemon.socket for socket activation,
 * Determinate adds determinate-nixd.socket. determinate-nixd.service covers setups that run nixd under
 * its own name.
 */
export const SYSTEMD_UNITS = [
  'nix-daemon.service',
  'nix-daemon.socket',
  'determinate-nixd.service',
  'determinate-nixd.socket',
] as const;

export const SYSTEMD_PROPERTIES = [
  'Id',
  'LoadState',
  'ActiveState',
  'SubState',
  'MainPID',
  'FragmentPath',
  'ExecStart',
];

/** The marker that systemd is PID 1 (sd_booted): unit files on disk alone mean nothing. */
export const SYSTEMD_RUNNING_MARKER = '/run/systemd/system';

export function systemctlShowArgs(): string[] {
  return ['show', `--property=${SYSTEMD_PROPERTIES.join(',')}`, ...SYSTEMD_UNITS];
}

export interface SystemdUnit {
  readonly id: string;
  readonly loadState: string;
  readonly activeState: string;
  readonly subState: string;
  readonly mainPid?: number;
  readonly fragmentPath?: string;
  /** The ExecStart command line: the binary systemd runs, then argv[1…]. */
  readonly command?: string[];
}

/**
 * `ExecStart={ path=/usr/bin/nix-daemon ; argv[]=nix-daemon --daemon ; ignore_errors=no ; … }`. The
 * path is what runs (argv[0] may differ: `ExecStart=@/usr/bin/nix-daemon nix-daemon --daemon`).
 * systemd joins argv with spaces, so arguments containing spaces cannot be told apart.
 */
export function parseExecStart(value: string): string[] | undefined {
  const path = /\{ path=([^ ;]+)/.exec(value)?.[1];
  const argv = /argv\[\]=(.*?)(?: ;|\s*\}|$)/.exec(value)?.[1]?.trim().split(/\s+/);
  if (path === undefined) return argv;
  return [path, ...(argv?.slice(1) ?? [])];
}

/** One block per unit, blocks separated by an empty line, `Key=Value` lines in systemd's own order. */
export function parseSystemctlShow(text: string): SystemdUnit[] {
  const units: SystemdUnit[] = [];
  for (const block of text.split(/\n\s*\n/)) {
    const props = new Map<string, string>();
    for (const line of block.split('\n')) {
      const eq = line.indexOf('=');
      if (eq > 0) props.set(line.slice(0, eq), line.slice(eq + 1));
    }
    const id = props.get('Id');
    if (!id) continue;
    const pid = Number(props.get('MainPID') ?? '0');
    const fragmentPath = props.get('FragmentPath');
    const command = props.get('ExecStart') ? parseExecStart(props.get('ExecStart') ?? '') : undefined;
    units.push({
      id,
      loadState: props.get('LoadState') ?? '',
      activeState: props.get('ActiveState') ?? '',
      subState: props.get('SubState') ?? '',
      ...(Number.isInteger(pid) && pid > 0 ? { mainPid: pid } : {}),
      ...(fragmentPath ? { fragmentPath } : {}),
      ...(command && command.length > 0 ? { command } : {}),
    });
  }
  return units;
}

export interface SystemdVerdict {
  readonly daemon: NixDaemon;
  /** The service runs, or its socket is listening and starts it on the first connection. */
  readonly serving: boolean;
}

const isDeterminateCommand = (command: readonly string[] | undefined): boolean =>
  command?.some((part) => /(?:^|\/)determinate-nixd$/.test(part)) ?? false;

/** The daemon's unit: the first loaded service of the two names; undefined when systemd has none. */
export function systemdDaemon(units: readonly SystemdUnit[]): SystemdVerdict | undefined {
  const byId = new Map(units.map((u) => [u.id, u]));
  const loaded = (id: string): SystemdUnit | undefined => {
    const unit = byId.get(id);
    return unit?.loadState === 'loaded' ? unit : undefined;
  };
  const service = loaded('nix-daemon.service') ?? loaded('determinate-nixd.service');
  if (!service) return undefined;
  const socket =
    service.id === 'nix-daemon.service' ? loaded('nix-daemon.socket') : loaded('determinate-nixd.socket');
  return {
    daemon: {
      manager: 'systemd',
      unit: service.id,
      ...(service.activeState === 'active' && service.mainPid !== undefined ? { pid: service.mainPid } : {}),
      ...(service.command ? { command: service.command } : {}),
      determinate: service.id.startsWith('determinate-') || isDeterminateCommand(service.command),
    },
    serving: service.activeState === 'active' || socket?.activeState === 'active',
  };
}
