/**
 * The settings lines Nix applies, in order, across a chain of nix.conf files with their includes
 * expanded in place, and with our planned blocks appended where they will go. Planning asks it which
 * value of a setting wins and whether a line of ours is overridden by a later one.
 */
import { USER_TUNABLE } from './plan-types.js';
import { MAX_INCLUDE_DEPTH } from '../nix/detect/conf-files.js';
import { parseConf, resolveInclude } from '../nix/detect/conf-syntax.js';
import type { Settings } from './types.js';

export interface ChainLine {
  readonly name: string;
  readonly value: string;
  /** The file the line is in. */
  readonly file: string;
  /** A line of a block we plan to write. */
  readonly ours: boolean;
}

/** A file's text as the planner sees it (our old block already taken out); undefined: no such file. */
export type ReadText = (path: string) => string | undefined;

/**
 * Every settings line of `roots` (each file followed in place by what it includes), with
 * `appended.get(path)` added at the end of that file. Include cycles and over-deep chains are cut
 * where Nix would stop.
 */
export function expandChain(
  roots: readonly string[],
  read: ReadText,
  appended: ReadonlyMap<string, Settings> = new Map(),
): ChainLine[] {
  const out: ChainLine[] = [];
  const visit = (file: string, stack: readonly string[]): void => {
    const text = read(file);
    if (text !== undefined) {
      for (const line of parseConf(text)) {
        if (line.kind === 'setting') {
          out.push({ name: line.name, value: line.value, file, ours: false });
          continue;
        }
        const path = resolveInclude(file, line.path);
        if (stack.includes(path) || stack.length >= MAX_INCLUDE_DEPTH) continue;
        visit(path, [...stack, path]);
      }
    }
    for (const [name, value] of appended.get(file) ?? []) out.push({ name, value, file, ours: true });
  };
  for (const root of roots) visit(root, [root]);
  return out;
}

/** The value a plain (not `extra-`) setting ends up with, or undefined when no line sets it. */
export function lastValue(lines: readonly ChainLine[], name: string): string | undefined {
  let value: string | undefined;
  for (const line of lines) if (line.name === name) value = line.value;
  return value;
}

/** The list a setting ends up with: `name = …` replaces it, `extra-name = …` adds to it, in order. */
export function listValue(lines: readonly ChainLine[], name: string): string[] {
  let list: string[] = [];
  for (const line of lines) {
    const words = line.value.split(/\s+/u).filter((w) => w !== '');
    if (line.name === name) list = words;
    else if (line.name === `extra-${name}`) list.push(...words);
  }
  return list;
}

/**
 * The later line that undoes a line of ours: for `extra-x`, a later plain `x = …` (it replaces the
 * whole list); for a plain `x`, any later `x = …`. Undefined when ours stands.
 */
export function overriddenBy(lines: readonly ChainLine[], name: string): ChainLine | undefined {
  const mine = lines.findLastIndex((l) => l.ours && l.name === name);
  if (mine === -1) return undefined;
  const plain = name.startsWith('extra-') ? name.slice('extra-'.length) : name;
  return lines.slice(mine + 1).find((l) => !l.ours && l.name === plain);
}

/** Which of our tunable settings the chain (without our block) already sets. */
export function setByUser(lines: readonly ChainLine[]): ReadonlySet<string> {
  return new Set([...USER_TUNABLE, 'post-build-hook'].filter((name) => lastValue(lines, name) !== undefined));
}
