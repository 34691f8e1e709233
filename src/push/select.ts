/**
 * Choosing the push set (pure): from the closure of what the job added, leave out derivations (unless
 * asked), what the filters exclude and what upstream caches have, and order the rest so that every path
 * comes after the paths it references (Nix never shows a narinfo before its references').
 */
import type { PathInfo, PushFilters, PushSelection, SkipReason } from './types.js';

/** Splits `closure` into what is pushed (references first) and what is skipped, with the reason. */
export function selectPush(
  found: readonly string[],
  closure: readonly PathInfo[],
  filters: PushFilters,
  upstream: ReadonlySet<string>,
): PushSelection {
  const exclude = filters.exclude === undefined ? undefined : stateless(filters.exclude);
  const include = filters.include === undefined ? undefined : stateless(filters.include);
  const unique = uniqueByPath(closure);
  const skipped = new Map<string, SkipReason>();
  for (const { path } of unique) {
    const reason = skipReason(path);
    if (reason !== undefined) skipped.set(path, reason);
  }
  // New derivations whose closure was not asked for (derivations are not pushed): counted all the same.
  if (!filters.derivations) {
    for (const path of found)
      if (path.endsWith('.drv') && !skipped.has(path)) skipped.set(path, 'derivation');
  }
  const toPush = topoOrder(unique).filter((info) => !skipped.has(info.path));
  return { found, closure: unique, skipped, toPush };

  function skipReason(path: string): SkipReason | undefined {
    if (!filters.derivations && path.endsWith('.drv')) return 'derivation';
    if (exclude?.test(path) === true) return 'filtered';
    if (include !== undefined && !include.test(path)) return 'filtered';
    if (upstream.has(path)) return 'upstream';
    return undefined;
  }
}

/**
 * For a cache Nix checks references in (every binary cache: a narinfo is only added when the cache has
 * its references), and no way to show it the upstream's paths: upstream paths that a pushed path
 * references, transitively, are pushed after all. Returns the new selection and how many were taken back.
 */
export function keepReferencedUpstream(selection: PushSelection): { selection: PushSelection; kept: number } {
  const byPath = new Map(selection.closure.map((p) => [p.path, p]));
  const skipped = new Map(selection.skipped);
  const stack = selection.toPush.map((p) => p.path);
  let kept = 0;
  for (let path = stack.pop(); path !== undefined; path = stack.pop()) {
    for (const ref of byPath.get(path)?.references ?? []) {
      if (skipped.get(ref) !== 'upstream') continue;
      skipped.delete(ref);
      kept += 1;
      stack.push(ref);
    }
  }
  if (kept === 0) return { selection, kept };
  const toPush = topoOrder(selection.closure).filter((info) => !skipped.has(info.path));
  return { selection: { ...selection, skipped, toPush }, kept };
}

/** Total NAR bytes of `infos`. */
export function closureBytes(infos: readonly PathInfo[]): number {
  let total = 0;
  for (const info of infos) total += info.narSize;
  return total;
}

/**
 * `infos` ordered so that each path comes after every path of the set it references (references to
 * paths outside the set and self-references are ignored); among paths ready at the same time, the
 * smallest path first. Iterative (Kahn's algorithm with a heap). A cycle (which valid Nix stores do not
 * have) cannot lose paths: what it holds up is appended in path order.
 */
export function topoOrder(infos: readonly PathInfo[]): PathInfo[] {
  const unique = uniqueByPath(infos);
  const index = new Map<string, number>();
  unique.forEach((info, i) => index.set(info.path, i));
  const pending = new Array<number>(unique.length).fill(0);
  const referrers: number[][] = unique.map(() => []);
  unique.forEach((info, i) => {
    const seen = new Set<number>();
    for (const ref of info.references) {
      const j = index.get(ref);
      if (j === undefined || j === i || seen.has(j)) continue;
      seen.add(j);
      pending[i] = (pending[i] ?? 0) + 1;
      referrers[j]?.push(i);
    }
  });

  const byPath = (a: number, b: number): boolean => (unique[a]?.path ?? '') < (unique[b]?.path ?? '');
  const ready = new MinHeap(byPath);
  pending.forEach((count, i) => {
    if (count === 0) ready.push(i);
  });
  const order: PathInfo[] = [];
  const placed = new Array<boolean>(unique.length).fill(false);
  for (let i = ready.pop(); i !== undefined; i = ready.pop()) {
    placed[i] = true;
    order.push(unique[i] as PathInfo);
    for (const r of referrers[i] ?? []) {
      const left = (pending[r] ?? 0) - 1;
      pending[r] = left;
      if (left === 0) ready.push(r);
    }
  }
  if (order.length < unique.length) {
    const rest = unique.filter((_, i) => placed[i] !== true);
    order.push(...rest.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)));
  }
  return order;
}

function uniqueByPath(infos: readonly PathInfo[]): PathInfo[] {
  const seen = new Set<string>();
  const out: PathInfo[] = [];
  for (const info of infos) {
    if (seen.has(info.path)) continue;
    seen.add(info.path);
    out.push(info);
  }
  return out;
}

/** A copy without the `g`/`y` flags, whose `test` would otherwise carry `lastIndex` from one path to the next. */
function stateless(re: RegExp): RegExp {
  return re.global || re.sticky ? new RegExp(re.source, re.flags.replace(/[gy]/g, '')) : re;
}

/** A binary heap of numbers ordered by `less`. */
class MinHeap {
  private readonly items: number[] = [];
  constructor(private readonly less: (a: number, b: number) => boolean) {}

  push(value: number): void {
    const items = this.items;
    items.push(value);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(items[i] as number, items[parent] as number)) break;
      [items[i], items[parent]] = [items[parent] as number, items[i] as number];
      i = parent;
    }
  }

  pop(): number | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (top === undefined || last === undefined || items.length === 0) return top;
    items[0] = last;
    for (let i = 0; ;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < items.length && this.less(items[left] as number, items[smallest] as number)) smallest = left;
      if (right < items.length && this.less(items[right] as number, items[smallest] as number))
        smallest = right;
      if (smallest === i) break;
      [items[i], items[smallest]] = [items[smallest] as number, items[i] as number];
      i = smallest;
    }
    return top;
  }
}
