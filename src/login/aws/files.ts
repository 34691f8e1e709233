/**
 * Pure edits of the AWS shared files: `credentials` (`[name]` sections) and `config` (`[profile name]`).
 * Only the action's own section is written or removed; every other line stays byte for byte, and the
 * `default` profile is never touched.
 */
import type { AwsSession } from '../types.js';

export const AWS_PROFILE_NAME = 'nix-cache-action';

type Keys = Pick<AwsSession, 'accessKeyId' | 'secretAccessKey' | 'sessionToken'>;

/** A section header as the AWS SDKs read it: `[ name ]`, optionally followed by a comment. */
const HEADER = /^\s*\[([^[\]]+)\]\s*(?:[#;].*)?$/u;
const IGNORABLE = /^\s*(?:[#;].*)?$/u;
const PROFILE_NAME = /^[\w.@+-]{1,64}$/u;

interface Line {
  /** The line without its terminator. */
  readonly body: string;
  /** The line with its terminator ('' at the end of a file without a final newline). */
  readonly raw: string;
}

function lines(text: string): Line[] {
  const out: Line[] = [];
  const re = /([^\r\n]*)(\r\n|\n|\r|$)/gu;
  for (const m of text.matchAll(re)) {
    if (m[0] === '') break;
    out.push({ body: m[1] ?? '', raw: m[0] });
  }
  return out;
}

/** `name` or `profile name` with the header's whitespace normalised. */
const sectionName = (body: string): string | undefined =>
  HEADER.exec(body)?.[1]?.trim().replace(/\s+/gu, ' ');

function checkProfile(profile: string): void {
  if (!PROFILE_NAME.test(profile) || profile === 'default') {
    throw new Error(`not a profile name the action writes: ${JSON.stringify(profile)}`);
  }
}

/**
 * Index ranges [start, end) of the sections named one of `names`. A section runs to the next header,
 * but blank and comment lines at its end belong to what follows (they usually describe the next one).
 */
function sections(all: readonly Line[], names: readonly string[]): [number, number][] {
  const ranges: [number, number][] = [];
  for (let i = 0; i < all.length; i++) {
    const name = sectionName(all[i]?.body ?? '');
    if (name === undefined || !names.includes(name)) continue;
    let next = i + 1;
    while (next < all.length && sectionName(all[next]?.body ?? '') === undefined) next++;
    let end = next;
    while (end > i + 1 && IGNORABLE.test(all[end - 1]?.body ?? '')) end--;
    ranges.push([i, end]);
    i = next - 1;
  }
  return ranges;
}

function newline(text: string): string {
  return text.includes('\r\n') ? '\r\n' : '\n';
}

/** Puts `section` (lines without terminators) in place of the named sections, or at the end. */
function replaceSections(
  text: string | undefined,
  names: readonly string[],
  section: readonly string[],
): string {
  const current = text ?? '';
  const eol = newline(current);
  const block = section.map((l) => `${l}${eol}`).join('');
  const all = lines(current);
  const ranges = sections(all, names);
  const first = ranges[0];
  if (first === undefined) {
    if (current === '') return block;
    const ended = /(?:\r\n|\n|\r)$/u.test(current) ? current : `${current}${eol}`;
    return `${ended}${eol}${block}`;
  }
  let out = '';
  let at = 0;
  for (const [start, end] of ranges) {
    out += all
      .slice(at, start)
      .map((l) => l.raw)
      .join('');
    if (start === first[0]) out += block;
    at = end;
  }
  return (
    out +
    all
      .slice(at)
      .map((l) => l.raw)
      .join('')
  );
}

function checkValue(what: string, value: string): void {
  if (value === '' || !/^[\x21-\x7e]+$/u.test(value)) {
    throw new Error(`the session's ${what} is empty or has characters a credentials file cannot hold`);
  }
}

/** The credentials file with `[profile]` holding the session (replaced if present, else appended). */
export function withProfile(credentialsText: string | undefined, profile: string, session: Keys): string {
  checkProfile(profile);
  checkValue('access key id', session.accessKeyId);
  checkValue('secret access key', session.secretAccessKey);
  checkValue('session token', session.sessionToken);
  return replaceSections(
    credentialsText,
    [profile],
    [
      `[${profile}]`,
      `aws_access_key_id = ${session.accessKeyId}`,
      `aws_secret_access_key = ${session.secretAccessKey}`,
      `aws_session_token = ${session.sessionToken}`,
    ],
  );
}

/** The config file with `[profile NAME]` naming the region (replaced if present, else appended). */
export function withProfileConfig(configText: string | undefined, profile: string, region: string): string {
  checkProfile(profile);
  if (!/^[a-z0-9-]{1,40}$/u.test(region)) throw new Error(`not a region: ${JSON.stringify(region)}`);
  return replaceSections(configText, [`profile ${profile}`], [`[profile ${profile}]`, `region = ${region}`]);
}

/**
 * The file without the action's sections (`[name]` and `[profile name]`, for either file). When the
 * removed section ended the file, one blank line before it goes too: what `withProfile` added.
 */
export function withoutProfile(text: string, profile: string): string {
  checkProfile(profile);
  const all = lines(text);
  const ranges = sections(all, [profile, `profile ${profile}`]);
  if (ranges.length === 0) return text;
  const drop = new Set<number>();
  for (const [start, end] of ranges) for (let i = start; i < end; i++) drop.add(i);
  const lastRange = ranges[ranges.length - 1];
  if (lastRange !== undefined && lastRange[1] === all.length) {
    const before = lastRange[0] - 1;
    if (before >= 0 && !drop.has(before) && (all[before]?.body ?? 'x').trim() === '') drop.add(before);
  }
  return all
    .filter((_, i) => !drop.has(i))
    .map((l) => l.raw)
    .join('');
}
