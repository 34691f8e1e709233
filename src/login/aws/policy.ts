/** The inline session policy input: a JSON object within AWS's 2048-character limit. */
import { fail, subject } from '../../config/validate-message.js';

export const MAX_POLICY_LENGTH = 2048;

/**
 * An inline session policy: a JSON object of at most 2048 characters. Text over the limit that fits
 * once its whitespace is removed is given minified. '' gives undefined.
 */
export function parsePolicy(input: string, value: string): string | undefined {
  const text = value.trim();
  if (text === '') return undefined;
  const who = subject(input, undefined);
  const expected = 'expected an IAM policy as a JSON object, e.g. {"Version":"2012-10-17","Statement":[…]}';
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    fail(who, `is not valid JSON${jsonErrorPlace(text)}`, expected);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    fail(who, 'is JSON but not an object', expected);
  }
  if (text.length <= MAX_POLICY_LENGTH) return text;
  const minified = JSON.stringify(parsed);
  if (minified.length <= MAX_POLICY_LENGTH) return minified;
  fail(
    who,
    `is ${minified.length} characters long even without whitespace, over AWS's limit of ${MAX_POLICY_LENGTH}`,
    'shorten the policy (wildcards in Action and Resource), or attach a managed policy to the role instead',
  );
}

/**
 * " at line L, column C": where the text stops being the start of some JSON (the longest prefix that
 * JSON.parse reads as merely unfinished). JSON.parse's own message may quote the text, so it is not used.
 */
function jsonErrorPlace(text: string): string {
  const unfinished = (prefix: string): boolean => {
    try {
      JSON.parse(prefix);
      return true;
    } catch (error: unknown) {
      const message = error instanceof Error ? error.message : '';
      return /end of (?:JSON|data)/iu.test(message) || message.includes(`position ${prefix.length}`);
    }
  };
  if (unfinished(text)) return ' (it ends too early)';
  let lo = 0;
  let hi = text.length;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (unfinished(text.slice(0, mid))) lo = mid;
    else hi = mid;
  }
  const before = text.slice(0, lo);
  const line = before.split('\n').length;
  const column = before.length - before.lastIndexOf('\n');
  return ` at line ${line}, column ${column}`;
}
