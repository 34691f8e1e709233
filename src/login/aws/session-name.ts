/**
 * RoleSessionName: 2–64 characters of `[\w+=,.@-]` (ASCII `\w`). AWS shows it in CloudTrail and in the
 * assumed role's ARN, so the default names the repository and the run.
 */
import { describeChar } from '../../config/text.js';
import { fail, subject } from '../../config/validate-message.js';

const MAX = 64;
const ALLOWED = /^[A-Za-z0-9_+=,.@-]+$/u;
const FALLBACK = 'gh-nix-cache-action';

/** Characters outside the allowed set become '-', runs of '-' one, and none at either end. */
function sanitise(text: string): string {
  return text
    .replace(/[^A-Za-z0-9_+=,.@-]/gu, '-')
    .replace(/-{2,}/gu, '-')
    .replace(/^-+|-+$/gu, '');
}

/**
 * `gh-OWNER-REPO-RUNID-ATTEMPT` from GITHUB_REPOSITORY, GITHUB_RUN_ID and GITHUB_RUN_ATTEMPT: sanitised,
 * the repository part shortened first so that the run stays identifiable; never empty or invalid.
 */
export function sessionName(env: Readonly<Record<string, string | undefined>>): string {
  const repo = sanitise(env.GITHUB_REPOSITORY ?? '');
  const parts = [env.GITHUB_RUN_ID, env.GITHUB_RUN_ATTEMPT].map((part) => sanitise(part ?? ''));
  const run = sanitise(
    parts
      .filter((part) => part !== '')
      .join('-')
      .slice(0, 40),
  );
  const suffix = run === '' ? '' : `-${run}`;
  const room = MAX - 'gh-'.length - suffix.length;
  const head = sanitise(repo.slice(0, room));
  if (head === '' && suffix === '') return FALLBACK;
  const name = head === '' ? `gh${suffix}` : `gh-${head}${suffix}`;
  return name.length >= 2 && name.length <= MAX && ALLOWED.test(name) ? name : FALLBACK;
}

/** A session name given by the user; '' gives undefined (the default from `sessionName`). */
export function parseSessionName(input: string, value: string): string | undefined {
  const name = value.trim();
  if (name === '') return undefined;
  const who = subject(input, undefined);
  const expected = `expected 2 to ${MAX} of letters, digits and +=,.@_- (e.g. gh-my-repo-deploy)`;
  let position = 0;
  for (const ch of name) {
    position += 1;
    if (!ALLOWED.test(ch)) fail(who, `contains ${describeChar(ch)} at position ${position}`, expected);
  }
  if (name.length < 2) fail(who, 'is 1 character long', expected);
  if (name.length > MAX) fail(who, `is ${name.length} characters long`, expected);
  return name;
}
