/** What the action knows about the Nix installation it runs against. Detected once in main, saved for post. */

export type NixImplementation = 'nix' | 'lix' | 'determinate';

export interface NixInstall {
  readonly implementation: NixImplementation;
  /** The Nix version, e.g. "2.8.0"; for Determinate Nix the upstream Nix version it is based on. */
  readonly version: string;
  /** The implementation's own version where it has one (Lix "2.91.1", Determinate "3.6.2"). */
  readonly implementationVersion?: string;
  /** `nix --version` as printed. */
  readonly versionLine: string;
}

export interface NixStore {
  /** How the job's user reaches the store: through the daemon's socket, or a local store it opens itself. */
  readonly mode: 'daemon' | 'local';
  /** The store URL Nix reports ("daemon", "local", "unix:///…", "/nix/store"…). */
  readonly url: string;
  /** The daemon socket path, when in daemon mode. */
  readonly socket?: string;
  /** The daemon's Nix version where it reports one. */
  readonly daemonVersion?: string;
  /** Set when `nix store ping` failed (daemon down, socket not accessible…): Nix's error message. */
  readonly error?: string;
}

export type DaemonManager = 'systemd' | 'launchd' | 'process' | 'none';

export interface NixDaemon {
  /** Who runs the daemon: a systemd unit, a launchd job, a bare root process, or nothing (single-user). */
  readonly manager: DaemonManager;
  /** systemd unit name or launchd label. */
  readonly unit?: string;
  readonly pid?: number;
  /** The daemon's command line (to start a bare process again after a restart). */
  readonly command?: readonly string[];
  /** Determinate Nix's daemon (determinate-nixd) rather than upstream's. */
  readonly determinate: boolean;
}

export interface NixTrust {
  /** Whether the daemon treats the job's user as trusted (root, or listed in `trusted-users`). */
  readonly trusted: boolean;
  /** Where the answer comes from: the daemon itself, `trusted-users` in the configuration, or no daemon. */
  readonly source: 'daemon' | 'config' | 'local-store';
  readonly trustedUsers: readonly string[];
}

export interface Privilege {
  readonly user: string;
  readonly root: boolean;
  /** `sudo -n true` succeeds (as on GitHub-hosted runners). */
  readonly passwordlessSudo: boolean;
  /** root, or passwordless sudo: the action can write root-owned files such as /etc/nix/nix.conf. */
  readonly canWriteRootFiles: boolean;
}

export interface NixConfFile {
  readonly path: string;
  readonly scope: 'global' | 'user';
  readonly exists: boolean;
  /** The file whose `include`/`!include` line pulled this one in. */
  readonly includedFrom?: string;
  /** Included with `!include` (missing is fine). */
  readonly optional?: boolean;
}

export interface NixConfig {
  /** The global nix.conf (`$NIX_CONF_DIR/nix.conf`, /etc/nix/nix.conf by default). */
  readonly globalFile: string;
  /** Every configuration file Nix reads, in the order it reads them, includes in place. */
  readonly files: readonly NixConfFile[];
  /** `NIX_CONFIG` is set: its settings override the files. */
  readonly fromEnvironment: boolean;
  /** Selected effective settings as Nix reports them (substituters, trusted-users, netrc-file…). */
  readonly settings: Readonly<Record<string, string>>;
}

export type RunnerKind = 'github-hosted' | 'self-hosted';

export interface Runner {
  readonly kind: RunnerKind;
  /** RUNNER_OS / RUNNER_ARCH as GitHub names them (Linux, macOS; X64, ARM64). */
  readonly os: string;
  readonly arch: string;
  /** The Nix system of this machine, e.g. x86_64-linux, aarch64-darwin. */
  readonly system: string;
}

export interface NixEnvironment {
  readonly nix: NixInstall;
  readonly store: NixStore;
  readonly daemon: NixDaemon;
  readonly trust: NixTrust;
  readonly privilege: Privilege;
  readonly config: NixConfig;
  readonly runner: Runner;
}
