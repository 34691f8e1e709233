/**
 * The push when the cache misbehaves, through the built action: a cache that refuses every upload is a
 * warning and the job keeps its status (an error when asked), a cache that hangs is cut at the drain
 * bound, and a 5,000-path push completes and verifies.
 */
import { afterEach, beforeEach, expect, it } from '@jest/globals';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runJob } from '../harness/job.js';
import { type CacheServer, startCacheServer } from '../servers/cache.js';
import { describeE2E } from '../testbed/e2e.js';
import { copySampleFlake, testbed } from '../testbed/run-as.js';

const TOKEN = 'push-faults-token-0123456789';
const NIX_FLAGS = "--extra-experimental-features 'nix-command flakes' --option flake-registry ''";

describeE2E('push: faults and scale', () => {
  let cache: CacheServer;
  beforeEach(async () => {
    await testbed('up');
    cache = await startCacheServer({ tokens: [{ token: TOKEN, read: true, write: true, name: 'ci' }] });
  });
  afterEach(async () => {
    await cache.close();
  });

  const buildJob = async (inputs: Record<string, string>) => {
    const flake = await copySampleFlake();
    return runJob({
      runnerEnvironment: 'github-hosted',
      steps: [
        {
          uses: '.',
          id: 'nix',
          with: {
            cache: cache.url,
            token: TOKEN,
            'upstream-caches': '',
            'push-during-build': 'false',
            ...inputs,
          },
        },
        { id: 'build', run: `nix ${NIX_FLAGS} build --no-link path:${flake}#app` },
      ],
    });
  };
  const refuseUploads = (): void => {
    cache.http.fault({ kind: 'status', status: 503, match: (req) => req.method === 'PUT', times: 10_000 });
  };

  it('a cache that refuses uploads is a warning: the job keeps its status and the failures are listed', async () => {
    refuseUploads();
    const result = await buildJob({});
    try {
      expect(result.status).toBe('success');
      expect(result.results.map((r) => `${r.name}:${r.conclusion}`)).toContain('Post nix:success');
      const post = result.log.shown('Post nix');
      expect(post).toMatch(/::warning::Push to the cache: \d+ path\(s\) were not pushed/);
      expect(post).toMatch(/fail-on-push-error: true/);
      expect(post).toMatch(/Failed\s+[1-9]/);
      // Retried: more than one PUT of the first path's NAR.
      expect(cache.log.filter((r) => r.method === 'PUT').length).toBeGreaterThan(1);
      expect(cache.narinfos()).toEqual([]);
    } finally {
      result.cleanup();
    }
  });

  it('fail-on-push-error turns the same failure into a failed post step', async () => {
    refuseUploads();
    const result = await buildJob({ 'fail-on-push-error': 'true' });
    try {
      expect(result.results.map((r) => `${r.name}:${r.conclusion}`)).toContain('Post nix:failure');
      expect(result.log.shown('Post nix')).toMatch(
        /::error::Push to the cache: \d+ path\(s\) were not pushed/,
      );
    } finally {
      result.cleanup();
    }
  });

  it('a hanging cache is cut at push-timeout, and nothing is visible before its references', async () => {
    cache.http.fault({ kind: 'hang', match: (req) => req.method === 'PUT', times: 10_000 });
    const started = Date.now();
    const result = await buildJob({ 'push-timeout': '10' });
    try {
      expect(result.status).toBe('success');
      const post = result.results.find((r) => r.name === 'Post nix');
      expect(post?.durationMs ?? Infinity).toBeLessThan(60_000);
      expect(result.log.shown('Post nix')).toMatch(/push-timeout' bound was reached/);
      expect(cache.narinfos()).toEqual([]);
      expect(Date.now() - started).toBeLessThan(120_000);
    } finally {
      result.cleanup();
    }
  }, 180_000);

  it('pushes 5,000 new paths and verifies every one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nca-many-'));
    chmodSync(dir, 0o755);
    const salt = `${Date.now()}-${Math.random()}`;
    for (let i = 0; i < 5000; i += 1) writeFileSync(join(dir, `f${i}`), `${salt} ${i}\n`, { mode: 0o644 });
    const result = await runJob({
      runnerEnvironment: 'github-hosted',
      steps: [
        {
          uses: '.',
          id: 'nix',
          with: { cache: cache.url, token: TOKEN, 'upstream-caches': '', 'push-during-build': 'false' },
        },
        { id: 'add', run: `cd ${dir} && ls | xargs nix-store --add > /dev/null` },
      ],
    });
    try {
      expect(result.results.map((r) => `${r.name}:${r.conclusion}`)).toEqual([
        'nix:success',
        'add:success',
        'Post nix:success',
      ]);
      const post = result.log.shown('Post nix');
      expect(post).toMatch(/Pushed by the post step\s+5000/);
      expect(post).toMatch(/Verified\s+5000\/5000/);
      expect(post).not.toMatch(/::warning::/);
      expect(cache.narinfos().length).toBe(5000);
    } finally {
      result.cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);
});
