/**
 * Which store paths are valid, and what they are (hash, size, references): `nix path-info --json`
 * through the Exec seam, as the job's user (through the daemon), in argv chunks well under ARG_MAX.
 *
 * What Nix 2.8 does (measured): an invalid path prints `{"path": …, "valid": false}` and exits 0, but with
 * `-r` one invalid path fails the whole command (`error: path '…' is not valid`). A `.drv` path stands for
 * its outputs unless `--derivation` is given, and `--derivation` fails on an invalid `.drv` (`is not a
 * valid store path`) and turns an output path into its deriver: so `.drv` paths are asked separately,
 * with `--derivation`. When a command fails, `nix-store --check-validity --print-invalid` (no
 * substituter lookups) sets the invalid paths apart and the rest is asked again.
 */
import { nixArgs } from '../nix/detect/nix-cli.js';
import type { Exec, ExecOptions, ExecResult } from '../system/types.js';
import { isStorePathShaped } from './snapshot.js';
import { errorMessage } from '../util/errors.js';
import type { PathInfo } from './types.js';

export interface PathInfoOptions {
  /** Include everything the paths reference, transitively (`-r`). */
  readonly closure: boolean;
  /** The complete environment for `nix` (e.g. with `NIX_REMOTE=daemon`); the process's when absent. */
  readonly env?: Readonly<Record<string, string>>;
  /** Per command; a closure query of thousands of paths takes seconds. */
  readonly timeoutMs?: number;
}

export interface PathInfoResult {
  /** Valid paths (with their closure when asked), each once, sorted by path. */
  readonly valid: PathInfo[];
  /** Asked-for paths that are not valid (or not store paths at all), each once, sorted. */
  readonly invalid: string[];
}

/** Bytes of paths per command: Linux allows 2 MiB of argv + environment (macOS 1 MiB), 128 KiB per arg. */
export const ARGV_CHUNK_BYTES = 200_000;
const CONCURRENCY = 4;
const DEFAULT_TIMEOUT_MS = 120_000;

/** Splits `items` into runs whose total length (one separator byte each) stays within `maxBytes`. */
export function chunkByBytes(items: readonly string[], maxBytes: number = ARGV_CHUNK_BYTES): string[][] {
  const chunks: string[][] = [];
  let current: string[] = [];
  let size = 0;
  for (const item of items) {
    const bytes = Buffer.byteLength(item) + 1;
    if (current.length > 0 && size + bytes > maxBytes) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(item);
    size += bytes;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** `nix path-info --json` for `paths`: valid ones described, invalid ones set apart. Rejects when nix fails. */
export async function queryPathInfo(
  exec: Exec,
  paths: readonly string[],
  options: PathInfoOptions,
): Promise<PathInfoResult> {
  const invalid = new Set<string>();
  const outputs: string[] = [];
  const derivations: string[] = [];
  for (const path of new Set(paths)) {
    if (!isStorePathShaped(path)) invalid.add(path);
    else if (path.endsWith('.drv')) derivations.push(path);
    else outputs.push(path);
  }
  const tasks = [
    ...chunkByBytes(outputs).map((chunk) => ({ chunk, derivation: false })),
    ...chunkByBytes(derivations).map((chunk) => ({ chunk, derivation: true })),
  ];
  const valid = new Map<string, PathInfo>();
  await eachLimited(tasks, CONCURRENCY, async ({ chunk, derivation }) => {
    const result = await queryChunk(exec, chunk, derivation, options);
    for (const info of result.valid) valid.set(info.path, info);
    for (const path of result.invalid) invalid.add(path);
  });
  return {
    valid: [...valid.values()].sort((a, b) => compare(a.path, b.path)),
    invalid: [...invalid].filter((path) => !valid.has(path)).sort(compare),
  };
}

async function queryChunk(
  exec: Exec,
  paths: readonly string[],
  derivation: boolean,
  options: PathInfoOptions,
): Promise<PathInfoResult> {
  const args = nixArgs('path-info', '--json', ...(options.closure ? ['-r'] : []));
  if (derivation) args.push('--derivation');
  const first = await exec.run('nix', [...args, ...paths], execOptions(options));
  if (first.code === 0) return parsed(first, paths);

  // One invalid path fails a closure query (and any `--derivation` query): set the invalid ones apart.
  const check = await exec.run(
    'nix-store',
    ['--check-validity', '--print-invalid', ...paths],
    execOptions(options),
  );
  const asked = new Set(paths);
  const invalid = new Set(check.code === 0 ? check.stdout.split('\n').filter((l) => asked.has(l)) : []);
  if (invalid.size === 0) throw commandFailed('nix path-info', first);
  const rest = paths.filter((path) => !invalid.has(path));
  if (rest.length === 0) return { valid: [], invalid: [...invalid] };
  const second = await exec.run('nix', [...args, ...rest], execOptions(options));
  if (second.code !== 0) throw commandFailed('nix path-info', second);
  const result = parsed(second, rest);
  return { valid: result.valid, invalid: [...result.invalid, ...invalid] };
}

/** The parsed output; an asked-for path it does not mention counts as invalid. */
function parsed(result: ExecResult, asked: readonly string[]): PathInfoResult {
  let out: PathInfoResult;
  try {
    out = parsePathInfoJson(result.stdout);
  } catch (error: unknown) {
    throw new Error(`nix path-info printed JSON this action cannot read: ${errorMessage(error)}`, {
      cause: error,
    });
  }
  const seen = new Set([...out.valid.map((i) => i.path), ...out.invalid]);
  const missing = asked.filter((path) => !seen.has(path));
  return missing.length === 0 ? out : { valid: out.valid, invalid: [...out.invalid, ...missing] };
}

/**
 * Reads `nix path-info --json` of any Nix version: a list of objects with `path` (invalid ones
 * `"valid": false`; up to 2.18), an object keyed by full path with `null` for invalid ones (2.19 on,
 * and 2.33's default format 1), or format 2 (2.33 on: `{version, storeDir, info}` keyed by base name,
 * references as base names).
 */
export function parsePathInfoJson(text: string): PathInfoResult {
  const json: unknown = JSON.parse(text);
  const valid: PathInfo[] = [];
  const invalid: string[] = [];
  const take = (path: string, value: unknown, storeDir: string | undefined): void => {
    if (value === null || (isRecord(value) && value.valid === false)) invalid.push(path);
    else if (isRecord(value)) valid.push(toPathInfo(path, value, storeDir));
    else throw new Error(`the entry for ${path} is not an object`);
  };
  if (Array.isArray(json)) {
    for (const item of json) {
      if (!isRecord(item) || typeof item.path !== 'string') throw new Error('a list entry has no path');
      take(item.path, item, undefined);
    }
  } else if (isRecord(json) && isRecord(json.info) && typeof json.storeDir === 'string') {
    const storeDir = json.storeDir;
    for (const [name, value] of Object.entries(json.info)) take(inStore(storeDir, name), value, storeDir);
  } else if (isRecord(json)) {
    const storeDir = typeof json.storeDir === 'string' ? json.storeDir : undefined;
    for (const [key, value] of Object.entries(json)) if (key.startsWith('/')) take(key, value, storeDir);
  } else {
    throw new Error('neither a list nor an object');
  }
  return { valid, invalid };
}

function toPathInfo(path: string, raw: Record<string, unknown>, storeDir: string | undefined): PathInfo {
  const { narHash, narSize, references, deriver } = raw;
  if (typeof narHash !== 'string') throw new Error(`${path} has no narHash`);
  if (typeof narSize !== 'number' || !Number.isFinite(narSize)) throw new Error(`${path} has no narSize`);
  if (!Array.isArray(references) || !references.every((r): r is string => typeof r === 'string'))
    throw new Error(`${path} has no list of references`);
  const full = (p: string): string => (storeDir === undefined ? p : inStore(storeDir, p));
  return {
    path,
    narHash,
    narSize,
    references: references.map(full),
    ...(typeof deriver === 'string' ? { deriver: full(deriver) } : {}),
  };
}

/** A base name (format 2) made a full path; full paths stay as they are. */
function inStore(storeDir: string, name: string): string {
  return name.startsWith('/') ? name : `${storeDir.replace(/\/+$/, '')}/${name}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function execOptions(options: PathInfoOptions): ExecOptions {
  return {
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    ...(options.env === undefined ? {} : { env: options.env }),
  };
}

/** An Error carrying the command's exit code and the end of what it printed on stderr. */
export function commandFailed(name: string, result: ExecResult): Error {
  const said = lastLines(result.stderr, 6) || lastLines(result.stdout, 3) || 'no output';
  return new Error(`${name} failed (exit code ${result.code}): ${said}`);
}

function lastLines(text: string, count: number): string {
  const lines = text
    .trim()
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l !== '');
  const tail = lines.slice(-count).join('\n');
  return tail.length > 2000 ? `…${tail.slice(-2000)}` : tail;
}

/** Runs `fn` over `items` with at most `limit` in flight; rejects with the first failure. */
async function eachLimited<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
