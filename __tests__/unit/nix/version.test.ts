import { describe, expect, it } from '@jest/globals';
import {
  determinateNixdCandidates,
  isDeterminateInstall,
  parseNixVersion,
  versionAtLeast,
  versionNumbers,
} from '../../../src/nix/detect/version.js';
import { loadCase } from './recorded-case.js';

describe('parseNixVersion', () => {
  it('reads the version Debian nix-bin 2.8 printed here (recorded)', () => {
    const { stdout } = loadCase('debian-nix-2.8-runner-daemon').output('nix', '--version');
    expect(parseNixVersion(stdout)).toEqual({
      implementation: 'nix',
      version: '2.8.0',
      versionLine: 'nix (Nix) 2.8.0',
    });
  });

  it.each([
    ['nix (Nix) 2.24.10', { implementation: 'nix', version: '2.24.10' }],
    ['nix (Nix) 2.25.0pre20240920_6c5f3b1', { implementation: 'nix', version: '2.25.0pre20240920_6c5f3b1' }],
    [
      'nix (Lix, like Nix) 2.91.1',
      { implementation: 'lix', version: '2.91.1', implementationVersion: '2.91.1' },
    ],
    [
      'nix (Lix, like Nix) 2.90.0-lixpre20240520-992c63f',
      {
        implementation: 'lix',
        version: '2.90.0-lixpre20240520-992c63f',
        implementationVersion: '2.90.0-lixpre20240520-992c63f',
      },
    ],
    [
      'nix (Determinate Nix 3.6.2) 2.29.0',
      { implementation: 'determinate', version: '2.29.0', implementationVersion: '3.6.2' },
    ],
  ])('%s', (line, expected) => {
    expect(parseNixVersion(`${line}\n`)).toEqual({ ...expected, versionLine: line });
  });

  it('reads only the first line (nix --version --verbose adds more)', () => {
    const out = 'nix (Nix) 2.8.0\nSystem type: x86_64-linux\nFeatures: gc, signed-caches\n';
    expect(parseNixVersion(out)?.version).toBe('2.8.0');
  });

  it('rejects what is not a version line', () => {
    expect(parseNixVersion('')).toBeUndefined();
    expect(parseNixVersion('bash: nix: command not found\n')).toBeUndefined();
    expect(parseNixVersion('nix (Nix) unknown\n')).toBeUndefined();
  });
});

describe('versionAtLeast', () => {
  it('compares numerically, part by part', () => {
    expect(versionAtLeast('2.8.0', '2.19')).toBe(false);
    expect(versionAtLeast('2.19.0', '2.19')).toBe(true);
    expect(versionAtLeast('2.100.1', '2.19')).toBe(true);
    expect(versionAtLeast('3.0', '2.99.99')).toBe(true);
    expect(versionAtLeast('2.18.9', '2.19')).toBe(false);
  });

  it('counts a pre-release as the release it leads to', () => {
    expect(versionAtLeast('2.25.0pre20240920_6c5f3b1', '2.25')).toBe(true);
    expect(versionNumbers('2.25.0pre20240920_6c5f3b1')).toEqual([2, 25, 0]);
    expect(versionNumbers('garbage')).toEqual([]);
  });
});

describe('isDeterminateInstall', () => {
  const upstream = { implementation: 'nix' as const, version: '2.24.10', versionLine: 'nix (Nix) 2.24.10' };
  it('takes any of the version line, the daemon and the nixd binary as proof', () => {
    expect(isDeterminateInstall(upstream, false, false)).toBe(false);
    expect(isDeterminateInstall(upstream, true, false)).toBe(true);
    expect(isDeterminateInstall(upstream, false, true)).toBe(true);
    expect(isDeterminateInstall({ ...upstream, implementation: 'determinate' }, false, false)).toBe(true);
  });
});

describe('determinateNixdCandidates', () => {
  it("checks the installer's path, then absolute PATH entries, once each", () => {
    expect(determinateNixdCandidates(undefined)).toEqual(['/usr/local/bin/determinate-nixd']);
    expect(determinateNixdCandidates('/usr/local/bin:relative:/run/current-system/sw/bin/:')).toEqual([
      '/usr/local/bin/determinate-nixd',
      '/run/current-system/sw/bin/determinate-nixd',
    ]);
  });
});
