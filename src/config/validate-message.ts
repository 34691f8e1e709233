/** How validation errors are worded: the input named, the problem, a good value; never a secret. */
import { ActionError } from '../util/errors.js';
import { ordinal } from './text.js';

/** "Input 'cache'" or "Input 'extra-substituters' (2nd entry)". */
export function subject(input: string, index: number | undefined, noun = 'entry'): string {
  return index === undefined ? `Input '${input}'` : `Input '${input}' (${ordinal(index + 1)} ${noun})`;
}

export function fail(who: string, problem: string, expected: string): never {
  throw new ActionError(`${who} ${problem}; ${expected}.`);
}

/** A short, harmless word from the value (a scheme, a parameter name) or undefined. */
export function shown(word: string): string | undefined {
  return /^[\w.+-]{1,24}$/u.test(word) ? word : undefined;
}
