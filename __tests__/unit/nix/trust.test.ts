import { describe, expect, it } from '@jest/globals';
import type { NixStore } from '../../../src/nix/environment.js';
import { parseConf } from '../../../src/nix/detect/conf-syntax.js';
import {
  daemonTrustedUsers,
  decideTrust,
  matchesTrustedUsers,
  mentionsGroups,
  parseGroups,
} from '../../../src/nix/detect/trust.js';
import { loadCase } from './recorded-case.js';

describe('daemonTrustedUsers', () => {
  it('reads the recorded test bed nix.conf', () => {
    const c = loadCase('debian-nix-2.8-runner-daemon');
    const text = c.text(c.spec.files?.['/etc/nix/nix.conf']);
    expect(daemonTrustedUsers(parseConf(text))).toEqual(['root']);
  });

  it('defaults to root, is replaced by trusted-users and extended by extra-trusted-users', () => {
    expect(daemonTrustedUsers([])).toEqual(['root']);
    expect(daemonTrustedUsers(parseConf('extra-trusted-users = runner'))).toEqual(['root', 'runner']);
    expect(daemonTrustedUsers(parseConf('trusted-users = @wheel\nextra-trusted-users = ci'))).toEqual([
      '@wheel',
      'ci',
    ]);
    expect(daemonTrustedUsers(parseConf('trusted-users ='))).toEqual([]);
  });
});

describe('parseGroups / mentionsGroups', () => {
  it('splits `id -Gn`', () => {
    expect(parseGroups('runner adm docker\n')).toEqual(['runner', 'adm', 'docker']);
    expect(parseGroups('')).toEqual([]);
  });
  it('notices @group entries', () => {
    expect(mentionsGroups(['root', '@wheel'])).toBe(true);
    expect(mentionsGroups(['root', 'runner'])).toBe(false);
  });
});

describe("matchesTrustedUsers (the daemon's matchUser)", () => {
  it('matches *, the name, or a group of the user', () => {
    expect(matchesTrustedUsers('runner', [], ['*'])).toBe(true);
    expect(matchesTrustedUsers('runner', [], ['root', 'runner'])).toBe(true);
    expect(matchesTrustedUsers('runner', ['runner', 'wheel'], ['@wheel'])).toBe(true);
    expect(matchesTrustedUsers('runner', ['runner'], ['@wheel', 'wheel'])).toBe(false);
  });
  it('has no special case for root: a list without root leaves root untrusted', () => {
    expect(matchesTrustedUsers('root', ['root'], ['root'])).toBe(true);
    expect(matchesTrustedUsers('root', ['root'], ['runner'])).toBe(false);
  });
});

describe('decideTrust', () => {
  const daemon: NixStore = { mode: 'daemon', url: 'daemon' };
  const base = { user: 'runner', groups: ['runner'], trustedUsers: ['root'] };

  it('takes a local store as trusted', () => {
    expect(decideTrust({ ...base, store: { mode: 'local', url: 'local' } })).toEqual({
      trusted: true,
      source: 'local-store',
      trustedUsers: ['root'],
    });
  });
  it("prefers the daemon's own answer to the configuration", () => {
    expect(decideTrust({ ...base, store: daemon, daemonTrusted: true })).toEqual({
      trusted: true,
      source: 'daemon',
      trustedUsers: ['root'],
    });
    expect(decideTrust({ ...base, trustedUsers: ['*'], store: daemon, daemonTrusted: false }).trusted).toBe(
      false,
    );
  });
  it('computes from trusted-users without an answer', () => {
    expect(decideTrust({ ...base, store: daemon })).toEqual({
      trusted: false,
      source: 'config',
      trustedUsers: ['root'],
    });
    expect(decideTrust({ ...base, trustedUsers: ['@runner'], store: daemon }).trusted).toBe(true);
  });
});
