/**
 * netrc files as curl (and so Nix) reads them: words separated by any whitespace, `machine NAME`,
 * `default`, then `login`, `password`, `account` with a value each; `macdef NAME` starts a macro whose
 * body runs to the next blank line; a line whose first word starts with `#` is a comment. Messages
 * never include a login, password or account.
 */
import { findUnsafeChar } from './text.js';
import type { NetrcEntry } from './types.js';

type Field = 'login' | 'password' | 'account';
type Expect = 'machine' | Field | 'macdef';

interface Draft {
  machine: string | undefined;
  login?: string;
  password?: string;
  account?: string;
}

/** The entries in file order. Throws on words curl would not understand (never quoting them). */
export function parseNetrc(text: string): NetrcEntry[] {
  const entries: Draft[] = [];
  let current: Draft | undefined;
  let expect: Expect | undefined;
  let inMacro = false;
  const lines = text.split('\n');
  lines.forEach((line, index) => {
    if (inMacro) {
      if (line.trim() === '') inMacro = false;
      return;
    }
    const words = line.split(/\s+/u).filter((w) => w !== '');
    if (words[0]?.startsWith('#') === true) return;
    for (const word of words) {
      if (expect !== undefined) {
        const field = expect;
        expect = undefined;
        if (field === 'macdef') {
          inMacro = true; // the body starts on the next line; the rest of this line is ignored
          break;
        }
        if (field === 'machine') {
          current = { machine: word };
          entries.push(current);
        } else if (current !== undefined) {
          current[field] = word;
        }
        continue;
      }
      switch (word) {
        case 'machine':
        case 'macdef':
          expect = word;
          break;
        case 'default':
          current = { machine: undefined };
          entries.push(current);
          break;
        case 'login':
        case 'password':
        case 'account':
          if (current === undefined) {
            throw new Error(`netrc line ${index + 1}: '${word}' comes before any 'machine' or 'default'`);
          }
          expect = word;
          break;
        default:
          throw new Error(
            `netrc line ${index + 1}: an unexpected word where 'machine', 'default', 'login', 'password', 'account' or 'macdef' should be`,
          );
      }
    }
  });
  if (expect !== undefined && expect !== 'macdef')
    throw new Error(`netrc ends after '${expect}' without its value`);
  return entries.map(freeze);
}

function freeze(d: Draft): NetrcEntry {
  return {
    machine: d.machine,
    ...(d.login === undefined ? {} : { login: d.login }),
    ...(d.password === undefined ? {} : { password: d.password }),
    ...(d.account === undefined ? {} : { account: d.account }),
  };
}

function checkValue(entry: NetrcEntry, what: string, value: string): void {
  const subject = entry.machine === undefined ? 'the default netrc entry' : `the netrc entry for a machine`;
  if (value === '') throw new Error(`${subject}: the ${what} is empty`);
  const bad = findUnsafeChar(value, { allowHash: true, allowNonAscii: true });
  if (bad !== undefined)
    throw new Error(`${subject}: the ${what} contains ${bad.what} at position ${bad.position}`);
}

function renderEntry(entry: NetrcEntry): string {
  const words: string[] = [];
  if (entry.machine === undefined) {
    words.push('default');
  } else {
    checkValue(entry, 'machine name', entry.machine);
    words.push('machine', entry.machine);
  }
  for (const field of ['login', 'password', 'account'] as const) {
    const value = entry[field];
    if (value === undefined) continue;
    checkValue(entry, field, value);
    words.push(field, value);
  }
  return `${words.join(' ')}\n`;
}

/** One line per entry (`machine H login L password P`), `default` entries last (curl stops at one). */
export function renderNetrc(entries: readonly NetrcEntry[]): string {
  const machines = entries.filter((e) => e.machine !== undefined);
  const defaults = entries.filter((e) => e.machine === undefined);
  return [...machines, ...defaults].map(renderEntry).join('');
}

/** curl compares netrc machine names with host names case-insensitively. */
function sameMachine(a: string | undefined, b: string | undefined): boolean {
  return a === undefined || b === undefined ? a === b : a.toLowerCase() === b.toLowerCase();
}

/**
 * The netrc text with `entry` in place of any entry for the same machine (where the first one was), or
 * added before the `default` entry; every other entry kept as it was.
 */
export function mergeNetrc(existing: string | undefined, entry: NetrcEntry): string {
  renderEntry(entry); // validates before anything else happens
  const entries = existing === undefined ? [] : parseNetrc(existing);
  const first = entries.findIndex((e) => sameMachine(e.machine, entry.machine));
  const others = entries.filter((e) => !sameMachine(e.machine, entry.machine));
  // No entry for the machine comes before `first`, so it is also ours' index among the others.
  const at = first === -1 ? others.length : first;
  return renderNetrc([...others.slice(0, at), entry, ...others.slice(at)]);
}

/** The netrc text without the entries of `machine` ('' when nothing is left). */
export function removeMachine(text: string, machine: string): string {
  return renderNetrc(parseNetrc(text).filter((e) => !sameMachine(e.machine, machine)));
}
