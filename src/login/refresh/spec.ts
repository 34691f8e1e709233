/**
 * What main hands the credential refresher, as JSON on its standard input (it holds the ID-token
 * request token: never on argv, never in the environment). Parsing never echoes a value.
 */
import type { Owner } from '../../config/files.js';
import type { Privilege } from '../../nix/environment.js';

export const SPEC_VERSION = 1;
/** The refresher ends after this long whatever else happens (GitHub's jobs are capped at 6 h, self-hosted at 5 days). */
export const DEFAULT_MAX_RUN_MS = 24 * 3_600_000;

/** A netrc file that holds the cache's entry: root-owned ones through the root helper. */
export interface NetrcTarget {
  readonly owner: Owner;
  readonly path: string;
  readonly mode: number;
}

export interface NetrcSpec {
  /** The cache's host (netrc matches on host only). */
  readonly machine: string;
  readonly login: string;
  readonly files: readonly NetrcTarget[];
}

/** The role to assume again, as main assumed it (the session name resolved). */
export interface AwsRoleSpec {
  readonly roleArn: string;
  readonly region: string;
  readonly sessionName: string;
  readonly durationSeconds?: number;
  /** An inline session policy (JSON text). */
  readonly policy?: string;
  readonly stsEndpoint?: string;
}

/** A pair of AWS shared files holding our profile: root's through the root helper. */
export interface AwsTarget {
  readonly owner: Owner;
  readonly credentials: string;
  readonly config: string;
  readonly mode: number;
}

/** What to renew and where it goes. */
export type RenewalSpec =
  | { readonly kind: 'github-jwt'; readonly audience: string; readonly netrc: NetrcSpec }
  | {
      readonly kind: 'token-exchange';
      readonly audience: string;
      readonly endpoint: string;
      readonly netrc: NetrcSpec;
    }
  | {
      readonly kind: 'aws';
      readonly audience: string;
      readonly role: AwsRoleSpec;
      readonly files: readonly AwsTarget[];
    };

export interface RefresherSpec {
  readonly version: typeof SPEC_VERSION;
  readonly renewal: RenewalSpec;
  /** ACTIONS_ID_TOKEN_REQUEST_URL / _TOKEN of the job (valid while it runs). */
  readonly idTokenRequest: { readonly url: string; readonly token: string };
  /** When main obtained the credential it wrote, and when that one expires (epoch ms). */
  readonly issuedAt: number;
  readonly expiresAt: number;
  /** The refresher's log (0600, in RUNNER_TEMP): renewals and expiries, never a token. */
  readonly logFile: string;
  /** The job is over when this path is gone (the runner empties RUNNER_TEMP): the refresher exits. */
  readonly lifeline: string;
  /** Who writes root-owned files: in-process as root, through sudo and the root helper, or nobody. */
  readonly privilege: Privilege;
  readonly maxRunMs: number;
  /** A pipe on which the refresher says `ready` once it runs (set by startRefresher). */
  readonly readyFd?: number;
}

type Json = Record<string, unknown>;

const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function str(o: Json, key: string, where: string): string {
  const v = o[key];
  if (typeof v !== 'string' || v === '') throw new Error(`${where}.${key} must be a non-empty string`);
  return v;
}

function num(o: Json, key: string, where: string): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${where}.${key} must be a number`);
  return v;
}

function obj(o: Json, key: string, where: string): Json {
  const v = o[key];
  if (!isRecord(v)) throw new Error(`${where}.${key} must be an object`);
  return v;
}

function bool(o: Json, key: string, where: string): boolean {
  const v = o[key];
  if (typeof v !== 'boolean') throw new Error(`${where}.${key} must be true or false`);
  return v;
}

function absolute(o: Json, key: string, where: string): string {
  const path = str(o, key, where);
  if (!path.startsWith('/')) throw new Error(`${where}.${key} must be absolute`);
  return path;
}

function owner(o: Json, where: string): Owner {
  const v = o['owner'];
  if (v !== 'root' && v !== 'user') throw new Error(`${where}.owner must be "root" or "user"`);
  return v;
}

function fileMode(o: Json, where: string): number {
  const mode = num(o, 'mode', where);
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o777)
    throw new Error(`${where}.mode must be a file mode`);
  return mode;
}

function netrcTarget(v: unknown, i: number): NetrcTarget {
  const where = `renewal.netrc.files[${i}]`;
  if (!isRecord(v)) throw new Error(`${where} must be an object`);
  return { owner: owner(v, where), path: absolute(v, 'path', where), mode: fileMode(v, where) };
}

function netrcSpec(o: Json): NetrcSpec {
  const netrc = obj(o, 'netrc', 'renewal');
  const files = netrc['files'];
  if (!Array.isArray(files) || files.length === 0)
    throw new Error('renewal.netrc.files must list netrc files');
  return {
    machine: str(netrc, 'machine', 'renewal.netrc'),
    login: str(netrc, 'login', 'renewal.netrc'),
    files: files.map(netrcTarget),
  };
}

function awsTarget(v: unknown, i: number): AwsTarget {
  const where = `renewal.files[${i}]`;
  if (!isRecord(v)) throw new Error(`${where} must be an object`);
  return {
    owner: owner(v, where),
    credentials: absolute(v, 'credentials', where),
    config: absolute(v, 'config', where),
    mode: fileMode(v, where),
  };
}

/** An optional field: absent (or null) is undefined, anything else must pass `read`. */
function optional<T>(o: Json, key: string, read: (o: Json, key: string) => T): T | undefined {
  return o[key] === undefined || o[key] === null ? undefined : read(o, key);
}

function awsRole(renewal: Json): AwsRoleSpec {
  const where = 'renewal.role';
  const role = obj(renewal, 'role', 'renewal');
  const roleArn = str(role, 'roleArn', where);
  if (!roleArn.startsWith('arn:')) throw new Error(`${where}.roleArn must be an ARN`);
  const durationSeconds = optional(role, 'durationSeconds', (r, k) => {
    const n = num(r, k, where);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`${where}.${k} must be a whole number of seconds`);
    return n;
  });
  const policy = optional(role, 'policy', (r, k) => str(r, k, where));
  const stsEndpoint = optional(role, 'stsEndpoint', (r, k) => {
    const url = str(r, k, where);
    if (!/^https?:\/\/[^/\s]/u.test(url)) throw new Error(`${where}.${k} must be an http(s) URL`);
    return url;
  });
  const region = str(role, 'region', where);
  if (!/^[a-z0-9-]{1,40}$/u.test(region)) throw new Error(`${where}.region must be an AWS region name`);
  return {
    roleArn,
    region,
    sessionName: str(role, 'sessionName', where),
    ...(durationSeconds === undefined ? {} : { durationSeconds }),
    ...(policy === undefined ? {} : { policy }),
    ...(stsEndpoint === undefined ? {} : { stsEndpoint }),
  };
}

function awsTargets(renewal: Json): AwsTarget[] {
  const files = renewal['files'];
  if (!Array.isArray(files) || files.length === 0)
    throw new Error('renewal.files must list AWS credentials and config files');
  return files.map(awsTarget);
}

function renewalSpec(o: Json): RenewalSpec {
  const renewal = obj(o, 'renewal', 'spec');
  const audience = str(renewal, 'audience', 'renewal');
  switch (renewal['kind']) {
    case 'github-jwt':
      return { kind: 'github-jwt', audience, netrc: netrcSpec(renewal) };
    case 'token-exchange':
      return {
        kind: 'token-exchange',
        audience,
        endpoint: str(renewal, 'endpoint', 'renewal'),
        netrc: netrcSpec(renewal),
      };
    case 'aws':
      return { kind: 'aws', audience, role: awsRole(renewal), files: awsTargets(renewal) };
    default:
      throw new Error('renewal.kind must be "github-jwt", "token-exchange" or "aws"');
  }
}

/** The spec from its JSON text; throws naming the field at fault (never its value). */
export function parseSpec(text: string): RefresherSpec {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new Error('the refresher spec is not JSON');
  }
  if (!isRecord(raw)) throw new Error('the refresher spec must be a JSON object');
  if (raw['version'] !== SPEC_VERSION) throw new Error(`spec.version must be ${SPEC_VERSION}`);
  const request = obj(raw, 'idTokenRequest', 'spec');
  const privilege = obj(raw, 'privilege', 'spec');
  const maxRunMs = raw['maxRunMs'] === undefined ? DEFAULT_MAX_RUN_MS : num(raw, 'maxRunMs', 'spec');
  const readyFd = raw['readyFd'] === undefined ? undefined : num(raw, 'readyFd', 'spec');
  if (readyFd !== undefined && (!Number.isInteger(readyFd) || readyFd < 3)) {
    throw new Error('spec.readyFd must be a file descriptor above 2');
  }
  return {
    version: SPEC_VERSION,
    renewal: renewalSpec(raw),
    idTokenRequest: {
      url: str(request, 'url', 'idTokenRequest'),
      token: str(request, 'token', 'idTokenRequest'),
    },
    issuedAt: num(raw, 'issuedAt', 'spec'),
    expiresAt: num(raw, 'expiresAt', 'spec'),
    logFile: str(raw, 'logFile', 'spec'),
    lifeline: str(raw, 'lifeline', 'spec'),
    privilege: {
      user: str(privilege, 'user', 'privilege'),
      root: bool(privilege, 'root', 'privilege'),
      passwordlessSudo: bool(privilege, 'passwordlessSudo', 'privilege'),
      canWriteRootFiles: bool(privilege, 'canWriteRootFiles', 'privilege'),
    },
    maxRunMs,
    ...(readyFd === undefined ? {} : { readyFd }),
  };
}
