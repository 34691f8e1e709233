/** The shapes of configuration planning (see plan.ts), and the context its parts share. */
import type { NixEnvironment } from '../nix/environment.js';
import { errorMessage } from '../util/errors.js';
import { mergeNetrc } from './netrc.js';
import { hasBlock, withBlock, withoutBlock } from './nix-conf.js';
import type { NetrcEntry, Settings, StoreUrl } from './types.js';

/** The netrc login written with a `token` (servers that take a token as the Basic password ignore it). */
export const DEFAULT_NETRC_LOGIN = 'token';

/** The text of each file, as root reads it when the action can, else as the job user; undefined: absent. */
export type FileTexts = Readonly<Record<string, string | undefined>>;

export interface PlanInputs {
  readonly cache?: StoreUrl;
  readonly extraSubstituters: readonly StoreUrl[];
  readonly publicKeys: readonly string[];
  readonly token?: string;
  /** The netrc `login` that goes with the token; DEFAULT_NETRC_LOGIN when not given. */
  readonly tokenLogin?: string;
  /** Add the job user to the daemon's trusted users (already resolved from `auto`). */
  readonly trustedUser: boolean;
  readonly acceptFlakeConfig: boolean;
  readonly environment: NixEnvironment;
  /** The job user's name and home directory. */
  readonly user: string;
  readonly home: string;
  /** The global nix.conf is a link into /nix/store or /etc/static (NixOS): never written. */
  readonly globalConfManaged: boolean;
  /** Where our root-only netrc goes (read by the daemon), and where the job user's own copy goes. */
  readonly rootNetrcPath: string;
  readonly userNetrcPath: string;
  /** Our post-build hook (push while the job builds): the script and its queue, both root's. */
  readonly postBuildHook?: { readonly script: string; readonly queue: string };
}

export interface PlanRequest extends PlanInputs {
  /** Every path `filesToRead` names, each with its text, or undefined when it does not exist. */
  readonly current: FileTexts;
}

export type FileRole =
  | 'daemon-conf'
  | 'user-conf'
  | 'root-netrc'
  | 'daemon-netrc'
  | 'user-netrc'
  | 'post-build-hook'
  | 'push-queue';

export interface FileWrite {
  readonly path: string;
  readonly content: string;
  /** 0o644 for nix.conf files, 0o600 for netrc files. */
  readonly mode: number;
  /** root: a root-owned file (written as root); user: the job user's own file. */
  readonly owner: 'root' | 'user';
  /** Holds credentials: never log the content. */
  readonly secret: boolean;
  /** daemon-netrc: a netrc the daemon already used, extended with our entry (restore it in post). */
  readonly role: FileRole;
}

export interface ConfigPlan {
  /** Files whose text changes; netrc files first, so credentials exist before a configuration names them. */
  readonly writes: readonly FileWrite[];
  /**
   * The daemon-read nix.conf text changes: a running daemon must restart to see it (a netrc file is read
   * on every download and needs none). Whether a daemon runs at all is for the caller to check.
   */
  readonly daemonConfigChanged: boolean;
  /** The nix.conf our daemon-side block is in, when there is one. */
  readonly daemonConfigFile: string | undefined;
  /** The user nix.conf our client-side block is in, when there is one. */
  readonly userConfigFile: string | undefined;
  /** Our post-build hook, when the daemon's block sets it (the uploader reads its queue). */
  readonly postBuildHook: { readonly script: string; readonly queue: string } | undefined;
  /** For the log: what was done differently from the obvious, and why. */
  readonly notes: readonly string[];
  /** For a warning: what the daemon goes without (its configuration out of reach), why, and how to fix it. */
  readonly warnings: readonly string[];
  /** For the job summary: what was configured. */
  readonly summary: readonly (readonly [label: string, value: string])[];
}

/** Reads the request's texts; records every path asked for (that is how `filesToRead` works). */
export interface Reader {
  /** A file's text as it is. */
  readonly raw: (path: string) => string | undefined;
  /** A nix.conf's text without our block: what the user had. */
  readonly conf: (path: string) => string | undefined;
}

export function makeReader(current: FileTexts, seen: Set<string>, strict: boolean): Reader {
  const raw = (path: string): string | undefined => {
    seen.add(path);
    if (!Object.hasOwn(current, path)) {
      if (strict) throw new Error(`Planning needs ${path}: read it first (filesToRead names it).`);
      return undefined;
    }
    return current[path];
  };
  const conf = (path: string): string | undefined => {
    const text = raw(path);
    try {
      return text === undefined ? undefined : withoutBlock(text);
    } catch (error) {
      throw new Error(`${path}: ${errorMessage(error)}`, { cause: error });
    }
  };
  return { raw, conf };
}

/** What every part of planning knows. */
export interface PlanContext {
  readonly inputs: PlanInputs;
  readonly env: NixEnvironment;
  readonly read: Reader;
  readonly substituters: readonly string[];
  readonly keys: readonly string[];
  /** The netrc entry for the cache's host, when a token goes with an http(s) cache. */
  readonly entry: NetrcEntry | undefined;
  /** Add the job user to trusted-users (asked for, and the user is not root). */
  readonly wantsTrust: boolean;
  readonly jobRoot: boolean;
  /** `$NIX_CONF_DIR/netrc`: Nix's netrc-file when no configuration sets one. */
  readonly defaultNetrc: string;
  readonly notes: string[];
  /** netrc writes, in order. */
  readonly netrcWrites: FileWrite[];
}

export interface Wanted {
  readonly substituters?: readonly string[];
  readonly keys?: readonly string[];
  readonly netrc?: string | undefined;
  readonly trust?: string | undefined;
  readonly acceptFlakeConfig?: boolean;
  /** Our post-build hook script (daemon side only). */
  readonly postBuildHook?: string | undefined;
  /** A lookup made before the credentials existed must not hide the cache; fall back to building. */
  readonly tuning?: boolean;
  /** Settings the user's configuration already gives a value: ours would override theirs, so none is written. */
  readonly userSet?: ReadonlySet<string>;
}

/** Of our tuning settings, those a user may have chosen for themselves (the negative-cache guard is not one). */
export const USER_TUNABLE = ['fallback', 'connect-timeout'] as const;

/** Our settings, always in the same order. */
export function settingsFor(w: Wanted): Settings {
  const out: [string, string][] = [];
  if (w.substituters !== undefined && w.substituters.length > 0)
    out.push(['extra-substituters', w.substituters.join(' ')]);
  if (w.keys !== undefined && w.keys.length > 0) out.push(['extra-trusted-public-keys', w.keys.join(' ')]);
  if (w.netrc !== undefined) out.push(['netrc-file', w.netrc]);
  if (w.trust !== undefined) out.push(['extra-trusted-users', w.trust]);
  if (w.acceptFlakeConfig === true) out.push(['accept-flake-config', 'true']);
  if (w.postBuildHook !== undefined && w.userSet?.has('post-build-hook') !== true)
    out.push(['post-build-hook', w.postBuildHook]);
  if (w.tuning === true) {
    out.push(['narinfo-cache-negative-ttl', '0']);
    if (w.userSet?.has('fallback') !== true) out.push(['fallback', 'true']);
    if (w.userSet?.has('connect-timeout') !== true) out.push(['connect-timeout', '5']);
  }
  return out;
}

/** The new text of a nix.conf with our block holding `settings` (none: our old block removed); undefined when unchanged. */
export function newConfText(read: Reader, path: string, settings: Settings): string | undefined {
  const text = read.raw(path);
  const next =
    settings.length > 0
      ? withBlock(text, settings)
      : text !== undefined && hasBlock(text)
        ? withoutBlock(text)
        : text;
  return next === text ? undefined : next;
}

/** Adds a netrc write: `entry` merged into the text of `source` (the netrc in use before), unless unchanged. */
export function addNetrcWrite(
  ctx: PlanContext,
  path: string,
  source: string | undefined,
  role: FileRole,
  owner: 'root' | 'user',
): void {
  if (ctx.entry === undefined) return;
  const before = source === undefined || source === '' ? undefined : ctx.read.raw(source);
  let content: string;
  try {
    content = mergeNetrc(before, ctx.entry);
  } catch (error) {
    throw new Error(
      `${source ?? path}: ${errorMessage(error)}; fix or remove that file, which Nix reads as netrc`,
      { cause: error },
    );
  }
  if (content !== ctx.read.raw(path))
    ctx.netrcWrites.push({ path, content, mode: 0o600, owner, secret: true, role });
}

export const dirOf = (path: string): string => path.slice(0, Math.max(path.lastIndexOf('/'), 0)) || '/';
