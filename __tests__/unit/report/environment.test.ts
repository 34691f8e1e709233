import { describe, expect, it } from '@jest/globals';
import type { NixEnvironment } from '../../../src/nix/environment.js';
import {
  describeDaemon,
  describeNix,
  environmentOutputs,
  environmentRows,
} from '../../../src/report/environment.js';
import { sampleEnvironment } from '../sample-environment.js';

describe('environment report', () => {
  it('names each implementation with its own and its Nix version', () => {
    expect(describeNix(sampleEnvironment)).toBe('Nix 2.8.0');
    const lix: NixEnvironment = {
      ...sampleEnvironment,
      nix: { implementation: 'lix', version: '2.91.1', implementationVersion: '2.91.1', versionLine: '' },
    };
    expect(describeNix(lix)).toBe('Lix 2.91.1');
    const det: NixEnvironment = {
      ...sampleEnvironment,
      nix: {
        implementation: 'determinate',
        version: '2.29.0',
        implementationVersion: '3.6.2',
        versionLine: '',
      },
    };
    expect(describeNix(det)).toBe('Determinate Nix 3.6.2 (Nix 2.29.0)');
    const oldDet: NixEnvironment = {
      ...sampleEnvironment,
      nix: { implementation: 'determinate', version: '2.24.10', versionLine: '' },
    };
    expect(describeNix(oldDet)).toBe('Determinate Nix 2.24.10');
  });

  it('describes every daemon manager', () => {
    expect(describeDaemon(sampleEnvironment.daemon)).toBe(
      'bare root process, pid 1234 (nix-daemon --daemon)',
    );
    expect(
      describeDaemon({ manager: 'systemd', unit: 'nix-daemon.service', pid: 9, determinate: false }),
    ).toBe('systemd unit nix-daemon.service, pid 9');
    expect(
      describeDaemon({ manager: 'launchd', unit: 'systems.determinate.nix-daemon', determinate: true }),
    ).toBe('launchd job systems.determinate.nix-daemon');
    expect(describeDaemon({ manager: 'none', determinate: false })).toBe('none (single-user install)');
  });

  it('shows trust with its reason and the files read', () => {
    const rows = Object.fromEntries(environmentRows(sampleEnvironment));
    expect(rows['Trusted user (runner)']).toBe('no (trusted-users = root)');
    expect(rows['Can write root-owned files']).toBe('yes (passwordless sudo)');
    expect(rows['Configuration read']).toBe('/etc/nix/nix.conf');
    expect(rows.Runner).toBe('github-hosted, Linux X64 (x86_64-linux)');
  });

  it('sets one output per action.yml output, as strings', () => {
    expect(environmentOutputs(sampleEnvironment)).toEqual({
      'nix-version': '2.8.0',
      'nix-implementation': 'nix',
      'store-mode': 'daemon',
      'daemon-manager': 'process',
      trusted: 'false',
      'can-write-root-files': 'true',
      'runner-kind': 'github-hosted',
      'nix-system': 'x86_64-linux',
    });
  });
});
