/**
 * The refresher's AWS case: the spec main hands it (built from the login, read back field by field), the
 * renewal (a fresh token, the role assumed again, our profile rewritten in every file, other profiles
 * kept), and how its failures steer the loop (transient: retried; permanent: given up at once).
 */
import { describe, expect, it } from '@jest/globals';
import type { OwnedFiles, Owner } from '../../../src/config/files.js';
import { AWS_PROFILE_NAME, withProfile, withProfileConfig } from '../../../src/login/aws/files.js';
import type { AssumeRole } from '../../../src/login/refresh/aws.js';
import { runRefresher } from '../../../src/login/refresh/loop.js';
import { applyWrites, describeTargets, renewalFor } from '../../../src/login/refresh/renewal.js';
import { type RenewalSpec, parseSpec } from '../../../src/login/refresh/spec.js';
import { CredentialError } from '../../../src/login/oidc.js';
import type { RetryTiming } from '../../../src/login/retry.js';
import type { AwsLoginOptions, AwsSession, MintIdToken } from '../../../src/login/types.js';
import type { LoggedIn } from '../../../src/steps/login.js';
import { renewalSpec } from '../../../src/steps/renewal.js';
import { ActionError } from '../../../src/util/errors.js';

const S = 1000;
const T0 = 1_700_000_000_000;
const ROLE = 'arn:aws:iam::123456789012:role/nix-cache';
const USER_CREDENTIALS = '/home/runner/work/_temp/nix-cache-action/aws/credentials';
const USER_CONFIG = '/home/runner/work/_temp/nix-cache-action/aws/config';

const AWS_RENEWAL = {
  kind: 'aws',
  audience: 'sts.amazonaws.com',
  role: {
    roleArn: ROLE,
    region: 'eu-west-1',
    sessionName: 'gh-octo-org-octo-repo-4242-1',
    durationSeconds: 7200,
    policy: '{"Version":"2012-10-17","Statement":[]}',
    stsEndpoint: 'http://127.0.0.1:4566',
  },
  files: [
    { owner: 'user', credentials: USER_CREDENTIALS, config: USER_CONFIG, mode: 0o600 },
    { owner: 'root', credentials: '/root/.aws/credentials', config: '/root/.aws/config', mode: 0o600 },
  ],
} as const;

const spec = (renewal: unknown): string =>
  JSON.stringify({
    version: 1,
    renewal,
    idTokenRequest: { url: 'https://example/_apis/idtoken?api-version=2.0', token: 'request-token-value' },
    issuedAt: T0,
    expiresAt: T0 + 3600 * S,
    logFile: '/tmp/r.log',
    lifeline: '/tmp/r.log',
    privilege: { user: 'runner', root: false, passwordlessSudo: true, canWriteRootFiles: true },
  });

/** The message parseSpec throws for this renewal (or 'parsed'). */
function refusal(renewal: unknown): string {
  try {
    parseSpec(spec(renewal));
    return 'parsed';
  } catch (error) {
    return (error as Error).message;
  }
}

const clone = (): Record<string, unknown> & { role: Record<string, unknown>; files: unknown[] } =>
  JSON.parse(JSON.stringify(AWS_RENEWAL)) as Record<string, unknown> & {
    role: Record<string, unknown>;
    files: unknown[];
  };

describe('parseSpec: the aws renewal', () => {
  it('reads the role and the files back exactly, optional fields included', () => {
    expect(parseSpec(spec(AWS_RENEWAL)).renewal).toEqual(AWS_RENEWAL);
  });

  it('leaves optional role fields out when they are absent', () => {
    const minimal = clone();
    for (const key of ['durationSeconds', 'policy', 'stsEndpoint']) Reflect.deleteProperty(minimal.role, key);
    const read = parseSpec(spec(minimal)).renewal as Extract<RenewalSpec, { kind: 'aws' }>;
    expect(read.role).toEqual({
      roleArn: ROLE,
      region: 'eu-west-1',
      sessionName: 'gh-octo-org-octo-repo-4242-1',
    });
    expect(Object.keys(read.role)).toEqual(['roleArn', 'region', 'sessionName']);
  });

  it('names the field at fault, never its value', () => {
    const SECRETISH = 'value-that-must-not-be-echoed';
    const cases: [string, (r: ReturnType<typeof clone>) => void, string][] = [
      ['no role', (r) => Reflect.deleteProperty(r, 'role'), 'renewal.role must be an object'],
      [
        'no audience',
        (r) => Reflect.deleteProperty(r, 'audience'),
        'renewal.audience must be a non-empty string',
      ],
      ['role ARN', (r) => (r.role.roleArn = SECRETISH), 'renewal.role.roleArn must be an ARN'],
      ['empty region', (r) => (r.role.region = ''), 'renewal.role.region must be a non-empty string'],
      [
        'region',
        (r) => (r.role.region = SECRETISH.toUpperCase()),
        'renewal.role.region must be an AWS region',
      ],
      [
        'session name',
        (r) => (r.role.sessionName = 7),
        'renewal.role.sessionName must be a non-empty string',
      ],
      ['duration', (r) => (r.role.durationSeconds = '3600'), 'renewal.role.durationSeconds must be a number'],
      ['fraction', (r) => (r.role.durationSeconds = 900.5), 'renewal.role.durationSeconds must be a whole'],
      ['policy', (r) => (r.role.policy = ''), 'renewal.role.policy must be a non-empty string'],
      [
        'endpoint',
        (r) => (r.role.stsEndpoint = SECRETISH),
        'renewal.role.stsEndpoint must be an http(s) URL',
      ],
      ['no files', (r) => (r.files = []), 'renewal.files must list AWS credentials and config files'],
      ['file', (r) => (r.files[1] = SECRETISH), 'renewal.files[1] must be an object'],
      [
        'owner',
        (r) => ((r.files[0] as Record<string, unknown>).owner = SECRETISH),
        'renewal.files[0].owner must be "root" or "user"',
      ],
      [
        'relative credentials',
        (r) => ((r.files[1] as Record<string, unknown>).credentials = SECRETISH),
        'renewal.files[1].credentials must be absolute',
      ],
      [
        'no config',
        (r) => Reflect.deleteProperty(r.files[0] as object, 'config'),
        'renewal.files[0].config must be a non-empty string',
      ],
      ['mode', (r) => ((r.files[0] as Record<string, unknown>).mode = 0o1777), 'renewal.files[0].mode'],
    ];
    for (const [what, edit, message] of cases) {
      const bad = clone();
      edit(bad);
      const said = refusal(bad);
      expect({ what, said: said.startsWith(message) }).toEqual({ what, said: true });
      expect(said).not.toContain(SECRETISH);
      expect(said).not.toContain('request-token-value');
    }
    expect(refusal({ ...clone(), kind: 'aws-sso' })).toBe(
      'renewal.kind must be "github-jwt", "token-exchange" or "aws"',
    );
  });
});

/** OwnedFiles in memory, recording writes by owner. */
function memoryFiles(
  initial: Record<string, string>,
): OwnedFiles & { written: { owner: Owner; path: string; mode: number }[]; data: Map<string, string> } {
  const data = new Map(Object.entries(initial));
  const written: { owner: Owner; path: string; mode: number }[] = [];
  return {
    data,
    written,
    read: (_owner, path) => Promise.resolve(data.get(path)),
    stat: () => Promise.resolve(undefined),
    write: (owner, path, content, mode) => {
      written.push({ owner, path, mode });
      data.set(path, content.toString());
      return Promise.resolve();
    },
    remove: (_owner, path) => {
      data.delete(path);
      return Promise.resolve();
    },
  };
}

const session = (n: number, expiresAt = T0 + 3600 * S): AwsSession => ({
  accessKeyId: `ASIAEXAMPLE0000000${n}`,
  secretAccessKey: `secret/${n}/key`,
  sessionToken: `token+${n}+session`,
  expiresAt,
  arn: `arn:aws:sts::123456789012:assumed-role/nix-cache/gh-octo-org-octo-repo-4242-1`,
  account: '123456789012',
});

interface Call {
  options: AwsLoginOptions & { audience: string };
  token: string;
}

/** An assumeRole that mints like the real one, then answers with `answer(n)` (n from 1). */
function fakeAssume(answer: (n: number, onRetry: (reason: string) => void) => AwsSession): {
  assume: AssumeRole;
  calls: Call[];
} {
  const calls: Call[] = [];
  const assume: AssumeRole = async (mint, options, deps) => {
    const token = await mint(options.audience);
    calls.push({ options, token });
    expect(deps?.policy?.maxAttempts).toBe(2);
    return answer(calls.length, (reason) => deps?.onRetry?.(1, 0, reason));
  };
  return { assume, calls };
}

const counterMint = (): MintIdToken & { minted: string[] } => {
  const minted: string[] = [];
  const mint = (audience: string): Promise<string> => {
    minted.push(`jwt-${minted.length + 1}-for-${audience}`);
    return Promise.resolve(minted[minted.length - 1]!);
  };
  return Object.assign(mint, { minted });
};

const ROOT_CREDENTIALS_BEFORE =
  '[default]\naws_access_key_id = AKIADEFAULTEXAMPLE00\naws_secret_access_key = default/secret\n\n' +
  '# another project\n[other]\naws_access_key_id = AKIAOTHEREXAMPLE000\naws_secret_access_key = other\n';
const ROOT_CONFIG_BEFORE = '[default]\nregion = us-west-2\n\n[profile other]\nregion = ap-south-1\n';

describe('renewalFor: aws', () => {
  const parsed = (): RenewalSpec => parseSpec(spec(AWS_RENEWAL)).renewal;

  it('assumes the role again with a fresh token and the options main used', async () => {
    const mint = counterMint();
    const { assume, calls } = fakeAssume(() => session(1));
    const renewal = renewalFor(parsed(), { mint, aws: { assumeRole: assume } });
    expect(renewal.what).toBe(`AWS session of role ${ROLE}`);
    await renewal.renew();
    await renewal.renew();
    expect(calls.map((c) => c.token)).toEqual(['jwt-1-for-sts.amazonaws.com', 'jwt-2-for-sts.amazonaws.com']);
    expect(calls[0]!.options).toEqual({
      ...AWS_RENEWAL.role,
      exportCredentials: false,
      audience: 'sts.amazonaws.com',
    });
  });

  it('rewrites our profile in every file, each by its owner, other profiles byte for byte; expiry from STS', async () => {
    const first = session(1);
    const files = memoryFiles({
      // main's session in root's files, next to the user's own profiles
      '/root/.aws/credentials': withProfile(ROOT_CREDENTIALS_BEFORE, AWS_PROFILE_NAME, first),
      '/root/.aws/config': withProfileConfig(ROOT_CONFIG_BEFORE, AWS_PROFILE_NAME, 'eu-west-1'),
      [USER_CREDENTIALS]: withProfile(undefined, AWS_PROFILE_NAME, first),
      // the user's config lost our profile during the job: it is put back
    });
    const rootConfig = files.data.get('/root/.aws/config');
    const { assume } = fakeAssume(() => session(2, T0 + 900 * S));
    const renewed = await renewalFor(parsed(), { mint: counterMint(), aws: { assumeRole: assume } }).renew();
    expect(renewed.expiresAt).toBe(T0 + 900 * S);
    await applyWrites(files, renewed.writes);

    expect(files.written).toEqual([
      { owner: 'user', path: USER_CREDENTIALS, mode: 0o600 },
      { owner: 'user', path: USER_CONFIG, mode: 0o600 },
      { owner: 'root', path: '/root/.aws/credentials', mode: 0o600 },
      { owner: 'root', path: '/root/.aws/config', mode: 0o600 },
    ]);
    const second = session(2);
    expect(files.data.get('/root/.aws/credentials')).toBe(
      withProfile(ROOT_CREDENTIALS_BEFORE, AWS_PROFILE_NAME, second),
    );
    expect(files.data.get('/root/.aws/credentials')).toContain(ROOT_CREDENTIALS_BEFORE);
    expect(files.data.get('/root/.aws/credentials')).not.toContain(first.sessionToken);
    expect(files.data.get('/root/.aws/config')).toBe(rootConfig);
    expect(files.data.get(USER_CREDENTIALS)).toBe(
      [
        `[${AWS_PROFILE_NAME}]`,
        `aws_access_key_id = ${second.accessKeyId}`,
        `aws_secret_access_key = ${second.secretAccessKey}`,
        `aws_session_token = ${second.sessionToken}`,
        '',
      ].join('\n'),
    );
    expect(files.data.get(USER_CONFIG)).toBe(`[profile ${AWS_PROFILE_NAME}]\nregion = eu-west-1\n`);
  });

  it('says which files it rewrites, never what is in them', () => {
    expect(describeTargets(parsed())).toBe('2 pair(s) of AWS credentials and config files');
  });
});

describe('aws renewal failures, as the loop sees them', () => {
  const parsed = (): RenewalSpec => parseSpec(spec(AWS_RENEWAL)).renewal;
  const failing = (fail: (onRetry: (reason: string) => void) => never): AssumeRole =>
    fakeAssume((_n, onRetry) => fail(onRetry)).assume;

  it('a failure worth another try is a transient CredentialError, with the safe reason', async () => {
    const assume = failing((onRetry) => {
      onRetry('AssumeRoleWithWebIdentity: Throttling: Rate exceeded (HTTP 400)');
      throw new Error('withRetry would have waited and tried again');
    });
    const error = await renewalFor(parsed(), { mint: counterMint(), aws: { assumeRole: assume } })
      .renew()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CredentialError);
    expect(error).toMatchObject({
      transient: true,
      message: `AssumeRoleWithWebIdentity: Throttling: Rate exceeded (HTTP 400) (role ${ROLE})`,
    });
  });

  it('a permanent refusal (an ActionError) is a permanent CredentialError, message kept', async () => {
    const denied = `AWS STS denied this job the role ${ROLE} (AccessDenied: Not authorized)`;
    const assume = failing(() => {
      throw new ActionError(denied);
    });
    const error = await renewalFor(parsed(), { mint: counterMint(), aws: { assumeRole: assume } })
      .renew()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CredentialError);
    expect(error).toMatchObject({ transient: false, message: denied });
  });

  it("a token that could not be minted keeps the minter's verdict; the unexpected is left to retry", async () => {
    const mintDown = new CredentialError('Could not mint a GitHub OIDC token: HTTP 503', true);
    const unexpected = new TypeError('boom');
    for (const thrown of [mintDown, unexpected]) {
      const assume = failing(() => {
        throw thrown;
      });
      const error = await renewalFor(parsed(), { mint: counterMint(), aws: { assumeRole: assume } })
        .renew()
        .catch((e: unknown) => e);
      expect(error).toBe(thrown);
    }
  });

  /** A clock that moves only when slept. */
  const clock = (): RetryTiming => {
    let now = T0;
    return {
      now: () => now,
      sleep: (ms) => {
        now += Math.max(0, ms);
        return Promise.resolve();
      },
      random: () => 0.5,
    };
  };

  const loop = async (assume: AssumeRole, stopAfter: number) => {
    const timing = clock();
    const lines: string[] = [];
    let written = 0;
    const result = await runRefresher(
      { obtainedAt: T0, expiresAt: T0 + 900 * S },
      {
        renewal: renewalFor(parsed(), { mint: counterMint(), aws: { assumeRole: assume } }),
        apply: () => {
          written += 1;
          return Promise.resolve();
        },
        timing,
        log: (line) => lines.push(line),
        alive: () => true,
        stopping: () => written >= stopAfter,
        deadline: T0 + 24 * 3600 * S,
      },
    );
    return { result, lines };
  };

  it('in the loop: throttling is retried, a denial ends the refresher at once', async () => {
    const throttled = fakeAssume((n, onRetry) => {
      if (n === 1) {
        onRetry('AssumeRoleWithWebIdentity: Throttling: Rate exceeded (HTTP 400)');
        throw new Error('unreachable');
      }
      return session(n, T0 + 2000 * S);
    });
    const retried = await loop(throttled.assume, 1);
    expect(retried.result).toEqual({ end: 'stopped', renewals: 1 });
    expect(throttled.calls).toHaveLength(2);
    expect(retried.lines[0]).toMatch(/^renewal attempt 1 failed: .*Throttling/);

    const denied = fakeAssume(() => {
      throw new ActionError('AWS STS denied this job the role');
    });
    const gaveUp = await loop(denied.assume, 1);
    expect(gaveUp.result).toEqual({ end: 'gave-up', renewals: 0 });
    expect(denied.calls).toHaveLength(1);
    expect(gaveUp.lines.at(-1)).toMatch(/^giving up: AWS STS denied this job the role;/);
  });
});

describe('renewalSpec from the AWS login', () => {
  const loggedIn = (over: Partial<AwsLoginOptions>, root: boolean): LoggedIn => ({
    decision: {
      mode: {
        kind: 'aws',
        audience: 'sts.amazonaws.com',
        aws: {
          roleArn: ROLE,
          region: 'eu-west-1',
          sessionName: 'gh-octo-org-octo-repo-4242-1', // settled by main's login stage
          durationSeconds: undefined,
          policy: undefined,
          stsEndpoint: undefined,
          exportCredentials: true,
          ...over,
        },
      },
    },
    cache: undefined,
    password: undefined,
    expiresAt: T0 + 3600 * S,
    aws: {
      session: session(1),
      root: root ? { credentials: '/root/.aws/credentials', config: '/root/.aws/config' } : undefined,
      user: { credentials: USER_CREDENTIALS, config: USER_CONFIG },
    },
    credentials: [],
    rows: [],
  });

  it("names the role as main assumed it, and the user's and root's files; reads back through parseSpec", () => {
    const built = renewalSpec(
      loggedIn(
        { durationSeconds: 7200, policy: AWS_RENEWAL.role.policy, stsEndpoint: 'http://127.0.0.1:4566' },
        true,
      ),
      undefined,
    );
    expect(built).toEqual(AWS_RENEWAL);
    expect(parseSpec(spec(built)).renewal).toEqual(AWS_RENEWAL);
    // no session, no export flag: the refresher gets nothing it does not need
    expect(JSON.stringify(built)).not.toMatch(/secret|token\+|exportCredentials/);
  });

  it("keeps a given session name, and leaves root's files out when main could not write them", () => {
    const built = renewalSpec(loggedIn({ sessionName: 'deploy' }, false), undefined);
    expect(built).toEqual({
      kind: 'aws',
      audience: 'sts.amazonaws.com',
      role: { roleArn: ROLE, region: 'eu-west-1', sessionName: 'deploy' },
      files: [AWS_RENEWAL.files[0]],
    });
  });

  it('asks for nothing when the AWS login wrote no session (a fork, pull only)', () => {
    expect(renewalSpec({ ...loggedIn({}, true), aws: undefined }, undefined)).toBeUndefined();
  });
});
