/**
 * The AWS login for real: GitHub OIDC tokens from the loopback token service, traded at a loopback STS
 * that speaks the AWS Query protocol with @aws-sdk/client-sts (trust policies, JWKS, SigV4). Then the
 * session in the AWS shared files, read back by the AWS SDK's own credential chain in separate node 24
 * processes as root and as the untrusted `runner`, and `nix copy` proven at the process boundary.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { chmod, chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AWS_PROFILE_NAME, withProfile, withProfileConfig } from '../../src/login/aws/files.js';
import { s3CopyEnv, storeUrlWithProfile } from '../../src/login/aws/nix-s3.js';
import { nixCopyArgs } from '../../src/push/nix-copy.js';
import { assumeRoleWithWebIdentity, type AssumeRoleDeps } from '../../src/login/aws/sts.js';
import type { RetryTiming } from '../../src/login/retry.js';
import type { AwsLoginOptions, AwsSession, MintIdToken } from '../../src/login/types.js';
import { ActionError } from '../../src/util/errors.js';
import { startOidcServer, type OidcServer } from '../servers/oidc.js';
import { startStsServer, type StsServer } from '../servers/sts.js';
import { describeE2E } from '../testbed/e2e.js';
import { LOGIN_PATH, RUNNER, runAs, userInfo } from '../testbed/run-as.js';

const ROOT_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const NODE24 = path.join(ROOT_DIR, 'node_modules/node/bin/node');
const ROLE = 'arn:aws:iam::123456789012:role/nix-cache';
const PROD = 'arn:aws:iam::123456789012:role/path/deploy-prod';
const AUDIENCE = 'sts.amazonaws.com';

let oidc: OidcServer;
let sts: StsServer;
const temps: string[] = [];

/** Mints like @actions/core's getIDToken: GET the request URL with `&audience=`, the bearer request token. */
function githubMinter(server: OidcServer): { mint: MintIdToken; tokens: string[] } {
  const tokens: string[] = [];
  const mint: MintIdToken = async (audience) => {
    const res = await fetch(`${server.requestUrl}&audience=${encodeURIComponent(audience)}`, {
      headers: { authorization: `Bearer ${server.requestToken}`, accept: 'application/json' },
    });
    if (!res.ok) throw new Error(`the token request failed with HTTP ${res.status}`);
    const body = (await res.json()) as { value?: unknown };
    if (typeof body.value !== 'string') throw new Error('the token answer has no value');
    tokens.push(body.value);
    return body.value;
  };
  return { mint, tokens };
}

/** Retry timing that records the waits instead of waiting. */
function instant(): { timing: RetryTiming; sleeps: number[] } {
  const sleeps: number[] = [];
  const timing: RetryTiming = {
    now: () => Date.now(),
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
    random: () => 0.5,
  };
  return { timing, sleeps };
}

const options = (
  over: Partial<AwsLoginOptions & { audience: string }> = {},
): AwsLoginOptions & { audience: string } => ({
  roleArn: ROLE,
  region: 'eu-central-1',
  sessionName: 'gh-octo-org-octo-repo-42-1',
  durationSeconds: undefined,
  policy: undefined,
  stsEndpoint: sts.url,
  exportCredentials: false,
  audience: AUDIENCE,
  ...over,
});

/** The form of each STS call, in order. */
const calls = () => sts.http.requests.map((r) => new URLSearchParams(r.bodyText ?? ''));
const actions = () => calls().map((form) => form.get('Action'));

async function failure(p: Promise<unknown>): Promise<ActionError> {
  try {
    await p;
  } catch (error) {
    expect(error).toBeInstanceOf(ActionError);
    return error as ActionError;
  }
  throw new Error('expected the login to fail');
}

/** No token (or its payload) and no credential the STS server issued appears in `text`. */
function expectNoSecrets(text: string, tokens: readonly string[]): void {
  expect(text).not.toMatch(/eyJ[\w-]+\.[\w-]+/);
  for (const token of tokens) expect(text).not.toContain(token.split('.')[1]!);
  for (const s of sts.sessions) {
    expect(text).not.toContain(s.secretAccessKey);
    expect(text).not.toContain(s.sessionToken);
  }
}

async function tempDir(prefix: string, owner?: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  temps.push(dir);
  if (owner !== undefined) {
    const u = userInfo(owner);
    await chown(dir, u.uid, u.gid);
  }
  return dir;
}

/** A node 24 script that reads the session with the AWS SDK's own chains and proves it against STS. */
const CHECKER = `
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
const require = createRequire(${JSON.stringify(path.join(ROOT_DIR, 'package.json'))});
const { fromIni } = require('@aws-sdk/credential-provider-ini');
const { STSClient, GetCallerIdentityCommand } = require('@aws-sdk/client-sts');
const [profile, endpoint] = process.argv.slice(2);
const named = profile === '' ? {} : { profile };
const creds = await fromIni(named)();
const client = new STSClient({ ...named, endpoint, maxAttempts: 1 });
const me = await client.send(new GetCallerIdentityCommand({}));
const other = await fromIni({ profile: 'default' })();
console.log(JSON.stringify({
  uid: process.getuid(),
  accessKeyId: creds.accessKeyId,
  sessionToken: creds.sessionToken,
  secretSha256: createHash('sha256').update(creds.secretAccessKey).digest('hex'),
  region: await client.config.region(),
  arn: me.Arn,
  defaultKey: other.accessKeyId,
}));
`;

const CREDENTIALS_BEFORE =
  '[default]\naws_access_key_id = AKIADEFAULTEXAMPLE00\naws_secret_access_key = default/secret\n\n' +
  '# another project\n[other]\naws_access_key_id = AKIAOTHEREXAMPLE000\naws_secret_access_key = other\n';
const CONFIG_BEFORE = '[default]\nregion = us-west-2\n\n[profile other]\nregion = ap-south-1\n';

interface Checked {
  uid: number;
  accessKeyId: string;
  sessionToken: string;
  secretSha256: string;
  region: string;
  arn: string;
  defaultKey: string;
}

/** The login's session written into copies of existing files, owned by `owner`, mode 0600. */
async function writeFiles(
  session: AwsSession,
  owner: string,
): Promise<{ credentials: string; config: string }> {
  const dir = await tempDir('nca-aws-', owner);
  await chmod(dir, 0o700);
  const credentials = path.join(dir, 'credentials');
  const config = path.join(dir, 'config');
  await writeFile(credentials, withProfile(CREDENTIALS_BEFORE, AWS_PROFILE_NAME, session), { mode: 0o600 });
  await writeFile(config, withProfileConfig(CONFIG_BEFORE, AWS_PROFILE_NAME, 'eu-central-1'), {
    mode: 0o600,
  });
  const u = userInfo(owner);
  for (const file of [credentials, config]) await chown(file, u.uid, u.gid);
  return { credentials, config };
}

async function checkerScript(): Promise<string> {
  const dir = await tempDir('nca-checker-');
  await chmod(dir, 0o755);
  const file = path.join(dir, 'check.mjs');
  await writeFile(file, CHECKER, { mode: 0o644 });
  return file;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describeE2E('AWS login', () => {
  beforeAll(async () => {
    oidc = await startOidcServer();
  });
  afterAll(async () => {
    await oidc.close();
    for (const dir of temps) await rm(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    sts = await startStsServer({
      providers: [oidc.issuer],
      roles: [
        { arn: ROLE, subject: 'repo:octo-org/*', maxSessionDuration: 7200 },
        { arn: PROD, subject: 'repo:octo-org/octo-repo:environment:production' },
      ],
      idpTimeoutMs: 1000,
    });
  });
  afterEach(async () => {
    await sts.close();
  });

  describe('AssumeRoleWithWebIdentity with @aws-sdk/client-sts', () => {
    it('assumes the role with a fresh token and proves the session with GetCallerIdentity', async () => {
      const { mint, tokens } = githubMinter(oidc);
      const policy =
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}';
      const session = await assumeRoleWithWebIdentity(mint, options({ durationSeconds: 7200, policy }));

      expect(sts.sessions).toHaveLength(1);
      const issued = sts.sessions[0]!;
      expect(session).toEqual({
        accessKeyId: issued.accessKeyId,
        secretAccessKey: issued.secretAccessKey,
        sessionToken: issued.sessionToken,
        expiresAt: Math.floor(issued.expiration / 1000) * 1000,
        arn: 'arn:aws:sts::123456789012:assumed-role/nix-cache/gh-octo-org-octo-repo-42-1',
        account: '123456789012',
      });
      expect(session.expiresAt - Date.now()).toBeGreaterThan(7100_000);
      expect(actions()).toEqual(['AssumeRoleWithWebIdentity', 'GetCallerIdentity']);
      const [assume] = calls();
      expect(Object.fromEntries(assume!)).toMatchObject({
        RoleArn: ROLE,
        RoleSessionName: 'gh-octo-org-octo-repo-42-1',
        DurationSeconds: '7200',
        Policy: policy,
        WebIdentityToken: tokens[0],
      });
      expect(sts.http.requests[0]!.headers.authorization).toBeUndefined();
      // GetCallerIdentity was signed (SigV4, checked by the server) with the new session in our region
      const prove = sts.http.requests[1]!;
      expect(prove.identity).toBe(session.arn);
      expect(prove.headers.authorization).toMatch(
        new RegExp(`^AWS4-HMAC-SHA256 Credential=${issued.accessKeyId}/\\d{8}/eu-central-1/sts/aws4_request`),
      );
      expect(tokens).toHaveLength(1);
      expect(issued.claims.aud).toBe(AUDIENCE);
    });

    it('retries Throttling, minting a new token for every attempt', async () => {
      const { mint, tokens } = githubMinter(oidc);
      const { timing, sleeps } = instant();
      const reasons: string[] = [];
      sts.failNext('Throttling', 2);
      const session = await assumeRoleWithWebIdentity(mint, options(), {
        timing,
        onRetry: (_n, _ms, reason) => reasons.push(reason),
      });
      expect(session.accessKeyId).toBe(sts.sessions[0]!.accessKeyId);
      expect(actions()).toEqual([
        'AssumeRoleWithWebIdentity',
        'AssumeRoleWithWebIdentity',
        'AssumeRoleWithWebIdentity',
        'GetCallerIdentity',
      ]);
      expect(tokens).toHaveLength(3);
      expect(new Set(tokens).size).toBe(3);
      expect(
        calls()
          .slice(0, 3)
          .map((f) => f.get('WebIdentityToken')),
      ).toEqual(tokens);
      expect(sleeps).toHaveLength(2);
      expect(reasons).toEqual([
        'AssumeRoleWithWebIdentity: Throttling: Rate exceeded (HTTP 400)',
        'AssumeRoleWithWebIdentity: Throttling: Rate exceeded (HTTP 400)',
      ]);
    });

    it('retries IDPCommunicationError and AWS\'s "Couldn\'t retrieve verification key" (the JWKS failing once)', async () => {
      const { mint } = githubMinter(oidc);
      const { timing } = instant();
      const reasons: string[] = [];
      const deps: AssumeRoleDeps = { timing, onRetry: (_n, _ms, reason) => reasons.push(reason) };
      sts.failNext('IDPCommunicationError');
      await assumeRoleWithWebIdentity(mint, options(), deps);
      // a fresh STS has no keys cached: it fetches the JWKS, which fails once
      oidc.http.fault({ kind: 'status', status: 500, match: '/.well-known/jwks' });
      const fresh = await startStsServer({ providers: [oidc.issuer], roles: [{ arn: ROLE }] });
      try {
        const session = await assumeRoleWithWebIdentity(mint, options({ stsEndpoint: fresh.url }), deps);
        expect(session.accessKeyId).toBe(fresh.sessions[0]!.accessKeyId);
      } finally {
        await fresh.close();
      }
      expect(reasons).toEqual([
        expect.stringMatching(
          /^AssumeRoleWithWebIdentity: IDPCommunicationError: The request could not be fulfilled/,
        ),
        expect.stringMatching(
          /^AssumeRoleWithWebIdentity: InvalidIdentityToken: Couldn't retrieve verification key from your identity provider/,
        ),
      ]);
    });

    it("retries 5xx, 429 with the server's Retry-After, connection resets and a hung request", async () => {
      const { mint } = githubMinter(oidc);
      const { timing, sleeps } = instant();
      const reasons: string[] = [];
      sts.http.fault({ kind: 'retry-after', status: 503, seconds: 3 });
      sts.http.fault({ kind: 'retry-after', status: 429, seconds: 2 });
      sts.http.fault({ kind: 'reset' });
      sts.http.fault({ kind: 'hang' });
      sts.failNext('InternalFailure');
      const session = await assumeRoleWithWebIdentity(mint, options(), {
        timing,
        timeouts: { connectMs: 1000, requestMs: 500 },
        onRetry: (_n, _ms, reason) => reasons.push(reason),
      });
      expect(session.accessKeyId).toBe(sts.sessions[0]!.accessKeyId);
      expect(sleeps.slice(0, 2)).toEqual([3000, 2000]);
      expect(reasons).toEqual([
        'AssumeRoleWithWebIdentity: UnreadableResponse: the answer is not an STS answer (HTTP 503)',
        'AssumeRoleWithWebIdentity: UnreadableResponse: the answer is not an STS answer (HTTP 429)',
        'AssumeRoleWithWebIdentity: TimeoutError: socket hang up',
        expect.stringMatching(/^AssumeRoleWithWebIdentity: TimeoutError: .*500 ms/),
        'AssumeRoleWithWebIdentity: InternalFailure: An internal error occurred. Try again. (HTTP 500)',
      ]);
    });

    it('retries the whole exchange when GetCallerIdentity fails transiently', async () => {
      const { mint, tokens } = githubMinter(oidc);
      sts.failNext('ServiceUnavailable', 1, { action: 'GetCallerIdentity' });
      const session = await assumeRoleWithWebIdentity(mint, options(), { timing: instant().timing });
      expect(sts.sessions).toHaveLength(2);
      expect(session.accessKeyId).toBe(sts.sessions[1]!.accessKeyId);
      expect(tokens).toHaveLength(2);
    });

    it('fails at once on AccessDenied, with the claims and a condition that does match', async () => {
      const { mint, tokens } = githubMinter(oidc);
      oidc.overrideNext({ environment: 'staging', ref: 'refs/heads/release' });
      const t0 = Date.now();
      const error = await failure(assumeRoleWithWebIdentity(mint, options({ roleArn: PROD })));
      expect(Date.now() - t0).toBeLessThan(2000);
      expect(actions()).toEqual(['AssumeRoleWithWebIdentity']);
      const host = new URL(oidc.issuer).host;
      expect(error.message).toContain(
        `AWS STS denied this job the role ${PROD} (AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity (HTTP 403))`,
      );
      expect(error.message).toContain(
        [
          '  sub: repo:octo-org/octo-repo:environment:staging',
          `  aud: ${AUDIENCE}`,
          '  repository: octo-org/octo-repo',
          '  ref: refs/heads/release',
          '  environment: staging',
        ].join('\n'),
      );
      expect(error.message).toContain(
        `"Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/${host}"}`,
      );
      expectNoSecrets(error.message, tokens);

      // The suggested condition, given to the fake IAM as a role's trust policy, lets the same job in.
      const snippet = /"Condition": \{[\s\S]*?\n {2}\}/.exec(error.message)?.[0];
      expect(snippet).toBeDefined();
      const { Condition } = JSON.parse(`{${snippet!}}`) as {
        Condition: { StringEquals: Record<string, string>; StringLike: Record<string, string> };
      };
      expect(Condition).toEqual({
        StringEquals: { [`${host}:aud`]: AUDIENCE },
        StringLike: { [`${host}:sub`]: 'repo:octo-org/octo-repo:*' },
      });
      const suggested = 'arn:aws:iam::123456789012:role/suggested';
      sts.roles.push({
        arn: suggested,
        audience: Condition.StringEquals[`${host}:aud`]!,
        subject: Condition.StringLike[`${host}:sub`]!,
      });
      oidc.overrideNext({ environment: 'staging', ref: 'refs/heads/release' });
      await expect(assumeRoleWithWebIdentity(mint, options({ roleArn: suggested }))).resolves.toMatchObject({
        account: '123456789012',
      });
    });

    it('fails at once, with advice, on the other permanent errors', async () => {
      const { mint, tokens } = githubMinter(oidc);
      const stranger = await startOidcServer();
      const now = Math.floor(Date.now() / 1000);
      const cases: [string, MintIdToken, Partial<AwsLoginOptions>, RegExp][] = [
        [
          'an expired token',
          () => Promise.resolve(oidc.mint({ iat: now - 900, exp: now - 600 }, AUDIENCE)),
          {},
          /^The STS endpoint http:\/\/127\.0\.0\.1:\d+ did not let this job assume role arn:aws:iam::123456789012:role\/nix-cache \(ExpiredToken: Token expired: current date\/time \d+ must be before .* \(HTTP 400\)\)\. The action mints a fresh token right before each call: the runner's clock/,
        ],
        [
          'a token from an issuer AWS does not know',
          () => Promise.resolve(stranger.mint({}, AUDIENCE)),
          {},
          /\(InvalidIdentityToken: No OpenIDConnect provider found in your account for http:\/\/127\.0\.0\.1:\d+ \(HTTP 400\)\)\. Create an IAM OIDC identity provider/,
        ],
        [
          'a duration over the role maximum',
          mint,
          { durationSeconds: 43200 },
          /\(ValidationError: The requested DurationSeconds exceeds the MaxSessionDuration set for this role\. \(HTTP 400\)\)\. Lower the session duration/,
        ],
        [
          'a malformed policy',
          mint,
          { policy: '{"Version": oops' },
          /\(MalformedPolicyDocument: The policy is not in the valid JSON format\. \(HTTP 400\)\)\. Fix the session policy/,
        ],
      ];
      try {
        for (const [what, minter, over, message] of cases) {
          sts.http.clearLog();
          const t0 = Date.now();
          const error = await failure(assumeRoleWithWebIdentity(minter, options(over)));
          expect({ what, ms: Date.now() - t0 < 2000, calls: actions() }).toEqual({
            what,
            ms: true,
            calls: ['AssumeRoleWithWebIdentity'],
          });
          expect(error.message).toMatch(message);
          expectNoSecrets(error.message, [...tokens, ...oidc.issued.map((i) => i.token)]);
        }
        // an InvalidIdentityToken other than the verification key is never retried either
        sts.http.clearLog();
        sts.failNext('InvalidIdentityToken');
        const invalid = await failure(assumeRoleWithWebIdentity(mint, options()));
        expect(actions()).toEqual(['AssumeRoleWithWebIdentity']);
        expect(invalid.message).toMatch(/that the role trusts that provider\.$/);
      } finally {
        await stranger.close();
      }
      expect(sts.sessions).toHaveLength(0);
    });

    it('says what it saw when retries run out, and when the session fails GetCallerIdentity', async () => {
      const { mint, tokens } = githubMinter(oidc);
      sts.failNext('Throttling', 100);
      const policy = { baseMs: 1, maxDelayMs: 1, totalMs: 30_000, maxAttempts: 3 };
      const busy = await failure(assumeRoleWithWebIdentity(mint, options(), { policy }));
      expect(busy.message).toMatch(
        new RegExp(
          `^AssumeRoleWithWebIdentity for role ${ROLE} failed 3 time\\(s\\) over 0 s; the last failure: Throttling: Rate exceeded \\(HTTP 400\\)\\. AWS was busy or failing: re-run the job\\.$`,
        ),
      );
      sts.http.clearFaults();
      const down = await failure(
        assumeRoleWithWebIdentity(mint, options({ stsEndpoint: 'http://127.0.0.1:1' }), { policy }),
      );
      expect(down.message).toMatch(
        /failed 3 time\(s\) over 0 s; the last failure: ECONNREFUSED: .*\. Could not talk to the STS endpoint http:\/\/127\.0\.0\.1:1: check the region/,
      );

      const fresh = await startStsServer({ providers: [oidc.issuer], roles: [{ arn: ROLE }] });
      try {
        fresh.failNext('SignatureDoesNotMatch', 1, { action: 'GetCallerIdentity' });
        const t0 = Date.now();
        const error = await failure(assumeRoleWithWebIdentity(mint, options({ stsEndpoint: fresh.url })));
        expect(Date.now() - t0).toBeLessThan(2000);
        expect(error.message).toBe(
          `The STS endpoint ${fresh.url} issued a session for role ${ROLE}, but GetCallerIdentity with it failed (SignatureDoesNotMatch: The request signature we calculated does not match the signature you provided. (HTTP 403)). Check the runner's clock, and that the region matches the STS endpoint.`,
        );
        expect(fresh.sessions).toHaveLength(1);
        for (const s of fresh.sessions) {
          expect(error.message).not.toContain(s.secretAccessKey);
          expect(error.message).not.toContain(s.sessionToken);
        }
        expectNoSecrets(error.message, tokens);
      } finally {
        await fresh.close();
      }
    });

    it('reports a token that cannot be minted without retrying', async () => {
      let calls = 0;
      const error = await failure(
        assumeRoleWithWebIdentity(() => {
          calls += 1;
          return Promise.reject(new Error('Unable to get ACTIONS_ID_TOKEN_REQUEST_URL env variable'));
        }, options()),
      );
      expect(calls).toBe(1);
      expect(error.message).toBe(
        "Could not get a GitHub OIDC token for the audience 'sts.amazonaws.com': Unable to get ACTIONS_ID_TOKEN_REQUEST_URL env variable. The job needs 'permissions: id-token: write'.",
      );
      expect(sts.http.requests).toHaveLength(0);
    });
  });

  describe('the session in the shared files, read by the AWS SDK in another process', () => {
    it.each(['root', RUNNER])(
      'as %s, fromIni and the default chain find exactly the issued session',
      async (user) => {
        const session = await assumeRoleWithWebIdentity(githubMinter(oidc).mint, options());
        const files = await writeFiles(session, user);
        const checker = await checkerScript();
        const out = await runAs(user, [NODE24, checker, AWS_PROFILE_NAME, sts.url], {
          env: { AWS_SHARED_CREDENTIALS_FILE: files.credentials, AWS_CONFIG_FILE: files.config },
          timeoutMs: 60_000,
        });
        expect(out.stderr).toBe('');
        expect(out.code).toBe(0);
        const issued = sts.sessions[0]!;
        expect(sts.sessions).toHaveLength(1);
        expect(JSON.parse(out.stdout)).toEqual({
          uid: userInfo(user).uid,
          accessKeyId: issued.accessKeyId,
          sessionToken: issued.sessionToken,
          secretSha256: sha256(issued.secretAccessKey),
          region: 'eu-central-1',
          arn: issued.assumedRoleArn,
          defaultKey: 'AKIADEFAULTEXAMPLE00',
        });
        // the other process's GetCallerIdentity was signed with the session (SigV4 checked by the server)
        expect(sts.http.requests.at(-1)!.identity).toBe(issued.assumedRoleArn);
      },
    );

    it("the runner cannot read root's files (so the check above can fail)", async () => {
      const session = await assumeRoleWithWebIdentity(githubMinter(oidc).mint, options());
      const files = await writeFiles(session, 'root');
      const out = await runAs(RUNNER, [NODE24, await checkerScript(), AWS_PROFILE_NAME, sts.url], {
        env: { AWS_SHARED_CREDENTIALS_FILE: files.credentials, AWS_CONFIG_FILE: files.config },
        timeoutMs: 60_000,
      });
      expect(out.code).not.toBe(0);
      expect(out.stdout).toBe('');
    });

    it('nix copy gets the profile in the store URL and file paths in its environment, never a secret', async () => {
      const session = await assumeRoleWithWebIdentity(githubMinter(oidc).mint, options());
      const files = await writeFiles(session, RUNNER);
      const checker = await checkerScript();
      const bin = await tempDir('nca-bin-');
      await chmod(bin, 0o755);
      const out = await tempDir('nca-nix-out-', RUNNER);
      // A fake nix: records its argv and environment as received, then reads the session like Nix's
      // AWS chain would, with the environment it was given (AWS_PROFILE, no profile argument).
      await writeFile(
        path.join(bin, 'nix'),
        [
          '#!/bin/sh',
          `out=${out}`,
          'for a in "$@"; do printf "%s\\0" "$a"; done > "$out/argv"',
          'cat /proc/$$/environ > "$out/environ"',
          `exec ${NODE24} ${checker} '' ${sts.url} > "$out/sdk.json"`,
          '',
        ].join('\n'),
        { mode: 0o755 },
      );
      const paths = [
        '/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-hello-2.12',
        '/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-lib',
      ];
      // As the push runs it: the cache URL with our profile, and the environment of an s3:// cache.
      const inv = {
        args: nixCopyArgs(storeUrlWithProfile('s3://nix-cache?region=eu-central-1&compression=zstd'), paths),
        env: s3CopyEnv(files),
      };
      const run = await runAs(RUNNER, ['nix', ...inv.args], {
        env: { ...inv.env, PATH: `${bin}:${LOGIN_PATH}` },
        timeoutMs: 60_000,
      });
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);

      const argvBytes = await readFile(path.join(out, 'argv'), 'utf8');
      const environBytes = await readFile(path.join(out, 'environ'), 'utf8');
      const argv = argvBytes.split('\0').slice(0, -1);
      expect(argv).toEqual(inv.args);
      expect(argv[argv.indexOf('--to') + 1]).toBe(
        's3://nix-cache?region=eu-central-1&compression=zstd&profile=nix-cache-action',
      );
      expect(argv.slice(-paths.length)).toEqual(paths);
      const environ = environBytes.split('\0').slice(0, -1);
      expect(environ).toEqual(
        expect.arrayContaining([
          `AWS_SHARED_CREDENTIALS_FILE=${files.credentials}`,
          `AWS_CONFIG_FILE=${files.config}`,
          `AWS_PROFILE=${AWS_PROFILE_NAME}`,
        ]),
      );
      expect(environ.filter((e) => /^AWS_(ACCESS_KEY_ID|SECRET_ACCESS_KEY|SESSION_TOKEN)=/.test(e))).toEqual(
        [],
      );
      for (const text of [argvBytes, environBytes, JSON.stringify(inv)]) {
        expect(text).not.toContain(session.secretAccessKey);
        expect(text).not.toContain(session.sessionToken);
      }

      // and what that environment leads the AWS SDK to, as runner, is exactly the issued session
      const seen = JSON.parse(await readFile(path.join(out, 'sdk.json'), 'utf8')) as Checked;
      expect(seen).toMatchObject({
        uid: userInfo(RUNNER).uid,
        accessKeyId: sts.sessions[0]!.accessKeyId,
        sessionToken: sts.sessions[0]!.sessionToken,
        secretSha256: sha256(sts.sessions[0]!.secretAccessKey),
        region: 'eu-central-1',
      });
    });
  });
});
