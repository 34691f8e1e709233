/**
 * Login under failure, through the built action: transient faults are retried, permanent ones fail the
 * step quickly with what to do, a missing permission shows the YAML to add, a fork's pull request goes on
 * pull-only, and a malformed login input writes nothing.
 */
import { afterEach, beforeEach, expect, it } from '@jest/globals';
import { runJob } from '../harness/job.js';
import { type OidcServer, startOidcServer } from '../servers/oidc.js';
import { describeE2E } from '../testbed/e2e.js';
import { NIX_CONF, RUNNER, testbed, userInfo } from '../testbed/run-as.js';
import { changedSince, snapshot } from './support/files.js';
import { type PrivateCache, privateCache } from './support/private-cache.js';

const watched = (): string[] => [
  NIX_CONF,
  `${userInfo(RUNNER).home}/.config/nix/nix.conf`,
  '/etc/nix/nix-cache-action/netrc',
];
const errors = (job: Awaited<ReturnType<typeof runJob>>): string =>
  job.log.annotations
    .filter((a) => a.level === 'error')
    .map((a) => a.message)
    .join('\n');

describeE2E('login: failures', () => {
  let oidc: OidcServer;
  let pc: PrivateCache;
  let exchange: string;
  beforeEach(async () => {
    await testbed('up');
    oidc = await startOidcServer();
    const audiences: string[] = [];
    pc = await privateCache({ oidc: { issuer: oidc.issuer, audience: audiences } });
    audiences.push(new URL(pc.cache.url).origin);
    exchange = `${pc.cache.url}/token-exchange`;
  });
  afterEach(async () => {
    await pc.close();
    await oidc.close();
  });

  const idToken = (): { requestUrl: string; requestToken: string } => ({
    requestUrl: oidc.requestUrl,
    requestToken: oidc.requestToken,
  });
  const inputs = (more: Record<string, string> = {}): Record<string, string> => ({
    cache: pc.cache.url,
    'public-keys': pc.key.publicKey,
    ...more,
  });

  it('retries the GitHub token service after a 503, then logs in', async () => {
    oidc.http.fault({ match: /idtoken/, kind: 'status', status: 503, times: 1 });
    const job = await runJob({
      idToken: idToken(),
      steps: [{ uses: '.', id: 'nix', with: inputs({ 'token-endpoint': exchange }) }],
    });
    try {
      expect(job.steps.nix?.conclusion).toBe('success');
      expect(oidc.http.requests.filter((r) => r.path.includes('idtoken')).map((r) => r.status)).toEqual(
        expect.arrayContaining([503, 200]),
      );
      expect(pc.cache.exchanged.length).toBeGreaterThanOrEqual(1);
    } finally {
      job.cleanup();
    }
  });

  it('fails clearly, and writes nothing, when the exchange endpoint is down', async () => {
    const before = snapshot(watched());
    const down = 'http://127.0.0.1:9/token-exchange'; // the discard port: nothing listens there
    const job = await runJob({
      idToken: idToken(),
      steps: [{ uses: '.', id: 'nix', with: inputs({ 'token-endpoint': down }) }],
    });
    try {
      expect(job.steps.nix?.conclusion).toBe('failure');
      expect(errors(job)).toMatch(/127\.0\.0\.1:9/);
      expect(changedSince(before)).toEqual([]);
    } finally {
      job.cleanup();
    }
  });

  it('fails fast on a refusal of the exchange (a permanent 4xx), without retrying', async () => {
    const before = snapshot(watched());
    oidc.setClaims({ iss: 'https://someone-else.example' }); // the cache trusts only its own issuer
    const job = await runJob({
      idToken: idToken(),
      steps: [{ uses: '.', id: 'nix', with: inputs({ 'token-endpoint': exchange }) }],
    });
    try {
      expect(job.steps.nix?.conclusion).toBe('failure');
      expect(job.steps.nix?.durationMs).toBeLessThan(5000);
      expect(pc.cache.log.filter((r) => r.kind === 'token-exchange')).toHaveLength(1);
      for (const t of oidc.issued) expect(errors(job)).not.toContain(t.token);
      expect(changedSince(before)).toEqual([]);
    } finally {
      job.cleanup();
    }
  });

  it('shows the permissions YAML when the job has no id-token permission', async () => {
    const before = snapshot(watched());
    const job = await runJob({
      steps: [{ uses: '.', id: 'nix', with: inputs({ 'token-endpoint': exchange }) }],
    });
    try {
      expect(job.steps.nix?.conclusion).toBe('failure');
      expect(errors(job)).toContain('id-token: write');
      expect(changedSince(before)).toEqual([]);
    } finally {
      job.cleanup();
    }
  });

  it('goes on pull-only for a pull request from a fork', async () => {
    const before = snapshot(watched().slice(2));
    const job = await runJob({
      eventName: 'pull_request',
      event: {
        pull_request: {
          head: { repo: { full_name: 'someone/fork', fork: true } },
          base: { repo: { full_name: 'octo-org/octo-repo' } },
        },
      },
      steps: [
        { uses: '.', id: 'nix', with: inputs({ 'token-endpoint': exchange }) },
        { id: 'next', run: 'true' },
      ],
    });
    try {
      expect(job.status).toBe('success');
      expect(
        job.log.annotations
          .filter((a) => a.level === 'notice')
          .map((a) => a.message)
          .join('\n'),
      ).toMatch(/fork/);
      expect(changedSince(before)).toEqual([]); // no credential file
    } finally {
      job.cleanup();
    }
  });

  it.each([
    [
      'aws-role-arn',
      { cache: 's3://nix-cache?region=eu-west-1', 'aws-role-arn': 'arn:aws:iam::12345:role/x' },
    ],
    [
      'aws-region',
      {
        cache: 's3://nix-cache',
        'aws-role-arn': 'arn:aws:iam::123456789012:role/x',
        'aws-region': 'eu-west-1a',
      },
    ],
    ['audience', { audience: 'bad audience' }],
    ['token-endpoint', { 'token-endpoint': 'http://exchange.example.org/token' }],
    [
      'aws-sts-endpoint',
      {
        cache: 's3://nix-cache?region=eu-west-1',
        'aws-role-arn': 'arn:aws:iam::123456789012:role/x',
        'aws-sts-endpoint': 'sts',
      },
    ],
  ])('rejects a malformed %s, writing nothing', async (name, bad) => {
    const before = snapshot(watched());
    const job = await runJob({
      idToken: idToken(),
      steps: [{ uses: '.', id: 'nix', with: { ...inputs(), ...bad } }],
    });
    try {
      expect(job.steps.nix?.conclusion).toBe('failure');
      expect(errors(job)).toMatch(new RegExp(`'${name}'`));
      expect(changedSince(before)).toEqual([]);
      expect(oidc.issued).toHaveLength(0); // rejected before any token was minted
    } finally {
      job.cleanup();
    }
  });
});
