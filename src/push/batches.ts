/**
 * What each free `nix copy` job takes next (pure). Nix 2.8 uploads the paths of one `nix copy` one at a
 * time, references first, and refuses a path whose references the cache lacks; so a batch is a set of
 * paths whose not-yet-uploaded references are in the same batch. The work that can go now and the work
 * running copies still have (paths, weighted by NAR size) is shared evenly among the jobs; the rest
 * waits for the next free job. A path that only waits on the last path of a batch joins it whatever its
 * size (a chain gains nothing from another process), so one job gets everything in one batch.
 */

export interface PlanNode {
  readonly path: string;
  /** Its references in the push (not itself). */
  readonly refs: readonly string[];
  /** 1 per path, plus its NAR size in units of BYTES_PER_PATH. */
  readonly weight: number;
}

/** Paths per `nix copy` command line (~70 bytes each: far below the argv limit). */
export const MAX_PATHS_PER_COPY = 2000;
/** A NAR this big weighs like one more path (bandwidth against round trips). */
export const BYTES_PER_PATH = 8 * 1024 * 1024;

export const pathWeight = (narSize: number): number => 1 + narSize / BYTES_PER_PATH;

/**
 * The paths that can be given to a copy now, in the given order (references first): `ready` ones
 * (pending, not waiting for a retry) whose references are all uploaded or themselves in the answer.
 */
export function availableNow<T extends PlanNode>(
  order: readonly T[],
  ready: (node: T) => boolean,
  isDone: (path: string) => boolean,
): T[] {
  const available: T[] = [];
  const taken = new Set<string>();
  for (const n of order) {
    if (!ready(n)) continue;
    if (n.refs.every((r) => isDone(r) || taken.has(r))) {
      available.push(n);
      taken.add(n.path);
    }
  }
  return available;
}

export interface PlanInput<T extends PlanNode> {
  /** From availableNow. */
  readonly available: readonly T[];
  readonly isDone: (path: string) => boolean;
  /** Weight of what running copies have not uploaded yet. */
  readonly runningLoad: number;
  readonly jobs: number;
  /** Jobs not running a copy. */
  readonly free: number;
  readonly maxPerBatch?: number;
}

interface Open<T> {
  readonly nodes: T[];
  weight: number;
  tail: string;
}

/** Up to `free` batches, each in upload order; paths left out wait for a later call. */
export function planBatches<T extends PlanNode>(input: PlanInput<T>): T[][] {
  const { available, isDone, jobs, free } = input;
  const max = input.maxPerBatch ?? MAX_PATHS_PER_COPY;
  if (free <= 0 || available.length === 0) return [];
  let load = input.runningLoad;
  for (const n of available) load += n.weight;
  const target = load / Math.max(1, jobs);
  const batches: Open<T>[] = [];
  const home = new Map<string, Open<T>>();
  const room = (b: Open<T>): boolean => b.nodes.length < max;

  for (const n of available) {
    const waits = n.refs.filter((r) => !isDone(r));
    let chosen: Open<T> | undefined;
    if (waits.length === 0) {
      if (batches.length < free) {
        chosen = { nodes: [], weight: 0, tail: '' };
        batches.push(chosen);
      } else {
        for (const b of batches) {
          if (room(b) && b.weight < target && (chosen === undefined || b.weight < chosen.weight)) chosen = b;
        }
      }
    } else {
      const homes = new Set(waits.map((r) => home.get(r)));
      const [only] = homes;
      if (homes.size === 1 && only !== undefined && room(only)) {
        if (waits.includes(only.tail) || only.weight < target) chosen = only;
      }
    }
    if (chosen === undefined) continue;
    chosen.nodes.push(n);
    chosen.weight += n.weight;
    chosen.tail = n.path;
    home.set(n.path, chosen);
  }
  return batches.map((b) => b.nodes);
}
