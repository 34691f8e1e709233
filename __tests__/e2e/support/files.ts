/** Snapshots of files as bytes, to prove a step changed nothing, or restored everything. */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

export type Snapshot = ReadonlyMap<string, Buffer | null>;

export function snapshot(paths: readonly string[]): Snapshot {
  return new Map(paths.map((p) => [p, existsSync(p) ? readFileSync(p) : null]));
}

/** Paths whose bytes (or existence) differ from the snapshot. */
export function changedSince(before: Snapshot): string[] {
  const now = snapshot([...before.keys()]);
  return [...before]
    .filter(([p, b]) => {
      const a = now.get(p) ?? null;
      return a === null || b === null ? a !== b : !a.equals(b);
    })
    .map(([p]) => p);
}

/** Files under `dirs` that contain `secret` (grep -rlF); [] when none. */
export function filesContaining(secret: string, dirs: readonly string[]): string[] {
  const present = dirs.filter((d) => existsSync(d));
  if (present.length === 0) return [];
  try {
    return execFileSync('grep', ['-rlF', '--', secret, ...present], { encoding: 'utf8' })
      .trim()
      .split('\n');
  } catch {
    return []; // grep exits 1 when nothing matches
  }
}
