/**
 * One `nix copy --no-recursive` to a binary cache: its command line, and a reader of its
 * `--log-format internal-json -v` output that says, while it runs, which paths are being copied and
 * which are known to be in the cache, and at the end which were copied, which the cache already had
 * and why it failed.
 *
 * What Nix 2.8 does (measured against the test cache): the paths the cache lacks are uploaded one at a
 * time, references first (NAR, then narinfo); a path the cache has is skipped without a trace; the first
 * failure ends the whole copy; a path whose reference the cache lacks is refused ("cannot add … because
 * the reference … is not valid"). After a failed PUT Nix retries with `Expect: 100-continue` and no body
 * and stalls until `stalled-download-timeout` (300 s, five attempts: ~25 min), so the copy runs with
 * `download-attempts 1` and the caller retries by running it again (Nix skips what arrived).
 */
import { MAX_PATHS_PER_COPY } from './batches.js';

export interface NixCopySettings {
  /** Seconds to wait for a connection (Nix's default 0 leaves curl's 300 s). */
  readonly connectTimeoutSec?: number;
  /** Seconds without a byte moving before a transfer is given up (Nix's default: 300). */
  readonly stalledTimeoutSec?: number;
  /** More arguments before the paths (e.g. `--option netrc-file F`). */
  readonly extraArgs?: readonly string[];
}

export const DEFAULT_CONNECT_TIMEOUT_SEC = 15;
export const DEFAULT_STALLED_TIMEOUT_SEC = 60;

/** `nix` arguments copying `paths` (no closure) to `url`, the complete store URL (`compression=` etc.). */
export function nixCopyArgs(url: string, paths: readonly string[], settings: NixCopySettings = {}): string[] {
  if (paths.length > MAX_PATHS_PER_COPY) {
    throw new Error(`nix copy of ${paths.length} paths: at most ${MAX_PATHS_PER_COPY} per command`);
  }
  const option = (name: string, value: string): string[] => ['--option', name, value];
  return [
    'copy',
    '--extra-experimental-features',
    'nix-command',
    '--no-recursive',
    '--to',
    url,
    '--log-format',
    'internal-json',
    '-v',
    ...option('download-attempts', '1'),
    ...option('connect-timeout', String(settings.connectTimeoutSec ?? DEFAULT_CONNECT_TIMEOUT_SEC)),
    ...option('stalled-download-timeout', String(settings.stalledTimeoutSec ?? DEFAULT_STALLED_TIMEOUT_SEC)),
    ...(settings.extraArgs ?? []),
    ...paths,
  ];
}

/** Something the log said, as it happened. */
export type CopyEvent =
  /** The cache is open (Nix has registered it in its narinfo disk cache). */
  | { readonly kind: 'opened' }
  | { readonly kind: 'started'; readonly path: string }
  /** In the cache now (its upload ended and Nix moved on, or the copy succeeded). */
  | { readonly kind: 'copied'; readonly path: string }
  | { readonly kind: 'error'; readonly message: string };

/** A path the cache refused because one of its references is not there. */
export interface RefusedPath {
  readonly path: string;
  readonly reference: string;
  readonly message: string;
}

export interface CopyResult {
  /** Copied by this run, in order. */
  readonly copied: readonly string[];
  /** The cache had them (only known when the run succeeded). */
  readonly present: readonly string[];
  /** Started but not known to have arrived. */
  readonly incomplete: readonly string[];
  readonly refused: readonly RefusedPath[];
  /** Error messages, ANSI colours and credentials in URLs removed. */
  readonly errors: readonly string[];
}

/** NAR and compressed sizes from "copying path 'P' (N bytes, compressed X% in T ms) to binary cache". */
export interface CopySizes {
  readonly narSize: number;
  readonly fileSize: number;
}

const ACT_COPY_PATH = 100;
const ACT_FILE_TRANSFER = 101;
const ACT_COPY_PATHS = 103;
const ACT_QUERY_PATH_INFO = 109;
const LVL_ERROR = 0;
// eslint-disable-next-line no-control-regex -- ANSI colour codes are what this removes
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;
const SIZES =
  /^copying path '([^']+)' \((\d+) bytes, compressed (-?[\d.]+|nan|-?inf)% in \d+ ms\) to binary cache/;
const REFUSED =
  /cannot add '([^']+)' to the binary cache because the reference '([^']+)' (?:is not valid|does not exist)/;
const NARINFO = /\/([0-9a-df-np-sv-z]{32})\.narinfo$/;

/** A Nix message as one clean line: no colours, no `user:password@` in URLs, whitespace collapsed. */
export function cleanMessage(text: string): string {
  return text
    .replace(ANSI, '')
    .replace(/\/\/[^/@\s']+@/g, '//')
    .replace(/^error:\s*/, '')
    .replace(/\s+/g, ' ')
    .trim();
}

const hashOf = (storePath: string): string => /\/([0-9a-df-np-sv-z]{32})-[^/]*$/.exec(storePath)?.[1] ?? '';

/** Reads one `nix copy` run's internal-json stderr, line by line. */
export class NixCopyLog {
  private readonly activities = new Map<
    number,
    { kind: 'path'; path: string } | { kind: 'narinfo'; hash: string }
  >();
  /** In order (a Set keeps insertion order). */
  private readonly started = new Set<string>();
  /** Paths whose copy activity ended, not yet known to have arrived. */
  private readonly ended = new Set<string>();
  private readonly copied = new Set<string>();
  private readonly narinfoSent = new Set<string>();
  private readonly errors: string[] = [];
  private readonly refused: RefusedPath[] = [];
  private opened = false;
  readonly sizes = new Map<string, CopySizes>();

  /** `paths`: what the run was given (to tell which ones the cache had). */
  constructor(readonly paths: readonly string[]) {}

  /** Events in this line (none for most lines). */
  feed(line: string): CopyEvent[] {
    const at = line.indexOf('@nix ');
    // Plain text comes before the JSON logger is up (bad arguments): only its errors matter.
    if (at < 0) return /^error:/.test(line.replace(ANSI, '').trim()) ? this.error(line) : [];
    let entry: unknown;
    try {
      entry = JSON.parse(line.slice(at + 5));
    } catch {
      return [];
    }
    if (typeof entry !== 'object' || entry === null) return [];
    const e = entry as Record<string, unknown>;
    const id = typeof e['id'] === 'number' ? e['id'] : undefined;
    const fields = Array.isArray(e['fields']) ? (e['fields'] as unknown[]) : [];
    switch (e['action']) {
      case 'start': {
        if (id === undefined) return [];
        const opened = this.open(e['type'], String(e['text']));
        if (e['type'] === ACT_COPY_PATH && typeof fields[0] === 'string')
          return [...opened, ...this.start(id, fields[0])];
        if (
          e['type'] === ACT_FILE_TRANSFER &&
          typeof fields[0] === 'string' &&
          /^upload/.test(String(e['text']))
        ) {
          const hash = NARINFO.exec(fields[0])?.[1];
          if (hash !== undefined) this.activities.set(id, { kind: 'narinfo', hash });
        }
        return opened;
      }
      case 'stop': {
        const act = id === undefined ? undefined : this.activities.get(id);
        if (act?.kind === 'path') this.ended.add(act.path);
        if (act?.kind === 'narinfo') this.narinfoSent.add(act.hash);
        return [];
      }
      case 'msg': {
        const text = typeof e['msg'] === 'string' ? e['msg'] : '';
        if (e['level'] === LVL_ERROR) {
          return this.error(typeof e['raw_msg'] === 'string' && e['raw_msg'] !== '' ? e['raw_msg'] : text);
        }
        const m = SIZES.exec(text.replace(ANSI, ''));
        if (m?.[1] !== undefined) {
          const narSize = Number(m[2]);
          const saved = Number(m[3]);
          const fileSize = Number.isFinite(saved) ? Math.round(narSize * (1 - saved / 100)) : narSize;
          this.sizes.set(m[1], { narSize, fileSize });
        }
        return [];
      }
      default:
        return [];
    }
  }

  /** The first sign that Nix opened the cache: a query of it, or the copy itself beginning. */
  private open(type: unknown, text: string): CopyEvent[] {
    if (this.opened) return [];
    const copying = type === ACT_COPY_PATHS && text.startsWith('copying');
    if (!copying && type !== ACT_QUERY_PATH_INFO && type !== ACT_COPY_PATH) return [];
    this.opened = true;
    return [{ kind: 'opened' }];
  }

  private start(id: number, path: string): CopyEvent[] {
    this.activities.set(id, { kind: 'path', path });
    // Nix moved on: what ended before this start arrived (a failure would have ended the run).
    const events: CopyEvent[] = [...this.ended].map((p) => this.copy(p));
    this.ended.clear();
    this.started.add(path);
    events.push({ kind: 'started', path });
    return events;
  }

  private copy(path: string): CopyEvent {
    this.copied.add(path);
    return { kind: 'copied', path };
  }

  private error(raw: string): CopyEvent[] {
    const message = cleanMessage(raw);
    if (message === '') return [];
    this.errors.push(message);
    const r = REFUSED.exec(message);
    if (r?.[1] !== undefined && r[2] !== undefined)
      this.refused.push({ path: r[1], reference: r[2], message });
    return [{ kind: 'error', message }];
  }

  /**
   * The outcome once the command ended: `exited` when it ended by itself with `code` (not stopped by a
   * signal we sent). Events for paths that turn out copied are returned with it.
   */
  finish(code: number, exited: boolean): { result: CopyResult; events: CopyEvent[] } {
    const events: CopyEvent[] = [];
    if (exited) {
      const blamed = this.errors.join('\n');
      for (const path of this.started) {
        if (this.copied.has(path)) continue;
        // Success: everything started arrived. Failure: a path whose narinfo went up with no error about it.
        const sent = this.ended.has(path) && this.narinfoSent.has(hashOf(path));
        if (code === 0 || (sent && !blamed.includes(path) && !blamed.includes(`${hashOf(path)}.narinfo`))) {
          events.push(this.copy(path));
        }
      }
    }
    const present = code === 0 && exited ? this.paths.filter((p) => !this.started.has(p)) : [];
    return {
      events,
      result: {
        copied: [...this.copied],
        present,
        incomplete: [...this.started].filter((p) => !this.copied.has(p)),
        refused: [...this.refused],
        errors: [...this.errors],
      },
    };
  }
}
