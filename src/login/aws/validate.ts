/**
 * Validators for the AWS login's inputs, in the style of `src/config/validate.ts`: each throws an
 * `ActionError` that names the input, says what is wrong and what a good value looks like.
 */
import { describeChar } from '../../config/text.js';
import { fail, shown, subject } from '../../config/validate-message.js';

export { MAX_POLICY_LENGTH, parsePolicy } from './policy.js';
export { parseSessionName, sessionName } from './session-name.js';

export type AwsPartition = 'aws' | 'aws-us-gov' | 'aws-cn';

const PARTITIONS: readonly AwsPartition[] = ['aws', 'aws-us-gov', 'aws-cn'];
const ARN_FORM =
  'expected arn:aws:iam::123456789012:role/NAME (or role/PATH/NAME; partitions aws, aws-us-gov, aws-cn)';
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/u;
/** IAM path segments: printable ASCII other than '/'. */
const PATH_SEGMENT = /^[\x21-\x2e\x30-\x7e]+$/u;

export interface RoleArnParts {
  readonly partition: AwsPartition;
  readonly account: string;
  readonly name: string;
}

/** The parts of an ARN `parseRoleArn` accepted; undefined for anything else. */
export function roleArnParts(arn: string): RoleArnParts | undefined {
  const m = /^arn:(aws|aws-us-gov|aws-cn):iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/u.exec(arn);
  if (m === null) return undefined;
  return { partition: m[1] as AwsPartition, account: m[2] ?? '', name: m[3] ?? '' };
}

/** An IAM role ARN, `arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME`; surrounding whitespace is dropped. */
export function parseRoleArn(input: string, value: string): string {
  const who = subject(input, undefined);
  const arn = value.trim();
  if (arn === '') fail(who, 'is empty', ARN_FORM);
  const space = /\s/u.exec(arn);
  if (space !== null) {
    fail(who, `contains ${describeChar(space[0])} at position ${space.index + 1}`, ARN_FORM);
  }
  const fields = arn.split(':');
  if (fields.length !== 6 || fields[0] !== 'arn')
    fail(who, 'is not an ARN (6 fields separated by ":")', ARN_FORM);
  const [, partition = '', service = '', region = '', account = '', resource = ''] = fields;
  if (!PARTITIONS.includes(partition as AwsPartition)) {
    const name = shown(partition);
    fail(
      who,
      `has the partition ${name === undefined ? 'given' : `'${name}'`}, which is not known`,
      ARN_FORM,
    );
  }
  if (service === 'sts' && resource.startsWith('assumed-role/')) {
    fail(who, "is an assumed-role (session) ARN, not the role's ARN", ARN_FORM);
  }
  if (service !== 'iam') fail(who, `is not an IAM ARN (the service is not 'iam')`, ARN_FORM);
  if (region !== '') fail(who, 'has a region, but IAM ARNs have none (two colons after iam)', ARN_FORM);
  if (account === '') fail(who, 'has no account id', ARN_FORM);
  if (!/^\d{12}$/u.test(account)) fail(who, 'has an account id that is not 12 digits', ARN_FORM);
  const slash = resource.indexOf('/');
  const kind = slash === -1 ? resource : resource.slice(0, slash);
  if (kind !== 'role') {
    const what = shown(kind);
    const noun = kind === 'user' ? 'an IAM user' : kind === 'group' ? 'an IAM group' : undefined;
    fail(
      who,
      noun !== undefined
        ? `is the ARN of ${noun}, not of a role (GitHub's token can only assume a role)`
        : `names ${what === undefined ? 'a resource' : `a '${what}'`} that is not a role`,
      ARN_FORM,
    );
  }
  if (slash === -1) fail(who, 'has no role name after role/', ARN_FORM);
  const segments = resource.slice(slash + 1).split('/');
  const name = segments.pop() ?? '';
  if (name === '') fail(who, 'has no role name after role/', ARN_FORM);
  if (!ROLE_NAME.test(name)) {
    fail(
      who,
      'has an invalid role name',
      `${ARN_FORM}; a role name is 1 to 64 of letters, digits and +=,.@_-`,
    );
  }
  if (segments.some((s) => !PATH_SEGMENT.test(s))) fail(who, 'has an empty or invalid path part', ARN_FORM);
  return arn;
}

const REGION = /^[a-z]{2,4}(?:-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$/u;
const REGION_FORM = 'expected an AWS region such as eu-west-1, us-east-1, us-gov-west-1 or cn-north-1';

/** An AWS region name (case is folded); '' gives undefined (the caller's default). */
export function parseRegion(input: string, value: string): string | undefined {
  const region = value.trim().toLowerCase();
  if (region === '') return undefined;
  const who = subject(input, undefined);
  if (REGION.test(region)) return region;
  const zone = /^([a-z]{2,4}(?:-gov)?-[a-z]+-\d{1,2})[a-z]$/u.exec(region);
  if (zone !== null)
    fail(who, `is an availability zone, not a region`, `give its region, '${zone[1] ?? ''}'`);
  fail(who, 'is not a region name', REGION_FORM);
}

/** The partition a region belongs to (ISO regions count as 'aws', which they are not; none are ours). */
export function regionPartition(region: string): AwsPartition {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/** Throws when the role lives in another partition than the region's STS (it could never answer). */
export function checkPartition(
  roleInput: string,
  roleArn: string,
  regionInput: string,
  region: string,
): void {
  const role = roleArnParts(roleArn);
  const partition = regionPartition(region);
  if (role === undefined || role.partition === partition) return;
  fail(
    `Input '${roleInput}'`,
    `is in the ${role.partition} partition but input '${regionInput}' (${region}) is in ${partition}`,
    `give a region of the role's partition (${role.partition === 'aws-cn' ? 'cn-north-1 or cn-northwest-1' : role.partition === 'aws-us-gov' ? 'us-gov-west-1 or us-gov-east-1' : 'e.g. us-east-1'})`,
  );
}

export const MIN_DURATION = 900;
export const MAX_DURATION = 43_200;

/** Session duration in whole seconds, 900–43200; '' gives undefined (the role's default, 1 hour). */
export function parseDuration(input: string, value: string): number | undefined {
  const text = value.trim();
  if (text === '') return undefined;
  const who = subject(input, undefined);
  const expected = `expected a number of seconds from ${MIN_DURATION} (15 minutes) to ${MAX_DURATION} (12 hours), e.g. 3600, and at most the role's maximum session duration`;
  if (!/^\d+$/u.test(text)) fail(who, 'is not a whole number of seconds', expected);
  const seconds = Number(text);
  if (seconds < MIN_DURATION) fail(who, `is ${seconds} seconds, below the minimum`, expected);
  if (seconds > MAX_DURATION) fail(who, `is ${seconds} seconds, above the maximum`, expected);
  return seconds;
}

const LOOPBACK = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])$/u;
const ENDPOINT_FORM = 'expected https://host[:port][/path] (http only for localhost or 127.0.0.1)';

/** An STS endpoint override: an https URL (http only on loopback), no credentials, query or fragment. */
export function parseStsEndpoint(input: string, value: string): string | undefined {
  const text = value.trim();
  if (text === '') return undefined;
  const who = subject(input, undefined);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    fail(who, 'is not a URL', ENDPOINT_FORM);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    fail(who, 'is not an http(s) URL', ENDPOINT_FORM);
  if (url.username !== '' || url.password !== '')
    fail(who, 'contains credentials before the host', ENDPOINT_FORM);
  if (url.protocol === 'http:' && !LOOPBACK.test(url.hostname)) {
    fail(
      who,
      'uses http:// for a host that is not loopback (the token would travel in clear)',
      ENDPOINT_FORM,
    );
  }
  if (url.search !== '' || url.hash !== '') fail(who, 'has a query or a fragment', ENDPOINT_FORM);
  return `${url.origin}${url.pathname.replace(/\/+$/u, '')}`;
}
