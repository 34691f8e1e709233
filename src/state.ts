/**
 * Everything main hands to post, in one place. GitHub carries it through `GITHUB_STATE` (main) and
 * `STATE_*` variables (post); this module owns the key, the shape and the version of that record.
 */
import type { FileBackup } from './config/types.js';
import type { RenewalSpec } from './login/refresh/spec.js';
import type { NixEnvironment } from './nix/environment.js';

const KEY = 'nix-cache-action';
const VERSION = 1;

/** What post needs to undo the configuration step. Never holds a secret: credential files are only named. */
export interface ConfigState {
  /** Files as they were before main wrote them, restored byte for byte when `restore` is set. */
  readonly backups: readonly FileBackup[];
  /** Credentials main wrote: always removed by post (a file of ours whole; our entry in a netrc of theirs). */
  readonly credentials: readonly CredentialRecord[];
  /** Main restarted the daemon (daemon-read settings changed): restoring restarts it again. */
  readonly daemonRestarted: boolean;
  /** Restore the configuration in post (self-hosted runners, or as asked). */
  readonly restore: boolean;
}

export interface CredentialRecord {
  readonly path: string;
  readonly owner: 'root' | 'user';
  /**
   * `file`: a file of ours, removed; `entry`: our machine entry in a netrc that was there before;
   * `aws-profile`: our profile (named by `machine`) in AWS shared files that were there before.
   */
  readonly kind: 'file' | 'entry' | 'aws-profile';
  readonly machine?: string;
  /** For `entry`: the file's mode before (written back with it). */
  readonly mode?: number;
}

/** What post needs to undo the login: credential files, and the refresher to stop. Never a secret. */
export interface LoginState {
  readonly credentials: readonly CredentialRecord[];
  /** The detached process that renews the credentials, and its log (printed by post). */
  readonly refresher?: { readonly pid: number; readonly log: string };
  /** What the refresher renews (no secret): post renews it once more right before the push. */
  readonly renewal?: RenewalSpec;
}

/** What post needs to push: where the store listing of main's start is, and where to push. */
export interface PushState {
  /** Why post pushes nothing (push off, no cache, pull-only); undefined when it pushes. */
  readonly skip?: string;
  /** The file holding the store directory's entries when main started. */
  readonly snapshot?: string;
  readonly storeDir: string;
  /** The cache as Nix is given it (an s3:// store with our profile). */
  readonly cache?: string;
  /** The during-build uploader, when our post-build hook is in place. */
  readonly uploader?: UploaderState;
}

/** The during-build uploader: its pid, its log, and the record of what it pushed (one JSON line a path). */
export interface UploaderState {
  readonly pid: number;
  readonly log: string;
  readonly record: string;
  /** The post-build hook's queue (root's): removed once the uploader stops, so the hook queues no more. */
  readonly queue: string;
}

export interface MainState {
  /** When main started (ISO 8601). */
  readonly startedAt: string;
  readonly environment: NixEnvironment;
  readonly login?: LoginState;
  readonly config?: ConfigState;
  readonly push?: PushState;
}

/** `@actions/core` fits this shape; tests pass a map. */
export interface StateStore {
  saveState(name: string, value: string): void;
  getState(name: string): string;
}

export function saveState(store: StateStore, state: MainState): void {
  store.saveState(KEY, JSON.stringify({ version: VERSION, ...state }));
}

/**
 * The state main saved, or undefined when main did not get as far as saving it (it failed early, or
 * was skipped). A record from another version of the action is treated as absent.
 */
export function loadState(store: StateStore): MainState | undefined {
  const raw = store.getState(KEY);
  if (raw === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (!isRecord(parsed) || parsed.version !== VERSION) return undefined;
  if (typeof parsed.startedAt !== 'string' || !isRecord(parsed.environment)) return undefined;
  const config = isRecord(parsed.config) ? (parsed.config as unknown as ConfigState) : undefined;
  const login = isRecord(parsed.login) ? (parsed.login as unknown as LoginState) : undefined;
  const push = isRecord(parsed.push) ? (parsed.push as unknown as PushState) : undefined;
  return {
    startedAt: parsed.startedAt,
    environment: parsed.environment as unknown as NixEnvironment,
    ...(login ? { login } : {}),
    ...(config ? { config } : {}),
    ...(push ? { push } : {}),
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
