/** How the job's user reaches the Nix store: `nix store ping`/`info`, NIX_REMOTE and Nix's "auto" rule. Pure. */
import type { NixInstall, NixStore } from '../environment.js';
import { versionAtLeast } from './version.js';

type Env = Readonly<Record<string, string | undefined>>;

export interface PingResult {
  /** The store URL Nix opened ("daemon", "local", "unix:///…"). */
  readonly url?: string;
  /** Nix's version on the other end (for a daemon: the daemon's). */
  readonly version?: string;
  /** The daemon's own verdict on the client (2.15+ through a daemon). */
  readonly trusted?: boolean;
}

/**
 * The commands that describe the store, best first: `nix store info` (2.19+, `store ping` is an alias
 * there), `--json` where it exists (2.14+; Lix has it), and the plain `nix store ping` every version
 * since 2.4 knows. Plain output goes to stderr.
 */
export function pingCandidates(install: NixInstall): string[][] {
  const plain = ['store', 'ping'];
  const json = ['store', 'ping', '--json'];
  if (install.implementation === 'lix') return [json, plain];
  if (versionAtLeast(install.version, '2.19')) return [['store', 'info', '--json'], json, plain];
  if (versionAtLeast(install.version, '2.14')) return [json, plain];
  return [plain];
}

function trustedValue(value: unknown): boolean | undefined {
  if (value === true || value === 1 || value === '1' || value === 'true') return true;
  if (value === false || value === 0 || value === '0' || value === 'false') return false;
  return undefined;
}

/** `{"url":"daemon","version":"2.24.10","trusted":1}` (trusted is 0/1 up to 2.2x, a boolean after). */
export function parsePingJson(text: string): PingResult | undefined {
  let data: unknown;
  try {
    data = JSON.parse(text.trim());
  } catch {
    return undefined;
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  const record = data as Record<string, unknown>;
  const url = record['url'];
  const version = record['version'];
  const trusted = trustedValue(record['trusted']);
  return {
    ...(typeof url === 'string' ? { url } : {}),
    ...(typeof version === 'string' ? { version } : {}),
    ...(trusted === undefined ? {} : { trusted }),
  };
}

/** "Store URL: daemon" / "Version: 2.20.4" / "Trusted: 1" lines, on stderr (they are notices). */
export function parsePingText(text: string): PingResult {
  const field = (name: string): string | undefined =>
    new RegExp(`^${name}: *(.*?)\\s*$`, 'm').exec(text)?.[1] ?? undefined;
  const url = field('Store URL');
  const version = field('Version');
  const trusted = trustedValue(field('Trusted'));
  return {
    ...(url ? { url } : {}),
    ...(version ? { version } : {}),
    ...(trusted === undefined ? {} : { trusted }),
  };
}

/** Reads whichever form the command printed: JSON on stdout, or notices on stderr. */
export function parsePing(stdout: string, stderr: string): PingResult {
  return parsePingJson(stdout) ?? parsePingText(`${stdout}\n${stderr}`);
}

/** The `error: …` a failed command printed, for a report. */
export function commandError(stderr: string): string | undefined {
  const lines = stderr.split('\n');
  const start = lines.findIndex((l) => l.startsWith('error:'));
  if (start === -1) return stderr.trim() || undefined;
  return lines
    .slice(start)
    .join('\n')
    .replace(/^error: */, '')
    .trim();
}

export function stateDir(env: Env): string {
  return env['NIX_STATE_DIR'] || '/nix/var/nix';
}

export function defaultSocketPath(env: Env): string {
  return env['NIX_DAEMON_SOCKET_PATH'] || `${stateDir(env)}/daemon-socket/socket`;
}

/** A store URL's mode: a local store (`local`, `local?…`, a path) or something in between (daemon…). */
export function storeModeOf(url: string): NixStore['mode'] {
  return url === 'local' || url.startsWith('local?') || url.startsWith('/') ? 'local' : 'daemon';
}

/** The daemon socket a store URL talks to (`daemon` → the default socket, `unix:///path` → path). */
export function socketOf(url: string, env: Env): string | undefined {
  if (url === 'daemon' || url.startsWith('daemon?')) return defaultSocketPath(env);
  const unix = /^unix:\/\/([^?]*)/.exec(url);
  if (unix) return unix[1] || defaultSocketPath(env);
  return undefined;
}

/**
 * Nix's `auto` store (the default; NIX_REMOTE unset or empty): the local store when the user can write
 * the state directory (root, a single-user install), else the daemon when its socket exists, else the
 * local store again (which then fails on permissions, or Nix sets up a store under ~/.local/share).
 */
export function decideAutoStore(stateDirWritable: boolean, socketExists: boolean): 'local' | 'daemon' {
  if (stateDirWritable) return 'local';
  return socketExists ? 'daemon' : 'local';
}

export interface StoreFacts {
  /** The `store` setting (what NIX_REMOTE or nix.conf chose); "auto" when unset. */
  readonly storeSetting: string;
  readonly ping: PingResult;
  /** Set when the ping failed: why. */
  readonly pingError?: string;
  /** Only needed (and only asked) when the ping did not name the store. */
  readonly stateDirWritable?: boolean;
  readonly socketExists?: boolean;
}

/** The store as Nix opened it (the ping's URL) or, failing that, as Nix would choose it. */
export function decideStore(facts: StoreFacts, env: Env): NixStore {
  const setting = facts.storeSetting.trim() || 'auto';
  let url = facts.ping.url;
  if (url === undefined) {
    url =
      setting === 'auto'
        ? decideAutoStore(facts.stateDirWritable ?? false, facts.socketExists ?? false)
        : setting;
  }
  const mode = storeModeOf(url);
  const socket = mode === 'daemon' ? socketOf(url, env) : undefined;
  return {
    mode,
    url,
    ...(socket === undefined ? {} : { socket }),
    ...(mode === 'daemon' && facts.ping.version !== undefined ? { daemonVersion: facts.ping.version } : {}),
    ...(facts.pingError === undefined ? {} : { error: facts.pingError }),
  };
}
