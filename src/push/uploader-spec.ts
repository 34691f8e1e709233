/**
 * What main hands the during-build uploader (on stdin, as JSON): where the hook's queue is, where and how
 * to push, and the same filters post applies. No secret: the signing key and credentials are files.
 */
import type { PushFilters } from './types.js';

export const UPLOADER_SPEC_VERSION = 1;

export interface UploaderSpec {
  readonly version: number;
  readonly queue: string;
  /** The complete store URL (`compression=`, `secret-key=` … included). */
  readonly url: string;
  /** Extra environment for `nix copy` (AWS file paths). */
  readonly env: Readonly<Record<string, string>>;
  readonly exclude: string | undefined;
  readonly include: string | undefined;
  readonly derivations: boolean;
  readonly upstream: readonly string[];
  /** netrc files with the cache's credentials, read for each request through the push proxy. */
  readonly netrcFiles: readonly string[];
  readonly jobs: number;
  readonly logFile: string;
  /** One JSON line per path the uploader pushed: `{"path","narSize","fileSize"}`. */
  readonly recordFile: string;
  /** The uploader ends when this file is gone (the runner cleaned RUNNER_TEMP: the job is over). */
  readonly lifeline: string;
  readonly readyFd?: number;
}

export function filtersOf(spec: UploaderSpec): PushFilters {
  return {
    exclude: spec.exclude === undefined ? undefined : new RegExp(spec.exclude, 'u'),
    include: spec.include === undefined ? undefined : new RegExp(spec.include, 'u'),
    derivations: spec.derivations,
  };
}

export function parseUploaderSpec(text: string): UploaderSpec {
  const raw = JSON.parse(text) as Partial<UploaderSpec>;
  if (raw.version !== UPLOADER_SPEC_VERSION)
    throw new Error(`unknown uploader spec version ${String(raw.version)}`);
  for (const key of ['queue', 'url', 'logFile', 'recordFile', 'lifeline'] as const) {
    if (typeof raw[key] !== 'string' || raw[key] === '')
      throw new Error(`spec.${key} must be a non-empty string`);
  }
  if (typeof raw.jobs !== 'number' || raw.jobs < 1) throw new Error('spec.jobs must be a positive number');
  return raw as UploaderSpec;
}

export interface RecordedPush {
  readonly path: string;
  readonly narSize: number;
  readonly fileSize: number | undefined;
}

/** The uploader's record, as post reads it (a torn last line is skipped). */
export function parseRecord(text: string): RecordedPush[] {
  const out: RecordedPush[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const v = JSON.parse(line) as { path?: unknown; narSize?: unknown; fileSize?: unknown };
      if (typeof v.path === 'string' && typeof v.narSize === 'number') {
        out.push({
          path: v.path,
          narSize: v.narSize,
          fileSize: typeof v.fileSize === 'number' ? v.fileSize : undefined,
        });
      }
    } catch {
      // a line cut short when the uploader was stopped
    }
  }
  return out;
}
