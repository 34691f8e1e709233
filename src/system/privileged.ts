/**
 * Operations that need root: root-owned files (the global nix.conf, the daemon's netrc) and the
 * nix-daemon process. When the action runs as root they happen in-process; otherwise through
 * passwordless sudo, running the action's own root helper bundle with the request on standard input
 * (never on argv: file contents can be secrets). Both ways run the same implementation
 * (`rootOperations`), the helper only decodes the request and encodes the answer.
 */
import type { Privilege } from '../nix/environment.js';
import { rootOperations } from './root-operations.js';
import { sudoOperations } from './sudo-client.js';
import type { ExecResult, System } from './types.js';

export interface FileStat {
  /** Permission bits (e.g. 0o644), of the target for a symlink. */
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
  /** Set when the path is a symlink (NixOS, nix-darwin and home-manager link /etc/nix/nix.conf). */
  readonly symlinkTarget?: string;
}

export interface RestartProcessOptions {
  /** How long the process gets to exit after SIGTERM before SIGKILL. */
  readonly stopTimeoutMs: number;
  /** How long the new process must stay up to count as started (default 250 ms). */
  readonly settleMs?: number;
}

export interface RestartedProcess {
  readonly pid: number;
  /** The command line it was started with (argv[0] as the old process had it). */
  readonly argv: readonly string[];
}

export interface RootOperations {
  /** The file's text as root reads it; undefined when it does not exist. */
  readFile(path: string): Promise<string | undefined>;
  /** Mode and owner of the file (lstat, then the target's mode); undefined when it does not exist. */
  statFile(path: string): Promise<FileStat | undefined>;
  /**
   * Writes atomically (temporary file in the same directory, write, fsync, chmod, chown root, rename),
   * with `mode`; creates missing parent directories (0755). A symlink at `path` is replaced by the file.
   */
  writeFile(path: string, content: string | Buffer, mode: number): Promise<void>;
  /** Removes a file; no error when it is already gone. */
  removeFile(path: string): Promise<void>;
  /** Runs a command as root (e.g. systemctl, launchctl). Output captured; never throws for exit codes. */
  run(
    command: string,
    args: readonly string[],
    options?: { input?: string; timeoutMs?: number },
  ): Promise<ExecResult>;
  /**
   * Restarts a bare root daemon process (Linux, /proc): reads its argv and environment, stops it
   * (SIGTERM, up to `stopTimeoutMs`, then SIGKILL; a zombie counts as gone), starts the same command
   * line with the same environment in a new session (cwd /, stdin /dev/null, stdout/stderr to the
   * regular file the old process wrote to, else a root-only /run/nix-cache-action/restarted.log; never
   * the caller's pipes) and returns the new pid once it has stayed up for `settleMs`. Throws with the
   * reason (exit code, the output it wrote) when it cannot be stopped or started again.
   *
   * What it stopped is kept root-only until the new process is up: a pid that is gone but was stopped
   * here before (a start that failed) is started again from that record, so a rollback can restart
   * the daemon that a failed restart left down.
   */
  restartProcess(pid: number, options: RestartProcessOptions): Promise<RestartedProcess>;
}

export interface Privileged extends RootOperations {
  /** How root is reached. */
  readonly via: 'root' | 'sudo';
}

/** The root helper: a node binary and the helper bundle (dist/root/index.js) it runs. */
export interface RootHelper {
  readonly node: string;
  readonly script: string;
}

export function privileged(sys: System, how: 'root' | 'sudo', helper: RootHelper): Privileged {
  return how === 'root'
    ? { via: 'root', ...rootOperations }
    : { via: 'sudo', ...sudoOperations(sys, helper) };
}

/** Root as the detected privilege allows it: in-process as root, through passwordless sudo, or not at all. */
export function privilegedFor(sys: System, privilege: Privilege, helper: RootHelper): Privileged | undefined {
  if (privilege.root) return privileged(sys, 'root', helper);
  return privilege.passwordlessSudo ? privileged(sys, 'sudo', helper) : undefined;
}
