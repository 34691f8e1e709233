/** The text planning produces for people: log notes (what could not be configured, why, how to fix it) and summary rows. */
import type { NixEnvironment } from '../nix/environment.js';
import type { NetrcEntry } from './types.js';

/** Why the daemon's own configuration is left alone. */
export type DaemonUnreachable = 'no-root' | 'managed';

export interface ClientOnlyFacts {
  readonly environment: NixEnvironment;
  readonly user: string;
  readonly reason: DaemonUnreachable;
  /** The user configuration file that carries the settings instead. */
  readonly userFile: string;
  readonly substituters: readonly string[];
  readonly keys: readonly string[];
  /** The cache host a token was given for. */
  readonly tokenHost: string | undefined;
  /** Whether the daemon reads the token anyway (an existing netrc it uses was extended). */
  readonly daemonHasToken: boolean;
  readonly wantsTrust: boolean;
  /**
   * What the daemon's own configuration (the global nix.conf chain, not the user's files) already
   * lists: substituters any client may use (`substituters`, `trusted-substituters`), and keys.
   */
  readonly daemonAllows: { readonly substituters: readonly string[]; readonly keys: readonly string[] };
}

const unslash = (url: string): string => url.replace(/\/+$/u, '');

/**
 * Notes for settings that reach only the job user's own Nix commands; `missing` when the daemon goes
 * without some of them (the notes then say which, and how to fix it: a warning, not an aside).
 */
export function clientOnlyNotes(f: ClientOnlyFacts): { readonly notes: string[]; readonly missing: boolean } {
  const env = f.environment;
  const notes: string[] = [];
  const globalFile = env.config.globalFile;
  const why =
    f.reason === 'managed'
      ? `${globalFile} is managed by the system (a link into /nix/store or /etc/static, as on NixOS) and was left unchanged`
      : `The action cannot write root-owned files (the job runs as ${f.user}, without passwordless sudo)`;

  if (env.store.mode === 'local' && f.reason === 'no-root') {
    notes.push(
      `${why}, but no nix-daemon is in use: Nix opens the store itself, so ${f.userFile} configures it fully.`,
    );
    if (f.wantsTrust) notes.push(`trusted-user: without a daemon there is no trusted-users list to join.`);
    return { notes, missing: false };
  }
  if (env.trust.trusted) {
    notes.push(
      `${why}, but the daemon trusts ${f.user}: it applies the settings Nix sends from ${f.userFile} with each connection.`,
    );
    return { notes, missing: false };
  }
  notes.push(
    `${why}, and the daemon does not trust ${f.user}: the settings were written to ${f.userFile}, for the Nix commands ${f.user} runs.`,
  );
  const allowed = new Set(f.daemonAllows.substituters.map(unslash));
  const ignored = f.substituters.filter((url) => !allowed.has(unslash(url)));
  if (ignored.length > 0) {
    notes.push(
      `The daemon ignores substituters it does not already list in substituters or trusted-substituters: builds will not download from ${ignored.join(', ')}.`,
    );
  }
  const refused = f.keys.filter((k) => !f.daemonAllows.keys.includes(k));
  if (refused.length > 0) {
    const names = refused.map((k) => k.slice(0, k.indexOf(':'))).join(', ');
    notes.push(
      `The daemon ignores trusted-public-keys from an untrusted user: it refuses paths signed only by ${names}.`,
    );
  }
  if (f.tokenHost !== undefined && !f.daemonHasToken) {
    notes.push(
      `The daemon ignores netrc-file from an untrusted user: the token for ${f.tokenHost} serves commands that open the cache themselves (nix copy), not downloads during builds.`,
    );
  }
  if (f.wantsTrust) notes.push(`trusted-user: adding ${f.user} to trusted-users needs root.`);
  // The daemon's own configuration may already have everything (a NixOS system that lists the cache).
  if (notes.length === 1) return { notes, missing: false };
  notes.push(
    f.reason === 'managed'
      ? `To fix: set nix.settings.substituters, trusted-public-keys (or trusted-users) in the system configuration.`
      : `To fix: run the job as root, allow ${f.user} passwordless sudo, or add ${f.user} to trusted-users in ${globalFile} and restart the daemon.`,
  );
  return { notes, missing: true };
}

export interface SummaryFacts {
  readonly inputs: {
    readonly user: string;
    readonly trustedUser: boolean;
    readonly acceptFlakeConfig: boolean;
  };
  readonly env: NixEnvironment;
  readonly substituters: readonly string[];
  readonly keys: readonly string[];
  readonly entry: NetrcEntry | undefined;
  readonly jobRoot: boolean;
  readonly daemonFile: string | undefined;
  readonly unreachable: DaemonUnreachable | undefined;
  readonly daemonNetrc: string | undefined;
  readonly trustAdded: boolean;
  /** The user nix.conf holding a block of ours, if any. */
  readonly userFile: string | undefined;
  readonly userNetrc: string | undefined;
  readonly daemonConfigChanged: boolean;
}

function trustRow(f: SummaryFacts): string {
  const user = f.inputs.user;
  if (f.jobRoot) return `${user} (root)`;
  if (f.trustAdded) return `${user} added`;
  return f.env.trust.trusted ? `${user} (already trusted)` : 'not changed';
}

/** The job summary's rows: what was configured where (never a credential). */
export function summaryRows(f: SummaryFacts): [label: string, value: string][] {
  const rows: [string, string][] = [];
  if (f.substituters.length > 0) rows.push(['Substituters', f.substituters.join(' ')]);
  if (f.keys.length > 0) rows.push(['Public keys', f.keys.map((k) => k.slice(0, k.indexOf(':'))).join(' ')]);
  if (f.entry !== undefined) rows.push(['Credentials', `netrc entry for ${f.entry.machine ?? 'default'}`]);
  const why = f.unreachable === 'managed' ? 'managed by the system' : 'needs root';
  rows.push(['Daemon configuration', f.daemonFile ?? `not changed (${why})`]);
  if (f.daemonNetrc !== undefined) rows.push(['Daemon netrc', f.daemonNetrc]);
  if (f.userFile !== undefined) rows.push(['User configuration', f.userFile]);
  if (f.userNetrc !== undefined && f.userNetrc !== f.daemonNetrc) rows.push(['User netrc', f.userNetrc]);
  if (f.inputs.trustedUser) rows.push(['Trusted user', trustRow(f)]);
  if (f.inputs.acceptFlakeConfig) rows.push(['Accept flake config', 'true']);
  if (f.daemonFile !== undefined) {
    rows.push(['Daemon restart', f.daemonConfigChanged ? 'needed (its nix.conf changed)' : 'not needed']);
  }
  return rows;
}
