import { describe, expect, it } from '@jest/globals';
import { decidePrivilege } from '../../../src/nix/detect/privilege.js';
import { decideRunner, nixSystemOf, runnerKind } from '../../../src/nix/detect/runner.js';
import type { Host } from '../../../src/system/types.js';

const linux: Host = { platform: 'linux', arch: 'x64', uid: 1001, user: 'runner', home: '/home/runner' };

describe('decidePrivilege', () => {
  it('root can write root files without sudo', () => {
    expect(
      decidePrivilege({ ...linux, uid: 0, user: 'root' }, { code: 127, stdout: '', stderr: '' }),
    ).toEqual({
      user: 'root',
      root: true,
      passwordlessSudo: false,
      canWriteRootFiles: true,
    });
  });
  it('anyone else needs sudo -n true to succeed', () => {
    expect(decidePrivilege(linux, { code: 0, stdout: '', stderr: '' }).canWriteRootFiles).toBe(true);
    const asked = decidePrivilege(linux, { code: 1, stdout: '', stderr: 'sudo: a password is required\n' });
    expect(asked).toEqual({ user: 'runner', root: false, passwordlessSudo: false, canWriteRootFiles: false });
  });
});

describe('runnerKind', () => {
  it('believes RUNNER_ENVIRONMENT and takes its absence as self-hosted', () => {
    expect(runnerKind({ RUNNER_ENVIRONMENT: 'github-hosted' })).toBe('github-hosted');
    expect(runnerKind({ RUNNER_ENVIRONMENT: 'self-hosted' })).toBe('self-hosted');
    expect(runnerKind({})).toBe('self-hosted');
    expect(runnerKind({ RUNNER_ENVIRONMENT: 'something-new' })).toBe('self-hosted');
  });
});

describe('nixSystemOf', () => {
  it.each([
    ['linux', 'x64', 'x86_64-linux'],
    ['linux', 'arm64', 'aarch64-linux'],
    ['darwin', 'x64', 'x86_64-darwin'],
    ['darwin', 'arm64', 'aarch64-darwin'],
  ] as const)('%s/%s → %s', (platform, arch, system) => {
    expect(nixSystemOf(platform, arch)).toBe(system);
  });
});

describe('decideRunner', () => {
  it('takes RUNNER_OS/RUNNER_ARCH and Nix’s own system when present', () => {
    expect(
      decideRunner(
        { RUNNER_ENVIRONMENT: 'github-hosted', RUNNER_OS: 'Linux', RUNNER_ARCH: 'ARM64' },
        linux,
        'aarch64-linux',
      ),
    ).toEqual({ kind: 'github-hosted', os: 'Linux', arch: 'ARM64', system: 'aarch64-linux' });
  });
  it('derives them from the host otherwise', () => {
    expect(decideRunner({}, { ...linux, platform: 'darwin', arch: 'arm64' })).toEqual({
      kind: 'self-hosted',
      os: 'macOS',
      arch: 'ARM64',
      system: 'aarch64-darwin',
    });
  });
});
