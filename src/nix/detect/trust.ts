/** Whether the daemon trusts the job's user. Pure. */
import type { NixStore, NixTrust } from '../environment.js';
import { applySettings, type ConfLine } from './conf-syntax.js';

/**
 * `trusted-users` as the daemon has it: from the global configuration (the daemon never reads a
 * user's files), default `root`, `extra-trusted-users` appended. Only as fresh as the daemon's last
 * start: the daemon reads its configuration once.
 */
export function daemonTrustedUsers(globalLines: readonly ConfLine[]): string[] {
  const settings = applySettings({ 'trusted-users': 'root' }, globalLines);
  return (settings['trusted-users'] ?? '').split(/\s+/).filter((u) => u !== '');
}

/** `id -Gn`: the user's group names, space-separated. */
export function parseGroups(output: string): string[] {
  return output.split(/\s+/).filter((g) => g !== '');
}

/** Whether any entry names a group (only then are the user's groups needed). */
export function mentionsGroups(trustedUsers: readonly string[]): boolean {
  return trustedUsers.some((u) => u.startsWith('@'));
}

/**
 * The daemon's rule (matchUser in Nix's daemon): `*`, the user's name, or `@group` for a group the
 * user belongs to. There is no special case for root: root is trusted because the default list is
 * `root`; a configuration that replaces the list without naming root leaves root untrusted.
 */
export function matchesTrustedUsers(
  user: string,
  groups: readonly string[],
  trustedUsers: readonly string[],
): boolean {
  return trustedUsers.some(
    (entry) => entry === '*' || entry === user || (entry.startsWith('@') && groups.includes(entry.slice(1))),
  );
}

export interface TrustFacts {
  readonly store: NixStore;
  /** The daemon's own answer from `nix store ping` (2.15+), when it gave one. */
  readonly daemonTrusted?: boolean;
  readonly user: string;
  readonly groups: readonly string[];
  readonly trustedUsers: readonly string[];
}

/**
 * A local store has no daemon in between: the user can do anything the store's permissions allow.
 * Through a daemon, the daemon's own answer wins; without one (before 2.15, or daemon down), the
 * configuration decides.
 */
export function decideTrust(facts: TrustFacts): NixTrust {
  const trustedUsers = [...facts.trustedUsers];
  if (facts.store.mode === 'local') return { trusted: true, source: 'local-store', trustedUsers };
  if (facts.daemonTrusted !== undefined)
    return { trusted: facts.daemonTrusted, source: 'daemon', trustedUsers };
  return {
    trusted: matchesTrustedUsers(facts.user, facts.groups, trustedUsers),
    source: 'config',
    trustedUsers,
  };
}
