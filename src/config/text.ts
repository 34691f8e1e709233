/**
 * Character checks shared by the validators, the nix.conf writer and the netrc writer. Messages built
 * from these name the character and its position, never the value around it (it may be a secret).
 */

export interface UnsafeChar {
  /** 1-based position in characters (code points). */
  readonly position: number;
  /** What it is, for a message: "a newline", "a space", "'#'", "a non-ASCII character"… */
  readonly what: string;
}

export interface CharRules {
  /** Spaces and tabs are acceptable (never newlines). */
  readonly allowSpace?: boolean;
  /** `#` is acceptable. */
  readonly allowHash?: boolean;
  /** Characters beyond ASCII are acceptable. */
  readonly allowNonAscii?: boolean;
}

const NAMES: Readonly<Record<string, string>> = {
  ' ': 'a space',
  '\t': 'a tab',
  '\n': 'a newline',
  '\r': 'a carriage return',
  '\0': 'a NUL character',
  '\v': 'a vertical tab',
  '\f': 'a form feed',
};

/** A name for one character that does not reveal a secret's content (letters are never named). */
export function describeChar(ch: string): string {
  const named = NAMES[ch];
  if (named !== undefined) return named;
  const code = ch.codePointAt(0) ?? 0;
  if (code < 0x20 || code === 0x7f)
    return `a control character (U+${code.toString(16).toUpperCase().padStart(4, '0')})`;
  if (code > 0x7e)
    return code === 0xa0 || code === 0x3000 || code === 0x2028 ? 'a space' : 'a non-ASCII character';
  return `'${ch}'`;
}

/** The first character that breaks `rules`: control characters and newlines always do. */
export function findUnsafeChar(value: string, rules: CharRules = {}): UnsafeChar | undefined {
  let position = 0;
  for (const ch of value) {
    position += 1;
    const code = ch.codePointAt(0) ?? 0;
    let bad: boolean;
    if (ch === ' ' || ch === '\t') bad = rules.allowSpace !== true;
    else if (code < 0x20 || code === 0x7f) bad = true;
    else if (ch === '#') bad = rules.allowHash !== true;
    else if (code > 0x7e) bad = rules.allowNonAscii !== true || /\s/u.test(ch);
    else bad = false;
    if (bad) return { position, what: describeChar(ch) };
  }
  return undefined;
}

/** "1st", "2nd", "3rd", "4th"… for naming an entry in a list input. */
export function ordinal(n: number): string {
  const tens = n % 100;
  if (tens >= 11 && tens <= 13) return `${n}th`;
  switch (n % 10) {
    case 1:
      return `${n}st`;
    case 2:
      return `${n}nd`;
    case 3:
      return `${n}rd`;
    default:
      return `${n}th`;
  }
}

/** Splits a list input on any whitespace (newlines included); empty items are dropped. */
export function splitList(value: string): string[] {
  return value.split(/\s+/u).filter((item) => item !== '');
}
