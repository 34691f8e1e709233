/**
 * The action's inputs, read once and validated into a typed object. Every later stage takes `Inputs`;
 * nothing else calls `core.getInput`. A bad value is an `ActionError` that names the input, raised
 * before anything is written.
 */
import type { StoreUrl } from './config/types.js';
import {
  parseChoice,
  parsePublicKeys,
  parseStoreUrl,
  parseStoreUrls,
  parseToken,
} from './config/validate.js';
import {
  parseDuration,
  parsePolicy,
  parseRegion,
  parseRoleArn,
  parseSessionName,
  parseStsEndpoint,
} from './login/aws/validate.js';
import type { LoginInputs } from './login/mode.js';
import { type PushInputs, readPushInputs } from './push/inputs.js';
import { ActionError } from './util/errors.js';

export type Tristate = 'auto' | 'true' | 'false';

export interface Inputs {
  readonly cache: StoreUrl | undefined;
  readonly extraSubstituters: readonly StoreUrl[];
  readonly publicKeys: readonly string[];
  /** A static cache token (secret). */
  readonly token: string | undefined;
  readonly trustedUser: Tristate;
  readonly acceptFlakeConfig: boolean;
  readonly restoreConfig: Tristate;
  /** Write the environment and results to the job summary. */
  readonly jobSummary: boolean;
  /** What decides the login (see login/mode.ts). */
  readonly login: LoginInputs;
  /** What the post step pushes, and how (see push/inputs.ts). */
  readonly push: PushInputs;
}

/** Reads one input's raw value ('' when not given); `core.getInput` in the action. */
export type InputReader = (name: string) => string;

const TRUE = ['true', 'True', 'TRUE', 'yes', 'on', '1'];
const FALSE = ['false', 'False', 'FALSE', 'no', 'off', '0'];

export function parseBoolean(name: string, raw: string, fallback: boolean): boolean {
  const value = raw.trim();
  if (value === '') return fallback;
  if (TRUE.includes(value)) return true;
  if (FALSE.includes(value)) return false;
  throw new ActionError(`Input '${name}' must be 'true' or 'false', not '${value}'.`);
}

function tristate(name: string, raw: string): Tristate {
  const value = raw.trim().toLowerCase();
  if (TRUE.map((v) => v.toLowerCase()).includes(value)) return 'true';
  if (FALSE.map((v) => v.toLowerCase()).includes(value)) return 'false';
  return parseChoice(name, value, ['auto', 'true', 'false'] as const, 'auto');
}

export function readInputs(read: InputReader): Inputs {
  const rawCache = read('cache').trim();
  const cache = rawCache === '' ? undefined : parseStoreUrl('cache', rawCache);
  const token = read('token');
  if (token !== '' && cache === undefined) {
    throw new ActionError(
      `Input 'token' needs input 'cache': the token becomes the netrc entry for the cache's host.`,
    );
  }
  if (token !== '' && cache?.host === undefined) {
    throw new ActionError(
      `Input 'token' only works with an http(s) cache; input 'cache' is ${cache?.scheme ?? ''}:// (S3 takes AWS credentials).`,
    );
  }
  return {
    login: readLoginInputs(read, cache, token === '' ? undefined : token),
    cache,
    extraSubstituters: parseStoreUrls('extra-substituters', read('extra-substituters')),
    publicKeys: parsePublicKeys('public-keys', read('public-keys')),
    token: token === '' ? undefined : parseToken('token', token),
    trustedUser: tristate('trusted-user', read('trusted-user')),
    acceptFlakeConfig: parseBoolean('accept-flake-config', read('accept-flake-config'), false),
    restoreConfig: tristate('restore-config', read('restore-config')),
    jobSummary: parseBoolean('job-summary', read('job-summary'), true),
    push: readPushInputs(read, parseBoolean),
  };
}

const AWS_OPTIONAL = [
  'aws-region',
  'aws-role-session-name',
  'aws-role-duration-seconds',
  'aws-inline-session-policy',
  'aws-sts-endpoint',
] as const;

/** An OIDC audience: printable, no whitespace (it goes into a URL query and a JWT claim). */
function parseAudience(value: string): string | undefined {
  const text = value.trim();
  if (text === '') return undefined;
  if (!/^[\x21-\x7e]{1,256}$/.test(text)) {
    throw new ActionError(
      `Input 'audience' must be 1–256 printable characters without spaces (e.g. https://cache.example.org).`,
    );
  }
  return text;
}

function readLoginInputs(
  read: InputReader,
  cache: StoreUrl | undefined,
  token: string | undefined,
): LoginInputs {
  const roleArn = read('aws-role-arn').trim();
  const exportCredentials = parseBoolean('aws-export-credentials', read('aws-export-credentials'), false);
  const given: string[] = AWS_OPTIONAL.filter((name) => read(name).trim() !== '');
  if (exportCredentials) given.push('aws-export-credentials');
  const aws =
    roleArn === ''
      ? undefined
      : {
          roleArn: parseRoleArn('aws-role-arn', roleArn),
          region: parseRegion('aws-region', read('aws-region')),
          // Empty: made from the repository and run when the login starts.
          sessionName: parseSessionName('aws-role-session-name', read('aws-role-session-name')) ?? '',
          durationSeconds: parseDuration('aws-role-duration-seconds', read('aws-role-duration-seconds')),
          policy: parsePolicy('aws-inline-session-policy', read('aws-inline-session-policy')),
          stsEndpoint: parseStsEndpoint('aws-sts-endpoint', read('aws-sts-endpoint')),
          exportCredentials,
        };
  return {
    cache,
    token,
    tokenEndpoint: parseStsEndpoint('token-endpoint', read('token-endpoint')),
    audience: parseAudience(read('audience')),
    aws,
    awsInputsGiven: given,
  };
}
