/**
 * Configure: after the main step, every way Nix runs in the job sees the cache with its key and its
 * credentials — the job's user through the daemon (`nix-store -r`), the user's own client
 * (`nix copy --from`), `nix show-config` — and post removes the credentials (hosted) or restores
 * everything byte for byte (self-hosted).
 */
import { afterAll, beforeAll, beforeEach, expect, it } from '@jest/globals';
import { runJob } from '../harness/job.js';
import { describeE2E } from '../testbed/e2e.js';
import { NIX_CONF, RUNNER, testbed, userInfo } from '../testbed/run-as.js';
import { changedSince, filesContaining, snapshot } from './support/files.js';
import { type PrivateCache, deletePaths, isValidPath, privateCache } from './support/private-cache.js';

const TOKEN = 'tok_4d1f9c2b7e8a4f60b1c3d5e7f9a1b3c5';
const NIXCMD = 'nix --extra-experimental-features nix-command';
const home = (): string => userInfo(RUNNER).home;
const watched = (): string[] => [NIX_CONF, `${home()}/.config/nix/nix.conf`];
/** Everywhere a credential of ours could be left: Nix's and root's configuration, runner's home, the job. */
const secretDirs = (root: string): string[] => [
  '/etc/nix',
  '/root/.config',
  '/run/nix-cache-action',
  home(),
  root,
];

describeE2E('configure: a token-protected HTTP cache for client and daemon', () => {
  // Each test starts from the test bed's own configuration (hosted jobs leave theirs on purpose).
  beforeEach(async () => {
    await testbed('up');
  });

  let pc: PrivateCache;
  beforeAll(async () => {
    pc = await privateCache({ tokens: [{ token: TOKEN, read: true, write: true, name: 'ci' }] });
  });
  afterAll(async () => {
    await pc.close();
  });

  it('lets runner substitute through the daemon and copy with its own client; post removes the token', async () => {
    deletePaths(pc.closure.filter(isValidPath));
    const job = await runJob({
      runnerEnvironment: 'github-hosted',
      steps: [
        {
          uses: '.',
          id: 'nix',
          with: { cache: pc.cache.url, 'public-keys': pc.key.publicKey, token: TOKEN },
        },
        {
          id: 'show',
          run: `${NIXCMD} show-config | grep -E '^(substituters|trusted-public-keys) ' | sed 's/ = /=/' >> "$GITHUB_OUTPUT"`,
        },
        { id: 'copy', run: `${NIXCMD} copy --from '${pc.cache.url}' ${pc.path}` },
        { id: 'forget', user: 'root', run: `NIX_REMOTE= nix-store --delete ${pc.closure.join(' ')}` },
        { id: 'realise', run: `nix-store -r ${pc.path} && test -e ${pc.path}` },
      ],
    });
    try {
      expect(job.results.map((r) => `${r.name}:${r.conclusion}`)).toEqual([
        'nix:success',
        'show:success',
        'copy:success',
        'forget:success',
        'realise:success',
        'Post nix:success',
      ]);
      expect(job.steps.show?.outputs.substituters?.split(' ')).toContain(pc.cache.url);
      expect(job.steps.show?.outputs['trusted-public-keys']?.split(' ')).toContain(pc.key.publicKey);
      // Both readers authenticated: the user's client (copy) and the daemon (realise) fetched NARs.
      const narGets = pc.cache.log.filter((r) => r.kind === 'nar' && r.method === 'GET' && r.status === 200);
      expect(narGets.length).toBeGreaterThanOrEqual(2 * pc.closure.length);
      expect(pc.cache.log.filter((r) => r.status === 401 || r.status === 403)).toEqual([]);
      expect(isValidPath(pc.path)).toBe(true);
      expect(job.log.leaks(TOKEN)).toEqual([]);
      expect(filesContaining(TOKEN, secretDirs(job.root))).toEqual([]);
    } finally {
      job.cleanup();
    }
  });

  it('on a self-hosted runner, post restores every file byte for byte and the daemon forgets the cache', async () => {
    const before = snapshot(watched());
    const job = await runJob({
      runnerEnvironment: 'self-hosted',
      steps: [
        {
          uses: '.',
          id: 'nix',
          with: { cache: pc.cache.url, 'public-keys': pc.key.publicKey, token: TOKEN },
        },
        { id: 'during', run: `${NIXCMD} show-config | grep -F '${pc.cache.url}'` },
      ],
    });
    try {
      expect(job.status).toBe('success');
      expect(changedSince(before)).toEqual([]);
      expect(filesContaining(TOKEN, secretDirs(job.root))).toEqual([]);
      // The daemon answers again, and neither it nor runner's client lists the cache any more.
      const after = await runJob({
        steps: [
          {
            id: 'after',
            run: `${NIXCMD} store ping && ${NIXCMD} show-config > conf && ! grep -F '${pc.cache.url}' conf`,
          },
        ],
      });
      expect(after.status).toBe('success');
      after.cleanup();
    } finally {
      job.cleanup();
    }
  });

  it('twice in one job: one block, the same result, and two posts that restore the original', async () => {
    const before = snapshot(watched());
    const inputs = { cache: pc.cache.url, 'public-keys': pc.key.publicKey, token: TOKEN };
    const job = await runJob({
      runnerEnvironment: 'self-hosted',
      steps: [
        { uses: '.', id: 'first', with: inputs },
        { uses: '.', id: 'second', with: inputs },
        {
          id: 'blocks',
          user: 'root',
          run: `echo "count=$(grep -c '^# BEGIN nix-cache-action' ${NIX_CONF})" >> "$GITHUB_OUTPUT"`,
        },
      ],
    });
    try {
      expect(job.status).toBe('success');
      expect(job.steps.blocks?.outputs.count).toBe('1');
      // The second run changed nothing the daemon reads: no second restart.
      expect(job.log.shown('first')).toMatch(/Daemon restarted \(pid \d+\)/);
      expect(job.log.shown('second')).toMatch(/Daemon not restarted/);
      expect(job.results.filter((r) => r.kind === 'post').map((r) => r.name)).toEqual([
        'Post second',
        'Post first',
      ]);
      expect(changedSince(before)).toEqual([]);
    } finally {
      job.cleanup();
    }
  });
});
