import { describe, expect, it } from '@jest/globals';
import {
  commandError,
  decideAutoStore,
  decideStore,
  defaultSocketPath,
  parsePing,
  parsePingJson,
  parsePingText,
  pingCandidates,
  socketOf,
  storeModeOf,
} from '../../../src/nix/detect/store.js';
import { loadCase } from './recorded-case.js';

const NIX = ['nix', '--extra-experimental-features', 'nix-command'];
const install = (version: string, implementation: 'nix' | 'lix' | 'determinate' = 'nix') => ({
  implementation,
  version,
  versionLine: '',
});

describe('pingCandidates', () => {
  it('follows the commands each version has', () => {
    expect(pingCandidates(install('2.8.0'))).toEqual([['store', 'ping']]);
    expect(pingCandidates(install('2.15.0'))).toEqual([
      ['store', 'ping', '--json'],
      ['store', 'ping'],
    ]);
    expect(pingCandidates(install('2.31.2'))[0]).toEqual(['store', 'info', '--json']);
    expect(pingCandidates(install('2.91.1', 'lix'))).toEqual([
      ['store', 'ping', '--json'],
      ['store', 'ping'],
    ]);
  });
});

describe('parsing nix store ping / info', () => {
  it('reads 2.8 notices on stderr, as recorded as root (local) and as a user (daemon)', () => {
    const root = loadCase('debian-nix-2.8-root-local').output(...NIX, 'store', 'ping');
    expect(root.stdout).toBe('');
    expect(parsePing(root.stdout, root.stderr)).toEqual({ url: 'local', version: '2.8.0' });
    const user = loadCase('debian-nix-2.8-runner-daemon').output(...NIX, 'store', 'ping');
    expect(parsePing(user.stdout, user.stderr)).toEqual({ url: 'daemon', version: '2.8.0' });
  });

  it('reads the daemon verdict in each spelling: Trusted: 1 / 0 / true / false', () => {
    expect(parsePingText('Store URL: daemon\nVersion: 2.20.4\nTrusted: 0\n')).toEqual({
      url: 'daemon',
      version: '2.20.4',
      trusted: false,
    });
    expect(parsePingText('Store URL: daemon\nVersion: 2.28.4\nTrusted: 1\n').trusted).toBe(true);
    expect(parsePingText('Store URL: daemon\nTrusted: true\n').trusted).toBe(true);
    expect(parsePingText('Store URL: daemon\nTrusted: false\n').trusted).toBe(false);
  });

  it('skips the deprecation warning newer versions print before the notices', () => {
    const stderr =
      "warning: 'nix store ping' is a deprecated alias for 'nix store info'\nStore URL: daemon\nVersion: 2.20.4\nTrusted: 0\n";
    expect(parsePing('', stderr)).toEqual({ url: 'daemon', version: '2.20.4', trusted: false });
  });

  it('reads compact and pretty JSON with 0/1 or boolean trust', () => {
    expect(parsePingJson('{"trusted":0,"url":"daemon","version":"2.15.0"}')).toEqual({
      url: 'daemon',
      version: '2.15.0',
      trusted: false,
    });
    expect(
      parsePingJson('{\n  "trusted": true,\n  "url": "daemon",\n  "version": "2.24.10"\n}\n')?.trusted,
    ).toBe(true);
    expect(parsePingJson('{"url":"daemon"}')).toEqual({ url: 'daemon' });
    expect(parsePingJson('Store URL: daemon')).toBeUndefined();
  });

  it('keeps the URL a failed ping printed before the error', () => {
    const lix = loadCase('selfhosted-lix-2.91-daemon-down').output(...NIX, 'store', 'ping', '--json');
    expect(lix.code).toBe(1);
    expect(parsePing(lix.stdout, lix.stderr)).toEqual({ url: 'daemon' });
    expect(
      parsePing(
        '',
        "Store URL: daemon\nerror: cannot connect to socket at '/x': No such file or directory\n",
      ),
    ).toEqual({
      url: 'daemon',
    });
  });
});

describe('commandError', () => {
  it('returns the error and what follows it, without the prefix', () => {
    expect(
      commandError("Store URL: daemon\nerror: cannot connect to socket at '/s': Connection refused\n"),
    ).toBe("cannot connect to socket at '/s': Connection refused");
    expect(commandError('something odd\n')).toBe('something odd');
    expect(commandError('')).toBeUndefined();
  });
});

describe('store URLs', () => {
  it('tells local stores from everything in between', () => {
    expect(storeModeOf('local')).toBe('local');
    expect(storeModeOf('local?root=/tmp/r')).toBe('local');
    expect(storeModeOf('/nix/store')).toBe('local');
    expect(storeModeOf('daemon')).toBe('daemon');
    expect(storeModeOf('unix:///run/nix.sock')).toBe('daemon');
    expect(storeModeOf('ssh-ng://builder')).toBe('daemon');
  });

  it('finds the socket: NIX_DAEMON_SOCKET_PATH, NIX_STATE_DIR, unix:// paths', () => {
    expect(defaultSocketPath({})).toBe('/nix/var/nix/daemon-socket/socket');
    expect(defaultSocketPath({ NIX_STATE_DIR: '/srv/nix' })).toBe('/srv/nix/daemon-socket/socket');
    expect(defaultSocketPath({ NIX_STATE_DIR: '/srv/nix', NIX_DAEMON_SOCKET_PATH: '/run/n.sock' })).toBe(
      '/run/n.sock',
    );
    expect(socketOf('daemon', {})).toBe('/nix/var/nix/daemon-socket/socket');
    expect(socketOf('unix:///run/custom.sock?max-connections=2', {})).toBe('/run/custom.sock');
    expect(socketOf('unix://', {})).toBe('/nix/var/nix/daemon-socket/socket');
    expect(socketOf('ssh-ng://builder', {})).toBeUndefined();
  });
});

describe("Nix's auto store", () => {
  it('is local when the state directory is writable, else the daemon when its socket exists', () => {
    expect(decideAutoStore(true, true)).toBe('local');
    expect(decideAutoStore(false, true)).toBe('daemon');
    expect(decideAutoStore(false, false)).toBe('local');
  });
});

describe('decideStore', () => {
  it('trusts what the ping opened over the setting', () => {
    expect(decideStore({ storeSetting: 'auto', ping: { url: 'daemon', version: '2.8.0' } }, {})).toEqual({
      mode: 'daemon',
      url: 'daemon',
      socket: '/nix/var/nix/daemon-socket/socket',
      daemonVersion: '2.8.0',
    });
  });

  it('does not take a local store version for a daemon version', () => {
    expect(decideStore({ storeSetting: 'auto', ping: { url: 'local', version: '2.8.0' } }, {})).toEqual({
      mode: 'local',
      url: 'local',
    });
  });

  it('falls back to the setting, or to the auto rule, and keeps the error', () => {
    const failed = { ping: {}, pingError: 'timed out' };
    expect(decideStore({ ...failed, storeSetting: 'unix:///run/n.sock' }, {})).toEqual({
      mode: 'daemon',
      url: 'unix:///run/n.sock',
      socket: '/run/n.sock',
      error: 'timed out',
    });
    expect(
      decideStore({ ...failed, storeSetting: '', stateDirWritable: false, socketExists: true }, {}).mode,
    ).toBe('daemon');
    expect(
      decideStore({ ...failed, storeSetting: 'auto', stateDirWritable: true, socketExists: true }, {}),
    ).toEqual({
      mode: 'local',
      url: 'local',
      error: 'timed out',
    });
  });
});
