import type { NixEnvironment } from '../../src/nix/environment.js';

/** A daemon install as the test bed has it: Debian's Nix 2.8, a bare root daemon, an untrusted user. */
export const sampleEnvironment: NixEnvironment = {
  nix: { implementation: 'nix', version: '2.8.0', versionLine: 'nix (Nix) 2.8.0' },
  store: { mode: 'daemon', url: 'daemon', socket: '/nix/var/nix/daemon-socket/socket' },
  daemon: { manager: 'process', pid: 1234, command: ['nix-daemon', '--daemon'], determinate: false },
  trust: { trusted: false, source: 'config', trustedUsers: ['root'] },
  privilege: { user: 'runner', root: false, passwordlessSudo: true, canWriteRootFiles: true },
  config: {
    globalFile: '/etc/nix/nix.conf',
    files: [
      { path: '/etc/nix/nix.conf', scope: 'global', exists: true },
      { path: '/home/runner/.config/nix/nix.conf', scope: 'user', exists: false },
    ],
    fromEnvironment: false,
    settings: { 'trusted-users': 'root' },
  },
  runner: { kind: 'github-hosted', os: 'Linux', arch: 'X64', system: 'x86_64-linux' },
};
