/**
 * The AWS login through the built action, as GitHub runs it: the runner's GitHub token traded at a
 * loopback STS, the session in the job user's and root's AWS files (read back by the AWS SDK's own
 * chain in later steps, as runner and as root), kept fresh by the refresher for as long as the job runs,
 * and taken out again by post, other profiles kept byte for byte. Debian's Nix 2.8 has no S3 store: the
 * daemon is configured with the s3:// cache but never opens it, so the checks stop at the process
 * boundary (the files, nix.conf, the SDK's view of them).
 */
import { afterEach, beforeEach, expect, it } from '@jest/globals';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../harness/action.js';
import { type JobResult, type JobSpec, type RunStep, runJob } from '../harness/job.js';
import { type OidcServer, startOidcServer } from '../servers/oidc.js';
import { type StsServer, type StsSession, startStsServer } from '../servers/sts.js';
import { describeE2E } from '../testbed/e2e.js';
import { RUNNER, testbed, userInfo } from '../testbed/run-as.js';
import { type Snapshot, changedSince, filesContaining, snapshot } from './support/files.js';

const ROLE = 'arn:aws:iam::123456789012:role/nix-cache';
const PROFILE = 'nix-cache-action';
const CACHE = 's3://nix-cache?region=eu-west-1';
const NODE24 = join(PROJECT_ROOT, 'node_modules', 'node', 'bin', 'node');
const ROOT_AWS = '/root/.aws';
const ROOT_CREDENTIALS = `${ROOT_AWS}/credentials`;
const ROOT_CONFIG = `${ROOT_AWS}/config`;

/** Root's own profiles before the job: post must leave them exactly so. */
const CREDENTIALS_BEFORE =
  '[default]\naws_access_key_id = AKIADEFAULTEXAMPLE00\naws_secret_access_key = default/secret\n\n' +
  '# another project\n[other]\naws_access_key_id = AKIAOTHEREXAMPLE000\naws_secret_access_key = other\n';
const CONFIG_BEFORE = '[default]\nregion = us-west-2\n\n[profile other]\nregion = ap-south-1\n';

/**
 * Reads our profile with the AWS SDK's own chain (fromIni: the files the environment names, else
 * ~/.aws), optionally proves it with GetCallerIdentity at the STS given as argument, and writes what it
 * found to the step's outputs (never to the log).
 */
const CHECKER = `
import { appendFileSync } from 'node:fs';
import { createRequire } from 'node:module';
const require = createRequire(${JSON.stringify(join(PROJECT_ROOT, 'package.json'))});
const { fromIni } = require('@aws-sdk/credential-provider-ini');
const { STSClient, GetCallerIdentityCommand } = require('@aws-sdk/client-sts');
const [endpoint] = process.argv.slice(2);
const profile = ${JSON.stringify(PROFILE)};
const creds = await fromIni({ profile })();
const out = { uid: String(process.getuid()), key: creds.accessKeyId };
if (endpoint) {
  const client = new STSClient({ profile, endpoint, maxAttempts: 1 });
  out.region = await client.config.region();
  out.arn = (await client.send(new GetCallerIdentityCommand({}))).Arn;
}
appendFileSync(process.env.GITHUB_OUTPUT, Object.entries(out).map(([k, v]) => k + '=' + v + '\\n').join(''));
`;

const userFiles = (job: JobResult | string): { credentials: string; config: string } => {
  const root = typeof job === 'string' ? job : job.root;
  const dir = join(root, 'temp', 'nix-cache-action', 'aws');
  return { credentials: join(dir, 'credentials'), config: join(dir, 'config') };
};

const errors = (job: JobResult): string =>
  job.log.annotations
    .filter((a) => a.level === 'error')
    .map((a) => a.message)
    .join('\n');

describeE2E('login: an AWS session for an s3:// cache', () => {
  let oidc: OidcServer;
  let sts: StsServer;
  let checker: string;
  /** Root's AWS files as they were before the test (the shared test bed gets them back). */
  let rootAwsBefore: { existed: boolean; files: Snapshot };

  beforeEach(async () => {
    await testbed('up');
    rootAwsBefore = { existed: existsSync(ROOT_AWS), files: snapshot([ROOT_CREDENTIALS, ROOT_CONFIG]) };
    const dir = mkdtempSync(join(tmpdir(), 'nca-aws-checker-'));
    chmodSync(dir, 0o755);
    checker = join(dir, 'check.mjs');
    writeFileSync(checker, CHECKER, { mode: 0o644 });
    oidc = await startOidcServer();
  });
  afterEach(async () => {
    await sts.close();
    await oidc.close();
    rmSync(join(checker, '..'), { recursive: true, force: true });
    if (!rootAwsBefore.existed) rmSync(ROOT_AWS, { recursive: true, force: true });
    else {
      for (const [path, bytes] of rootAwsBefore.files) {
        if (bytes === null) rmSync(path, { force: true });
        else writeFileSync(path, bytes, { mode: 0o600 });
      }
    }
  });

  const startSts = async (opts: { subject?: string; sessionLifetimeSec?: number } = {}): Promise<void> => {
    sts = await startStsServer({
      providers: [oidc.issuer],
      roles: [{ arn: ROLE, subject: opts.subject ?? 'repo:octo-org/octo-repo:*' }],
      ...(opts.sessionLifetimeSec === undefined ? {} : { sessionLifetimeSec: opts.sessionLifetimeSec }),
    });
  };

  const seedRootFiles = (): void => {
    mkdirSync(ROOT_AWS, { recursive: true, mode: 0o700 });
    writeFileSync(ROOT_CREDENTIALS, CREDENTIALS_BEFORE, { mode: 0o600 });
    writeFileSync(ROOT_CONFIG, CONFIG_BEFORE, { mode: 0o600 });
  };

  const action = (more: Record<string, string> = {}): JobSpec['steps'][number] => ({
    uses: '.',
    id: 'nix',
    with: { cache: CACHE, 'aws-role-arn': ROLE, 'aws-sts-endpoint': sts.url, ...more },
  });

  /** The checker as runner (its files named by the environment, as for `nix copy`) and as root (~/.aws). */
  const checks = (prove: boolean): RunStep[] => {
    const arg = prove ? ` '${sts.url}'` : '';
    return [
      {
        id: 'user',
        run: `AWS_SHARED_CREDENTIALS_FILE="$RUNNER_TEMP/nix-cache-action/aws/credentials" AWS_CONFIG_FILE="$RUNNER_TEMP/nix-cache-action/aws/config" ${NODE24} ${checker}${arg}`,
      },
      { id: 'root', user: 'root', env: { HOME: '/root' }, run: `${NODE24} ${checker}${arg}` },
    ];
  };

  /** Every secret the job could have held: GitHub tokens, and each session STS issued. */
  const secrets = (): string[] => [
    ...oidc.issued.map((t) => t.token),
    ...sts.sessions.flatMap((s) => [s.secretAccessKey, s.sessionToken]),
  ];
  const secretDirs = (job: JobResult): string[] => [
    ROOT_AWS,
    '/etc/nix',
    '/root/.config',
    userInfo(RUNNER).home,
    job.root,
  ];
  const expectNoSecretLeft = (job: JobResult): void => {
    expect(secrets().length).toBeGreaterThan(0);
    for (const secret of secrets()) {
      expect(job.log.leaks(secret)).toEqual([]);
      expect(filesContaining(secret, secretDirs(job))).toEqual([]);
    }
  };
  const stsActions = (): (string | null)[] =>
    sts.http.requests.map((r) => new URLSearchParams(r.bodyText ?? '').get('Action'));

  it('logs in, writes the profile for runner and root, names it in nix.conf; post takes it out again', async () => {
    await startSts();
    seedRootFiles();
    const job = await runJob({
      runnerEnvironment: 'github-hosted',
      idToken: { requestUrl: oidc.requestUrl, requestToken: oidc.requestToken },
      steps: [
        action(),
        ...checks(true),
        {
          id: 'conf',
          user: 'root',
          env: { HOME: '/root', NIX_USER_CONF_FILES: '/nonexistent/nix.conf' },
          run: `nix --extra-experimental-features nix-command show-config | grep -E '^substituters ' | sed 's/ = /=/' >> "$GITHUB_OUTPUT"`,
        },
      ],
    });
    try {
      expect(job.results.map((r) => `${r.name}:${r.conclusion}`)).toEqual([
        'nix:success',
        'user:success',
        'root:success',
        'conf:success',
        'Post nix:success',
      ]);
      expect(sts.sessions).toHaveLength(1);
      const session = sts.sessions[0]!;
      expect(session.assumedRoleArn).toBe(
        'arn:aws:sts::123456789012:assumed-role/nix-cache/gh-octo-org-octo-repo-4242-1',
      );
      expect(job.log.shown('nix')).toContain(session.assumedRoleArn);
      // what the AWS SDK finds in the files, as each user, is the session STS issued
      for (const [id, uid] of [
        ['user', userInfo(RUNNER).uid],
        ['root', 0],
      ] as const) {
        expect({ id, ...job.steps[id]?.outputs }).toEqual({
          id,
          uid: String(uid),
          key: session.accessKeyId,
          region: 'eu-west-1',
          arn: session.assumedRoleArn,
        });
      }
      // the daemon's configuration (the global nix.conf, no user file) names the cache with our profile
      expect(job.steps.conf?.outputs.substituters?.split(' ')).toContain(`${CACHE}&profile=${PROFILE}`);
      // post: root's own profiles byte for byte, our profile gone; runner's files gone
      expect(readFileSync(ROOT_CREDENTIALS, 'utf8')).toBe(CREDENTIALS_BEFORE);
      expect(readFileSync(ROOT_CONFIG, 'utf8')).toBe(CONFIG_BEFORE);
      expect(existsSync(userFiles(job).credentials)).toBe(false);
      expect(existsSync(userFiles(job).config)).toBe(false);
      expectNoSecretLeft(job);
    } finally {
      job.cleanup();
    }
  });

  it('renews the session before it expires, for runner and root, for as long as the job runs', async () => {
    const lifetime = 5;
    await startSts({ sessionLifetimeSec: lifetime });
    const job = await runJob({
      runnerEnvironment: 'github-hosted',
      idToken: { requestUrl: oidc.requestUrl, requestToken: oidc.requestToken },
      steps: [
        action(),
        { run: `sleep ${3 * lifetime}` },
        { id: 'ps', run: 'ps -eo args > "$RUNNER_TEMP/ps.txt"' },
        ...checks(true),
      ],
    });
    try {
      expect(job.results.map((r) => `${r.name}:${r.conclusion}`)).toEqual([
        'nix:success',
        'run #2:success',
        'ps:success',
        'user:success',
        'root:success',
        'Post nix:success',
      ]);
      // main's session, then at least one per lifetime over three lifetimes
      expect(sts.sessions.length).toBeGreaterThanOrEqual(4);
      const first = sts.sessions[0]!;
      for (const id of ['user', 'root']) {
        const seen = job.steps[id]?.outputs ?? {};
        const held = sts.sessions.find((s: StsSession) => s.accessKeyId === seen.key);
        // a renewed session, proven by STS itself (GetCallerIdentity refuses an expired one)
        expect({ id, renewed: held !== undefined && held !== first, arn: seen.arn }).toEqual({
          id,
          renewed: true,
          arn: first.assumedRoleArn,
        });
      }
      expect(stsActions().filter((a) => a === 'AssumeRoleWithWebIdentity').length).toBe(sts.sessions.length);
      const post = job.log.shown('Post nix');
      expect(post).toMatch(
        /renewed the AWS session of role arn:aws:iam::123456789012:role\/nix-cache \(#3\)/,
      );
      expect(post).toMatch(/2 pair\(s\) of AWS credentials and config files/);
      expect(post).not.toMatch(/renewal attempt|giving up/);
      const ps = readFileSync(join(job.root, 'temp', 'ps.txt'), 'utf8');
      expect(ps).toMatch(/refresh\/index\.js/); // the refresher was running, and its argv holds no secret
      for (const secret of secrets()) expect(ps).not.toContain(secret);
      expectNoSecretLeft(job);
    } finally {
      job.cleanup();
    }
  });

  it('keeps renewing through a transient STS failure, and gives up at once when the role stops trusting the job', async () => {
    // long enough that the first renewal comes after the next step has set up the fault
    const lifetime = 6;
    await startSts({ sessionLifetimeSec: lifetime });
    const job = await runJob({
      runnerEnvironment: 'github-hosted',
      idToken: { requestUrl: oidc.requestUrl, requestToken: oidc.requestToken },
      steps: [
        action(),
        {
          // evaluated right after main: the refresher's next STS call fails once, transiently
          run: () => {
            sts.failNext('ServiceUnavailable', 1, { action: 'AssumeRoleWithWebIdentity' });
            return `sleep ${lifetime + 2}`;
          },
        },
        {
          // then the trust policy changes: the next renewal is refused for good
          run: () => {
            sts.roles[0] = { arn: ROLE, subject: 'repo:someone-else/*' };
            return `sleep ${lifetime + 2}`;
          },
        },
      ],
    });
    try {
      expect(job.status).toBe('success');
      const post = job.log.shown('Post nix');
      expect(post).toMatch(/renewal attempt 1 failed: AssumeRoleWithWebIdentity: ServiceUnavailable/);
      expect(post).toMatch(/renewed the AWS session of role .* \(#1\)/);
      expect(post).toMatch(/giving up: AWS STS denied this job the role/);
      expect(post).toMatch(/exiting \(gave-up\)/);
      // one refused call: a denial is not retried until the session expires
      const refusedAfterChange = sts.http.requests.filter((r) => r.status === 403);
      expect(refusedAfterChange).toHaveLength(1);
      expectNoSecretLeft(job);
    } finally {
      job.cleanup();
    }
  });

  it('retries Throttling during the login, then succeeds', async () => {
    await startSts();
    sts.failNext('Throttling', 2);
    const job = await runJob({
      runnerEnvironment: 'github-hosted',
      idToken: { requestUrl: oidc.requestUrl, requestToken: oidc.requestToken },
      steps: [action(), ...checks(false)],
    });
    try {
      expect(job.status).toBe('success');
      expect(stsActions().slice(0, 4)).toEqual([
        'AssumeRoleWithWebIdentity',
        'AssumeRoleWithWebIdentity',
        'AssumeRoleWithWebIdentity',
        'GetCallerIdentity',
      ]);
      expect(job.steps.user?.outputs.key).toBe(sts.sessions[0]?.accessKeyId);
      expect(job.steps.root?.outputs.key).toBe(sts.sessions[0]?.accessKeyId);
      expectNoSecretLeft(job);
    } finally {
      job.cleanup();
    }
  });

  it("fails fast on AccessDenied with the token's sub and aud and a condition to use, writing nothing", async () => {
    await startSts({ subject: 'repo:octo-org/another-repo:*' });
    seedRootFiles();
    const before = snapshot([ROOT_CREDENTIALS, ROOT_CONFIG]);
    const job = await runJob({
      runnerEnvironment: 'github-hosted',
      idToken: { requestUrl: oidc.requestUrl, requestToken: oidc.requestToken },
      steps: [action()],
    });
    try {
      expect(job.steps.nix?.conclusion).toBe('failure');
      expect(job.steps.nix?.durationMs).toBeLessThan(5000);
      expect(stsActions()).toEqual(['AssumeRoleWithWebIdentity']);
      const error = errors(job);
      expect(error).toContain(`AWS STS denied this job the role ${ROLE}`);
      expect(error).toContain('sub: repo:octo-org/octo-repo:ref:refs/heads/main');
      expect(error).toContain('aud: sts.amazonaws.com');
      expect(error).toMatch(/"StringLike": \{\s*"[^"]+:sub": "repo:octo-org\/octo-repo:\*"/);
      expect(error).not.toMatch(/eyJ[\w-]+\.[\w-]+/);
      expect(oidc.issued).toHaveLength(1);
      expect(error).not.toContain(oidc.issued[0]!.token.split('.')[1]!);
      expect(changedSince(before)).toEqual([]);
      expect(existsSync(userFiles(job).credentials)).toBe(false);
      expect(existsSync(userFiles(job).config)).toBe(false);
      expect(sts.sessions).toHaveLength(0);
      expectNoSecretLeft(job);
    } finally {
      job.cleanup();
    }
  });

  it('shows the permissions YAML when the job may not mint a token', async () => {
    await startSts();
    seedRootFiles();
    const before = snapshot([ROOT_CREDENTIALS, ROOT_CONFIG]);
    const job = await runJob({ runnerEnvironment: 'github-hosted', steps: [action()] });
    try {
      expect(job.steps.nix?.conclusion).toBe('failure');
      expect(errors(job)).toContain('permissions:\n  id-token: write');
      expect(errors(job)).toContain(ROLE);
      expect(sts.http.requests).toHaveLength(0);
      expect(changedSince(before)).toEqual([]);
      expect(existsSync(userFiles(job).credentials)).toBe(false);
    } finally {
      job.cleanup();
    }
  });

  it('goes on pull-only for a pull request from a fork, writing no credentials', async () => {
    await startSts();
    seedRootFiles();
    const before = snapshot([ROOT_CREDENTIALS, ROOT_CONFIG]);
    const job = await runJob({
      runnerEnvironment: 'github-hosted',
      eventName: 'pull_request',
      event: {
        pull_request: {
          head: { repo: { full_name: 'someone/fork', fork: true } },
          base: { repo: { full_name: 'octo-org/octo-repo' } },
        },
      },
      steps: [
        action(),
        {
          // while the job runs: no AWS files of ours, no refresher
          id: 'files',
          run: 'test ! -e "$RUNNER_TEMP/nix-cache-action/aws" && test ! -e "$RUNNER_TEMP/nix-cache-action/refresher.log"',
        },
      ],
    });
    try {
      expect(job.status).toBe('success');
      const notices = job.log.annotations.filter((a) => a.level === 'notice').map((a) => a.message);
      expect(notices.join('\n')).toMatch(/fork.*pull-only/s);
      expect(sts.http.requests).toHaveLength(0);
      expect(oidc.issued).toHaveLength(0);
      expect(changedSince(before)).toEqual([]);
      expect(job.steps.files?.conclusion).toBe('success');
      expect(job.log.shown('Post nix')).not.toMatch(/refresher/i);
    } finally {
      job.cleanup();
    }
  });
});
