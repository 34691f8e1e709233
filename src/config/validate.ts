/**
 * Validators for the action's inputs. Each throws an `ActionError` that names the input, says what is
 * wrong and what a good value looks like; none ever repeats a value that could be a secret (a bad
 * character is reported by its kind and position).
 */
import { ActionError } from '../util/errors.js';
import { findUnsafeChar, ordinal, splitList } from './text.js';
import { fail, shown, subject } from './validate-message.js';

export { parseStoreUrl, parseStoreUrls } from './store-url.js';

const KEY_EXAMPLE = 'name:base64, e.g. cache.nixos.org-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY=';
const ED25519_PUBLIC_BYTES = 32;
const ED25519_SECRET_BYTES = 64;

/** Public keys (`name:base64` of a 32-byte ed25519 key), one per line or separated by spaces; deduplicated. */
export function parsePublicKeys(input: string, value: string): string[] {
  const items = splitList(value);
  const out: string[] = [];
  const names = new Map<string, { index: number; key: string }>();
  items.forEach((item, i) => {
    const who = subject(input, items.length > 1 ? i : undefined, 'key');
    const bad = findUnsafeChar(item);
    if (bad !== undefined)
      fail(who, `contains ${bad.what} at position ${bad.position}`, `expected ${KEY_EXAMPLE}`);
    const colon = item.indexOf(':');
    if (colon === -1)
      fail(who, "has no ':' between the key's name and its base64 value", `expected ${KEY_EXAMPLE}`);
    if (colon === 0) fail(who, "has no name before ':'", `expected ${KEY_EXAMPLE}`);
    const name = item.slice(0, colon);
    const bytes = base64Length(item.slice(colon + 1));
    if (bytes === undefined) fail(who, "is not valid base64 after ':'", `expected ${KEY_EXAMPLE}`);
    if (bytes === ED25519_SECRET_BYTES) {
      fail(
        who,
        'is a secret signing key (64 bytes), not a public key',
        'give its public half (nix key convert-secret-to-public prints it) and keep the secret key out of workflow files; rotate it if it was committed',
      );
    }
    if (bytes !== ED25519_PUBLIC_BYTES) {
      fail(
        who,
        `decodes to ${bytes} bytes, not the 32 bytes of an ed25519 public key`,
        `expected ${KEY_EXAMPLE}`,
      );
    }
    const earlier = names.get(name);
    if (earlier !== undefined && earlier.key !== item) {
      fail(
        who,
        `has the same name as the ${ordinal(earlier.index + 1)} key but a different value`,
        'Nix keeps one key per name: give each key its own name',
      );
    }
    if (earlier === undefined) {
      names.set(name, { index: i, key: item });
      out.push(item);
    }
  });
  return out;
}

/** The decoded length of canonical, padded base64, or undefined when it is not that. */
function base64Length(b64: string): number | undefined {
  if (b64 === '' || b64.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/u.test(b64)) return undefined;
  const padding = b64.endsWith('==') ? 2 : b64.endsWith('=') ? 1 : 0;
  return (b64.length / 4) * 3 - padding;
}

/** A static token for netrc: one word of printable ASCII, no '#', never echoed. */
export function parseToken(input: string, value: string): string {
  const token = value.trim();
  const expected =
    "a token is one word of printable ASCII without spaces or '#' (netrc has no quoting): check the secret's value";
  if (token === '') fail(subject(input, undefined), 'is empty', expected);
  const bad = findUnsafeChar(token);
  if (bad !== undefined)
    fail(subject(input, undefined), `contains ${bad.what} at position ${bad.position}`, expected);
  if (token.startsWith('"'))
    fail(subject(input, undefined), "starts with '\"', which curl reads as a quote", expected);
  return token;
}

/** One of `choices` (case-insensitive); '' gives `fallback`. */
export function parseChoice<const C extends string>(
  input: string,
  value: string,
  choices: readonly C[],
  fallback: C,
): C {
  const given = value.trim();
  if (given === '') return fallback;
  const found = choices.find((c) => c.toLowerCase() === given.toLowerCase());
  if (found !== undefined) return found;
  const list = choices.map((c) => `'${c}'`).join(', ');
  const name = shown(given);
  throw new ActionError(
    `Input '${input}' must be one of ${list}, not ${name === undefined ? 'the value given' : `'${name}'`}.`,
  );
}
