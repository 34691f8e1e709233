/** How the detected environment is shown: log lines, job summary rows and step outputs. Pure. */
import type { NixDaemon, NixEnvironment } from '../nix/environment.js';

export type Row = readonly [label: string, value: string];

const IMPLEMENTATION_NAMES = { nix: 'Nix', lix: 'Lix', determinate: 'Determinate Nix' } as const;

export function describeNix(env: NixEnvironment): string {
  const { implementation, version, implementationVersion } = env.nix;
  const name = IMPLEMENTATION_NAMES[implementation];
  // Lix has its own version line only; Determinate Nix names the upstream version it is based on.
  if (
    implementation === 'determinate' &&
    implementationVersion !== undefined &&
    implementationVersion !== version
  ) {
    return `${name} ${implementationVersion} (Nix ${version})`;
  }
  return `${name} ${implementationVersion ?? version}`;
}

export function describeDaemon(daemon: NixDaemon): string {
  const pid = daemon.pid === undefined ? '' : `, pid ${daemon.pid}`;
  switch (daemon.manager) {
    case 'systemd':
      return `systemd unit ${daemon.unit ?? 'nix-daemon.service'}${pid}`;
    case 'launchd':
      return `launchd job ${daemon.unit ?? 'org.nixos.nix-daemon'}${pid}`;
    case 'process':
      return `bare root process${pid}${daemon.command ? ` (${daemon.command.join(' ')})` : ''}`;
    case 'none':
      return 'none (single-user install)';
  }
}

function describeTrust(env: NixEnvironment): string {
  const { trusted, source, trustedUsers } = env.trust;
  const from =
    source === 'daemon'
      ? 'as the daemon reports'
      : source === 'local-store'
        ? 'local store, no daemon in between'
        : `trusted-users = ${trustedUsers.join(' ') || '(empty)'}`;
  return `${trusted ? 'yes' : 'no'} (${from})`;
}

function describePrivilege(env: NixEnvironment): string {
  const p = env.privilege;
  if (p.root) return 'yes (running as root)';
  if (p.passwordlessSudo) return 'yes (passwordless sudo)';
  return 'no (not root, no passwordless sudo)';
}

function describeStore(env: NixEnvironment): string {
  const s = env.store;
  if (s.mode === 'local') return `local store (${s.url})`;
  const version = s.daemonVersion ? `, daemon Nix ${s.daemonVersion}` : '';
  return `through the daemon (${s.socket ?? s.url}${version})`;
}

function describeConfigFiles(env: NixEnvironment): string {
  const present = env.config.files.filter((f) => f.exists).map((f) => f.path);
  const extra = env.config.fromEnvironment ? ' + NIX_CONFIG' : '';
  return (present.length > 0 ? present.join(', ') : 'none') + extra;
}

export function environmentRows(env: NixEnvironment): Row[] {
  const r = env.runner;
  return [
    ['Nix', describeNix(env)],
    ['Store', describeStore(env)],
    ['Daemon', describeDaemon(env.daemon)],
    [`Trusted user (${env.privilege.user})`, describeTrust(env)],
    ['Can write root-owned files', describePrivilege(env)],
    ['Global nix.conf', env.config.globalFile],
    ['Configuration read', describeConfigFiles(env)],
    ['Runner', `${r.kind}, ${r.os} ${r.arch} (${r.system})`],
  ];
}

export function environmentOutputs(env: NixEnvironment): Record<string, string> {
  return {
    'nix-version': env.nix.version,
    'nix-implementation': env.nix.implementation,
    'store-mode': env.store.mode,
    'daemon-manager': env.daemon.manager,
    trusted: String(env.trust.trusted),
    'can-write-root-files': String(env.privilege.canWriteRootFiles),
    'runner-kind': env.runner.kind,
    'nix-system': env.runner.system,
  };
}
