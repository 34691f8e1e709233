/**
 * Nix remembers what a binary cache holds: its narinfo disk cache (`~/.cache/nix`) keeps a "present"
 * answer for 30 days. On a self-hosted runner that memory outlives a cache that was emptied or pruned
 * since, and a `nix copy` that trusts it skips paths the cache no longer has. The push asks the cache
 * itself: job 2 uploads again what job 1 pushed and the cache lost.
 */
import { expect, it } from '@jest/globals';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runJob } from '../harness/job.js';
import { startCacheServer } from '../servers/cache.js';
import { describeE2E } from '../testbed/e2e.js';
import { RUNNER, copySampleFlake, testbed, userInfo } from '../testbed/run-as.js';
import { deletePaths, isValidPath, outPath } from './support/private-cache.js';

const TOKEN = 'push-memory-token-0123456789';
const NIX_FLAGS = "--extra-experimental-features 'nix-command flakes' --option flake-registry ''";
const hashOf = (path: string): string => path.slice('/nix/store/'.length, '/nix/store/'.length + 32);

/** Files under `dir` (Nix's narinfo disk cache, SQLite: text stored as is) that name `url`. */
function cacheNamedIn(dir: string, url: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => join(dir, f))
    .filter((f) => {
      try {
        return readFileSync(f).includes(url);
      } catch {
        return false; // a directory
      }
    });
}

describeE2E('push: what the cache lost is pushed again', () => {
  it('uploads again the paths an earlier job pushed to a cache emptied since', async () => {
    await testbed('up');
    // Ports come back between test caches: no earlier test's entries in the runner's narinfo disk cache.
    const runnerCache = join(userInfo(RUNNER).home, '.cache', 'nix');
    for (const f of existsSync(runnerCache) ? readdirSync(runnerCache) : []) {
      if (f.startsWith('binary-cache-')) rmSync(join(runnerCache, f), { force: true });
    }
    const cache = await startCacheServer({ tokens: [{ token: TOKEN, read: true, write: true, name: 'ci' }] });
    try {
      const flake = await copySampleFlake();
      const app = outPath(flake, 'packages.x86_64-linux.app');
      const lib = outPath(flake, 'packages.x86_64-linux.lib');
      // The same runner (same home) runs both jobs; the push goes straight to the cache (no upstream).
      const job = () =>
        runJob({
          runnerEnvironment: 'self-hosted',
          steps: [
            {
              uses: '.',
              id: 'nix',
              with: { cache: cache.url, token: TOKEN, 'upstream-caches': '', 'push-during-build': 'false' },
            },
            { id: 'build', run: `nix ${NIX_FLAGS} build --no-link path:${flake}#app` },
          ],
        });
      const narinfoPuts = (): string[] =>
        cache.log.filter((r) => r.method === 'PUT' && r.kind === 'narinfo').map((r) => r.hash ?? '');

      const first = await job();
      try {
        expect(first.status).toBe('success');
        expect(narinfoPuts()).toEqual(expect.arrayContaining([hashOf(app), hashOf(lib)]));
      } finally {
        first.cleanup();
      }

      // The cache is emptied (pruned, rebuilt, a bucket lifecycle rule…) and the runner's store too.
      for (const entry of readdirSync(cache.dir))
        rmSync(join(cache.dir, entry), { recursive: true, force: true });
      deletePaths([app, lib].filter(isValidPath));
      cache.clearLog();

      const second = await job();
      try {
        expect(second.status).toBe('success');
        expect(narinfoPuts()).toEqual(expect.arrayContaining([hashOf(app), hashOf(lib)]));
        expect(cache.has(app)).toBe(true);
        expect(cache.has(lib)).toBe(true);
        expect(second.log.shown('Post nix')).toMatch(/Already in the cache\s+0\b/);
        // The push's own memory of the cache is gone with the job, and none went into the runner's.
        expect(existsSync(join(second.root, 'temp', 'nix-cache-action', 'push', 'xdg-cache'))).toBe(false);
        expect(cacheNamedIn(runnerCache, cache.url)).toEqual([]);
      } finally {
        second.cleanup();
      }
    } finally {
      await cache.close();
    }
  });
});
