import { describe, expect, it } from '@jest/globals';
import { closureBytes, keepReferencedUpstream, selectPush, topoOrder } from '../../../src/push/select.js';
import type { PathInfo, PushFilters } from '../../../src/push/types.js';

const ALPHABET = '0123456789abcdfghijklmnpqrsvwxyz';

/** A store path for `name` whose hash part is derived from `n` (so the order of paths is not the order of n). */
function storePath(n: number, name: string): string {
  let hash = '';
  for (let v = (n * 2654435761) >>> 0, i = 0; i < 32; i++, v = (v * 1103515245 + 12345) >>> 0) {
    hash += ALPHABET[v % 32] ?? '';
  }
  return `/nix/store/${hash}-${name}`;
}

function info(path: string, references: readonly string[] = [], narSize = 100): PathInfo {
  return { path, narHash: 'sha256-AAAA', narSize, references };
}

/** Deterministic pseudo-random numbers in [0, 1) (mulberry32). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle<T>(items: readonly T[], rand: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/**
 * A random DAG: node i references some nodes < i (its hidden topological order), sometimes itself,
 * sometimes a path outside the set; given in shuffled order.
 */
function randomDag(size: number, seed: number): PathInfo[] {
  const rand = random(seed);
  const paths = Array.from({ length: size }, (_, i) => storePath(seed * 100_000 + i, `node-${i}`));
  const infos = paths.map((path, i) => {
    const refs = new Set<string>();
    const count = i === 0 ? 0 : Math.floor(rand() * Math.min(i, 6));
    for (let k = 0; k < count; k++) refs.add(paths[Math.floor(rand() * i)] as string);
    if (rand() < 0.3) refs.add(path);
    if (rand() < 0.1) refs.add(storePath(-1 - i, 'outside'));
    return info(path, shuffle([...refs], rand));
  });
  return shuffle(infos, rand);
}

/** Every path once, and after each of its references that is in the set (other than itself). */
function expectTopological(order: readonly PathInfo[], input: readonly PathInfo[]): void {
  expect(order.map((i) => i.path).sort()).toEqual([...new Set(input.map((i) => i.path))].sort());
  const position = new Map(order.map((i, n) => [i.path, n]));
  for (const [n, item] of order.entries()) {
    for (const ref of item.references) {
      const at = position.get(ref);
      if (at === undefined || ref === item.path) continue;
      expect(at).toBeLessThan(n);
    }
  }
}

const none: PushFilters = { exclude: undefined, include: undefined, derivations: false };

describe('topoOrder', () => {
  it('puts every path after the paths it references, over many random DAGs', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const dag = randomDag(1 + (seed % 60), seed);
      expectTopological(topoOrder(dag), dag);
    }
  });

  it('gives the same order whatever the input order (ties broken by path)', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const dag = randomDag(40, seed);
      const again = shuffle(dag, random(seed + 1000));
      expect(topoOrder(again).map((i) => i.path)).toEqual(topoOrder(dag).map((i) => i.path));
    }
  });

  it('orders unrelated paths by path', () => {
    const infos = [info('/nix/store/c-x'), info('/nix/store/a-x'), info('/nix/store/b-x')];
    expect(topoOrder(infos).map((i) => i.path)).toEqual([
      '/nix/store/a-x',
      '/nix/store/b-x',
      '/nix/store/c-x',
    ]);
  });

  it('ignores self-references, repeated references and references outside the set', () => {
    const a = '/nix/store/a-lib';
    const z = '/nix/store/z-app';
    const order = topoOrder([info(a, [a, '/nix/store/gone']), info(z, [z, a, a, z])]);
    expect(order.map((i) => i.path)).toEqual([a, z]);
    // z depends on a even though it sorts after it; b depends on z.
    const b = '/nix/store/b-top';
    expect(topoOrder([info(b, [z]), info(z, [a]), info(a)]).map((i) => i.path)).toEqual([a, z, b]);
  });

  it('loses no path to a cycle (which a valid store cannot have) and lists paths once', () => {
    const [a, b, c] = ['/nix/store/a-x', '/nix/store/b-x', '/nix/store/c-x'];
    const order = topoOrder([info(c, [a]), info(b, [a]), info(a, [b]), info(c, [a])]);
    expect(order.map((i) => i.path)).toEqual([a, b, c]);
  });

  it('handles 50,000 paths in a chain and in a wide fan without recursion', () => {
    const paths = Array.from({ length: 50_000 }, (_, i) => storePath(i, `chain-${i}`));
    const chain = paths.map((path, i) => info(path, i === 0 ? [] : [paths[i - 1] as string, path]));
    const started = performance.now();
    const order = topoOrder(shuffle(chain, random(7)));
    expect(performance.now() - started).toBeLessThan(5000);
    expect(order.map((i) => i.path)).toEqual(paths);

    const root = storePath(-1, 'root');
    const fan = [info(root, paths), ...paths.map((p) => info(p))];
    const fanOrder = topoOrder(fan);
    expect(fanOrder.at(-1)?.path).toBe(root);
    expect(fanOrder.slice(0, -1).map((i) => i.path)).toEqual([...paths].sort());
  });
});

describe('selectPush', () => {
  const lib = storePath(1, 'lib');
  const app = storePath(2, 'app');
  const tool = storePath(3, 'tool');
  const docs = storePath(4, 'app-docs');
  const drv = storePath(5, 'app.drv');
  const closure = [
    info(app, [lib, tool, app], 300),
    info(docs, [app], 40),
    info(lib, [], 1000),
    info(tool, [lib], 20),
    info(drv, [], 5),
  ];
  const found = [app, docs, drv];

  it('pushes the whole closure but derivations, references first', () => {
    const s = selectPush(found, closure, none, new Set());
    expect(s.found).toEqual(found);
    expect(s.closure).toHaveLength(5);
    expect([...s.skipped]).toEqual([[drv, 'derivation']]);
    expect(s.toPush.map((i) => i.path)).toEqual([lib, tool, app, docs]);
  });

  it('pushes derivations when asked', () => {
    const s = selectPush(found, closure, { ...none, derivations: true }, new Set());
    expect(s.skipped.size).toBe(0);
    expect(s.toPush.map((i) => i.path)).toContain(drv);
  });

  it('skips what the exclude filter matches, tested against the full store path', () => {
    const s = selectPush(found, closure, { ...none, exclude: /-app-docs$/ }, new Set());
    expect(s.skipped.get(docs)).toBe('filtered');
    expect(s.toPush.map((i) => i.path)).toEqual([lib, tool, app]);
    const byDir = selectPush(found, closure, { ...none, exclude: /^\/nix\/store\// }, new Set());
    expect(byDir.toPush).toEqual([]);
  });

  it('keeps only what the include filter matches', () => {
    const s = selectPush(found, closure, { ...none, include: /-(app|lib)$/ }, new Set());
    expect(s.toPush.map((i) => i.path)).toEqual([lib, app]);
    expect(s.skipped.get(tool)).toBe('filtered');
    expect(s.skipped.get(docs)).toBe('filtered');
    expect(s.skipped.get(drv)).toBe('derivation');
  });

  it('applies include and exclude together: included and not excluded', () => {
    const s = selectPush(found, closure, { ...none, include: /-app/, exclude: /docs/ }, new Set());
    expect(s.toPush.map((i) => i.path)).toEqual([app]);
    expect(s.skipped.get(docs)).toBe('filtered');
    expect(s.skipped.get(lib)).toBe('filtered');
  });

  it('tests a global or sticky regex freshly for each path', () => {
    const paths = Array.from({ length: 20 }, (_, i) => storePath(100 + i, `keep-${i}`));
    const infos = paths.map((p) => info(p));
    for (const re of [/keep/g, /\/nix\/store/y, /keep/gy]) {
      expect(selectPush(paths, infos, { ...none, include: re }, new Set()).toPush).toHaveLength(20);
      expect(selectPush(paths, infos, { ...none, exclude: re }, new Set()).toPush).toHaveLength(0);
    }
  });

  it('skips what upstream caches have, reporting the reason from the inputs first', () => {
    const s = selectPush(found, closure, { ...none, exclude: /tool/ }, new Set([lib, tool, drv]));
    expect(s.skipped.get(lib)).toBe('upstream');
    expect(s.skipped.get(tool)).toBe('filtered');
    expect(s.skipped.get(drv)).toBe('derivation');
    expect(s.toPush.map((i) => i.path)).toEqual([app, docs]);
  });

  it('keeps references before referrers through skipped paths, over random DAGs', () => {
    for (let seed = 1; seed <= 100; seed++) {
      const dag = randomDag(50, seed);
      const rand = random(seed + 7);
      const upstream = new Set(dag.filter(() => rand() < 0.3).map((i) => i.path));
      const s = selectPush([], dag, { ...none, exclude: /node-1\d$/ }, upstream);
      const pushed = s.toPush.map((i) => i.path);
      expect(pushed.length + s.skipped.size).toBe(dag.length);
      // The order of the pushed paths is the order of the whole closure, filtered.
      const full = topoOrder(dag).map((i) => i.path);
      expect(pushed).toEqual(full.filter((p) => !s.skipped.has(p)));
      expectTopological(topoOrder(dag), dag);
    }
  });

  it('lists a path given twice once', () => {
    const s = selectPush([app], [...closure, info(app, [lib], 300)], none, new Set());
    expect(s.closure).toHaveLength(5);
    expect(s.toPush.filter((i) => i.path === app)).toHaveLength(1);
  });
});

describe('closureBytes', () => {
  it('sums narSize', () => {
    expect(closureBytes([])).toBe(0);
    expect(closureBytes([info('/nix/store/a-x', [], 5), info('/nix/store/b-x', [], 7)])).toBe(12);
  });
});

describe('keepReferencedUpstream', () => {
  const info = (path: string, references: string[] = []): PathInfo => ({
    path,
    narHash: 'sha256-x',
    narSize: 1,
    references,
  });
  it('takes back upstream paths a pushed path references, transitively, and leaves the rest skipped', () => {
    const libc = '/nix/store/00000000000000000000000000000000-libc';
    const gcc = '/nix/store/11111111111111111111111111111111-gcc';
    const other = '/nix/store/22222222222222222222222222222222-other';
    const app = '/nix/store/33333333333333333333333333333333-app';
    const closure = [info(libc), info(gcc, [libc]), info(other), info(app, [gcc])];
    const noFilters = { exclude: undefined, include: undefined, derivations: false };
    const first = selectPush([app, other], closure, noFilters, new Set([libc, gcc, other]));
    expect(first.toPush.map((p) => p.path)).toEqual([app]);
    const { selection, kept } = keepReferencedUpstream(first);
    expect(kept).toBe(2);
    expect(selection.toPush.map((p) => p.path)).toEqual([libc, gcc, app]);
    expect(selection.skipped.get(other)).toBe('upstream');
    expect(keepReferencedUpstream(selection).kept).toBe(0);
  });
});

describe('derivations without their closure', () => {
  it('counts new derivations as left out even when their closure was not queried', () => {
    const drv = '/nix/store/44444444444444444444444444444444-app.drv';
    const out = '/nix/store/55555555555555555555555555555555-app';
    const closure: PathInfo[] = [{ path: out, narHash: 'sha256-x', narSize: 1, references: [] }];
    const s = selectPush(
      [drv, out],
      closure,
      { exclude: undefined, include: undefined, derivations: false },
      new Set(),
    );
    expect(s.skipped.get(drv)).toBe('derivation');
    expect(s.toPush.map((p) => p.path)).toEqual([out]);
  });
});
