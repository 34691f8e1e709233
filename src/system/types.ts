/**
 * The seams between the action's logic and the machine. Real implementations live beside this file;
 * unit tests pass small fakes. Nothing here throws for an ordinary failure (a non-zero exit, a missing
 * file): callers decide what a failure means.
 */

export interface ExecResult {
  /** Exit code; 127 when the command could not be started (not installed, not executable). */
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface ExecOptions {
  /** Written to the command's standard input (the way secrets reach a command: never on argv). */
  readonly input?: string;
  /** The complete environment; the process environment when absent. */
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
  /** Kill the command after this long and resolve with code 124. */
  readonly timeoutMs?: number;
}

export interface Exec {
  run(command: string, args: readonly string[], options?: ExecOptions): Promise<ExecResult>;
}

export interface Files {
  /** The file's text, or undefined when it does not exist or cannot be read. */
  read(path: string): Promise<string | undefined>;
  exists(path: string): Promise<boolean>;
  /** Names in a directory; [] when it does not exist or cannot be read. */
  list(dir: string): Promise<string[]>;
  /** What kind of thing is at `path` (following symlinks), or undefined when nothing is. */
  kind(path: string): Promise<'file' | 'directory' | 'socket' | 'other' | undefined>;
}

export interface Host {
  readonly platform: NodeJS.Platform;
  readonly arch: string;
  /** Effective uid (0 for root); -1 where the platform has none. */
  readonly uid: number;
  readonly user: string;
  readonly home: string;
}

export interface System {
  readonly exec: Exec;
  readonly files: Files;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly host: Host;
}
