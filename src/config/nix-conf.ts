/**
 * Our one marked block in a nix.conf: rendering settings, putting the block at the end of a file's text
 * (the user's text before it unchanged byte for byte), taking it out again, and reading settings back.
 */
import { parseConf } from '../nix/detect/conf-syntax.js';
import { findUnsafeChar } from './text.js';
import type { Settings } from './types.js';

export const BLOCK_BEGIN =
  '# BEGIN nix-cache-action: managed by the GitHub Action, removed or restored by its post step';
export const BLOCK_END = '# END nix-cache-action';

// A marker line is recognised by its start (the text after the colon is for people), with any line ending.
const BEGIN_LINE = /^# BEGIN nix-cache-action(?::.*)?\s*$/u;
const END_LINE = /^# END nix-cache-action\s*$/u;
// What Nix accepts as a setting name (see conf-syntax.ts).
const KEY = /^[\w.-]+$/u;

/** `key = value` lines, one per setting. Throws on anything that could break out of its line. */
export function renderSettings(settings: Settings): string {
  let out = '';
  for (const [key, value] of settings) {
    if (!KEY.test(key)) {
      const bad = findUnsafeChar(key);
      const why = bad === undefined ? 'is not a valid name' : `contains ${bad.what}`;
      throw new Error(`nix.conf setting name ${bad === undefined ? `'${key}' ` : ''}${why}`);
    }
    const bad = findUnsafeChar(value, { allowSpace: true });
    if (bad !== undefined) {
      throw new Error(
        `nix.conf setting '${key}': the value contains ${bad.what} at position ${bad.position}`,
      );
    }
    out += value === '' ? `${key} =\n` : `${key} = ${value}\n`;
  }
  return out;
}

/** The block of ours holding `settings`, marker lines included, ending with a newline. */
export function renderBlock(settings: Settings): string {
  return `${BLOCK_BEGIN}\n${renderSettings(settings)}${BLOCK_END}\n`;
}

/** Lines with their terminators, so that joining them gives the text back exactly. */
function splitLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/gu) ?? [];
}

interface BlockSpan {
  /** Index of the BEGIN line. */
  readonly begin: number;
  /** Index of the END line. */
  readonly end: number;
}

function findBlocks(lines: readonly string[]): BlockSpan[] {
  const spans: BlockSpan[] = [];
  let open: number | undefined;
  lines.forEach((line, i) => {
    if (BEGIN_LINE.test(line)) {
      if (open !== undefined) {
        throw new Error(
          `nix-cache-action's block starting on line ${open + 1} has no END line before another BEGIN on line ${i + 1}: the file looks half-written; remove the block by hand`,
        );
      }
      open = i;
    } else if (END_LINE.test(line)) {
      if (open === undefined) {
        throw new Error(
          `line ${i + 1} ends a nix-cache-action block that never began: the file looks half-written; remove the line by hand`,
        );
      }
      spans.push({ begin: open, end: i });
      open = undefined;
    }
  });
  if (open !== undefined) {
    throw new Error(
      `nix-cache-action's block starting on line ${open + 1} has no END line: the file looks half-written; remove the block by hand`,
    );
  }
  return spans;
}

/** Whether the text holds a (complete) block of ours. Throws on a half-written one. */
export function hasBlock(text: string | undefined): boolean {
  return text !== undefined && findBlocks(splitLines(text)).length > 0;
}

/**
 * The text with every block of ours removed: whole lines, terminators included; everything else kept
 * byte for byte. A file that held only our block gives ''. The newline `withBlock` may have added after
 * text without one stays (the post step restores files from their backups, byte for byte).
 */
export function withoutBlock(text: string): string {
  const lines = splitLines(text);
  const spans = findBlocks(lines);
  if (spans.length === 0) return text;
  return lines.filter((_, i) => !spans.some((s) => i >= s.begin && i <= s.end)).join('');
}

/** The lines of our block(s) in the text, marker lines included ('' when there is none). */
export function blockOf(text: string): string {
  const lines = splitLines(text);
  const spans = findBlocks(lines);
  return lines.filter((_, i) => spans.some((s) => i >= s.begin && i <= s.end)).join('');
}

/**
 * The text (undefined: no file yet) with any block of ours removed and a new one holding `settings`
 * appended at the end: for plain settings the last line wins, and `extra-*` settings add to what came
 * before. A newline is added first only when the text does not end with one.
 */
export function withBlock(text: string | undefined, settings: Settings): string {
  const block = renderBlock(settings);
  const base = text === undefined ? '' : withoutBlock(text);
  if (base === '') return block;
  return base.endsWith('\n') ? `${base}${block}` : `${base}\n${block}`;
}

/**
 * `key = value` settings of one file's text, the last value per key as written (`extra-x` is its own
 * key), ignoring comments and `include`/`!include` lines.
 */
export function readSettings(text: string): Record<string, string> {
  const map = new Map<string, string>();
  for (const line of parseConf(text)) {
    if (line.kind === 'setting') map.set(line.name, line.value);
  }
  return Object.fromEntries(map);
}
