/**
 * OIDC logins to an HTTP cache through the built action, as GitHub runs it: the GitHub token itself as
 * the cache's password, or traded at an RFC 8693 endpoint; renewed for as long as the job runs; nothing
 * left on disk, in the log or on any command line.
 */
import { afterEach, beforeEach, expect, it } from '@jest/globals';
import { runJob } from '../harness/job.js';
import { type OidcServer, startOidcServer } from '../servers/oidc.js';
import { describeE2E } from '../testbed/e2e.js';
import { RUNNER, testbed, userInfo } from '../testbed/run-as.js';
import { filesContaining } from './support/files.js';
import { type PrivateCache, deletePaths, isValidPath, privateCache } from './support/private-cache.js';

const secretDirs = (root: string): string[] => [
  '/etc/nix',
  '/root/.config',
  '/run/nix-cache-action',
  userInfo(RUNNER).home,
  root,
];

describeE2E('login: GitHub OIDC credentials for an HTTP cache', () => {
  let oidc: OidcServer;
  let pc: PrivateCache;
  /** The cache accepts GitHub tokens for its own origin (the action's default audience). */
  const start = async (lifetimeSec = 300, exchangeLifetimeSec = 300): Promise<void> => {
    oidc = await startOidcServer({ lifetimeSec });
    const audiences: string[] = [];
    pc = await privateCache({ oidc: { issuer: oidc.issuer, audience: audiences }, exchangeLifetimeSec });
    audiences.push(new URL(pc.cache.url).origin);
  };
  beforeEach(async () => {
    await testbed('up');
  });
  afterEach(async () => {
    await pc.close();
    await oidc.close();
  });

  /** Every token the job could have held: minted JWTs and exchanged tokens. */
  const tokens = (): string[] => [
    ...oidc.issued.map((t) => t.token),
    ...pc.cache.exchanged.map((t) => t.accessToken),
  ];

  const job = (inputs: Record<string, string>, middle: { run: string }[] = []) =>
    runJob({
      runnerEnvironment: 'github-hosted',
      idToken: { requestUrl: oidc.requestUrl, requestToken: oidc.requestToken },
      steps: [
        { uses: '.', id: 'nix', with: { cache: pc.cache.url, 'public-keys': pc.key.publicKey, ...inputs } },
        ...middle,
        { id: 'ps', run: 'ps -eo args > "$RUNNER_TEMP/ps.txt"; cat "$RUNNER_TEMP/ps.txt" | wc -l' },
        { id: 'realise', run: `nix-store -r ${pc.path}` },
      ],
    });

  it('uses the GitHub token itself as the password of the cache, for the daemon', async () => {
    await start();
    deletePaths(pc.closure.filter(isValidPath));
    const result = await job({});
    try {
      expect(result.results.map((r) => `${r.name}:${r.conclusion}`)).toEqual([
        'nix:success',
        'ps:success',
        'realise:success',
        'Post nix:success',
      ]);
      expect(result.log.shown('nix')).toMatch(
        /GitHub OIDC token as the cache password \(audience http:\/\/127\.0\.0\.1:\d+\)/,
      );
      const authenticated = pc.cache.log.filter(
        (r) => r.kind === 'nar' && r.status === 200 && r.identity !== undefined,
      );
      expect(authenticated.length).toBeGreaterThanOrEqual(pc.closure.length);
      for (const token of tokens()) {
        expect(result.log.leaks(token)).toEqual([]);
        expect(filesContaining(token, secretDirs(result.root))).toEqual([]);
      }
    } finally {
      result.cleanup();
    }
  });

  it('trades the GitHub token at an RFC 8693 endpoint and keeps it fresh over three lifetimes', async () => {
    await start(4, 4);
    deletePaths(pc.closure.filter(isValidPath));
    const result = await job({ 'token-endpoint': `${pc.cache.url}/token-exchange` }, [{ run: 'sleep 13' }]);
    try {
      expect(result.results.map((r) => `${r.name}:${r.conclusion}`)).toContain('realise:success');
      expect(result.status).toBe('success');
      expect(pc.cache.exchanged.length).toBeGreaterThanOrEqual(4); // main's, then one per lifetime at least
      expect(result.log.shown('Post nix')).toMatch(/refresher/i);
      const ps = result.log.shown('ps');
      for (const token of tokens()) {
        expect(ps).not.toContain(token);
        expect(result.log.leaks(token)).toEqual([]);
        expect(filesContaining(token, secretDirs(result.root))).toEqual([]);
      }
    } finally {
      result.cleanup();
    }
  });
});
