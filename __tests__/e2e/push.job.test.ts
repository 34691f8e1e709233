/**
 * The push through the built action, as GitHub runs it: job 1 builds part of the sample flake as the
 * runner and the post step pushes exactly what it built (each path once, references first, filtered,
 * no derivations, nothing an upstream cache holds, signed); job 2, on a store without those paths,
 * builds with `--max-jobs 0` and gets everything by substitution alone.
 */
import { afterEach, beforeEach, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HOOK_QUEUE } from '../../src/push/hook.js';
import { runJob } from '../harness/job.js';
import { type CacheServer, startCacheServer } from '../servers/cache.js';
import { startOidcServer } from '../servers/oidc.js';
import { describeE2E } from '../testbed/e2e.js';
import { RUNNER, copySampleFlake, testbed, userInfo } from '../testbed/run-as.js';
import { filesContaining } from './support/files.js';
import {
  type SigningKey,
  deletePaths,
  isValidPath,
  newSigningKey,
  outPath,
} from './support/private-cache.js';

const TOKEN = 'push-test-token-0123456789';
const NIX_FLAGS = "--extra-experimental-features 'nix-command flakes' --option flake-registry ''";

const hashOf = (path: string): string => path.slice('/nix/store/'.length, '/nix/store/'.length + 32);

describeE2E('push: the post step copies what the job built', () => {
  let cache: CacheServer;
  let upstream: CacheServer;
  let key: SigningKey;
  let upstreamKey: SigningKey;
  beforeEach(async () => {
    await testbed('up');
    cache = await startCacheServer({ tokens: [{ token: TOKEN, read: true, write: true, name: 'ci' }] });
    // Public, but on the same host as the cache: curl sends the cache's netrc entry (matched by host
    // only) here too, and a real server would take or ignore it; this one takes it for reading.
    upstream = await startCacheServer({
      publicRead: true,
      tokens: [{ token: TOKEN, read: true, name: 'up' }],
    });
    key = newSigningKey('push-test');
    upstreamKey = newSigningKey('upstream-test');
  });
  afterEach(async () => {
    await cache.close();
    await upstream.close();
    key.cleanup();
    upstreamKey.cleanup();
  });

  it('pushes each new path once, references first, filtered, and a fresh store substitutes it', async () => {
    const flake = await copySampleFlake();
    const app = outPath(flake, 'packages.x86_64-linux.app');
    const lib = outPath(flake, 'packages.x86_64-linux.lib');
    const hello = outPath(flake, 'packages.x86_64-linux.hello');
    // The upstream cache holds `lib`, signed by its own key (built, signed and seeded as root, then
    // deleted so the job substitutes it).
    const rootNix = (args: string[]): void => {
      execFileSync('nix', ['--extra-experimental-features', 'nix-command flakes', ...args], {
        env: { ...process.env, NIX_REMOTE: 'daemon' },
        stdio: 'ignore',
      });
    };
    rootNix(['build', '--no-link', `path:${flake}#lib`]);
    rootNix(['store', 'sign', '--key-file', upstreamKey.secretFile, lib]);
    await upstream.seedFromStore([lib]);
    deletePaths([lib]);

    const secret = readFileSync(key.secretFile, 'utf8').trim();
    const inputs = {
      cache: cache.url,
      token: TOKEN,
      'signing-key': secret,
      'extra-substituters': upstream.url,
      'public-keys': upstreamKey.publicKey,
      'upstream-caches': upstream.url,
      'push-filter': '-nca-hello$',
    };
    const first = await runJob({
      runnerEnvironment: 'github-hosted',
      steps: [
        { uses: '.', id: 'nix', with: inputs },
        { id: 'build', run: `nix ${NIX_FLAGS} build --no-link path:${flake}#app path:${flake}#hello` },
      ],
    });
    try {
      expect(first.results.map((r) => `${r.name}:${r.conclusion}`)).toEqual([
        'nix:success',
        'build:success',
        'Post nix:success',
      ]);
      const puts = cache.log.filter((r) => r.method === 'PUT');
      const narinfoPuts = puts.filter((r) => r.kind === 'narinfo').map((r) => r.hash);
      // app only: lib is upstream's, hello filtered, derivations and the flake source... see below.
      expect(narinfoPuts).toContain(hashOf(app));
      expect(narinfoPuts).not.toContain(hashOf(lib));
      expect(narinfoPuts).not.toContain(hashOf(hello));
      expect(new Set(narinfoPuts).size).toBe(narinfoPuts.length); // each path once
      // References before referrers: a narinfo is put after the narinfos of its references in this cache.
      const putAt = new Map(
        puts.filter((r) => r.kind === 'narinfo').map((r) => [r.hash ?? '', r.at] as const),
      );
      for (const info of cache.narinfos()) {
        for (const ref of info.references) {
          const refAt = putAt.get(ref.slice(0, 32));
          if (ref.slice(0, 32) !== info.hash && refAt !== undefined)
            expect(refAt).toBeLessThanOrEqual(putAt.get(info.hash) ?? -1);
        }
      }
      for (const info of cache.narinfos()) {
        expect(info.storePath.endsWith('.drv')).toBe(false);
        expect(info.sigs.some((s) => s.startsWith('push-test:'))).toBe(true);
        expect(info.compression).toBe('zstd');
      }
      const summary = first.log.shown('Post nix');
      expect(summary).toMatch(/Skipped \(upstream has them\)\s+1/);
      // Every pushed narinfo read back and its signature checked: n/n, n the narinfos put.
      expect(summary).toMatch(
        new RegExp(`Verified\\s+${narinfoPuts.length}/${narinfoPuts.length}\\s*$`, 'm'),
      );
      expect(first.log.leaks(secret)).toEqual([]);
      expect(
        filesContaining(secret.split(':')[1] ?? secret, ['/etc/nix', userInfo(RUNNER).home, first.root]),
      ).toEqual([]);
    } finally {
      first.cleanup();
    }

    // Job 2: a store without any of it builds by substitution alone.
    deletePaths([app, lib, hello].filter(isValidPath));
    const second = await runJob({
      runnerEnvironment: 'github-hosted',
      steps: [
        {
          uses: '.',
          id: 'nix',
          with: {
            ...inputs,
            'public-keys': `${upstreamKey.publicKey} ${key.publicKey}`,
            push: 'false',
            'signing-key': '',
          },
        },
        { id: 'build', run: `nix ${NIX_FLAGS} build --max-jobs 0 --no-link path:${flake}#app` },
      ],
    });
    try {
      expect(second.results.map((r) => `${r.name}:${r.conclusion}`)).toEqual([
        'nix:success',
        'build:success',
        'Post nix:success',
      ]);
      expect(isValidPath(app)).toBe(true);
    } finally {
      second.cleanup();
    }
  });

  it('uploads what the daemon built while the job still runs (post-build hook)', async () => {
    const flake = await copySampleFlake();
    const hello = outPath(flake, 'packages.x86_64-linux.hello');
    const app = outPath(flake, 'packages.x86_64-linux.app');
    const marks = mkdtempSync(join(tmpdir(), 'nca-marks-'));
    chmodSync(marks, 0o777);
    const result = await runJob({
      runnerEnvironment: 'github-hosted',
      steps: [
        { uses: '.', id: 'nix', with: { cache: cache.url, token: TOKEN, 'upstream-caches': '' } },
        { id: 'first', run: `nix ${NIX_FLAGS} build --no-link path:${flake}#hello` },
        {
          id: 'last',
          run: `sleep 6; nix ${NIX_FLAGS} build --no-link path:${flake}#app; date +%s%3N > ${marks}/last-build-done`,
        },
      ],
    });
    try {
      expect(result.results.map((r) => `${r.name}:${r.conclusion}`)).toEqual([
        'nix:success',
        'first:success',
        'last:success',
        'Post nix:success',
      ]);
      const lastDone = Number(readFileSync(join(marks, 'last-build-done'), 'utf8').trim());
      const helloPut = cache.log.find(
        (r) => r.method === 'PUT' && r.kind === 'narinfo' && r.hash === hashOf(hello),
      );
      expect(helloPut).toBeDefined();
      expect(helloPut?.at ?? Infinity).toBeLessThan(lastDone - 3000); // during the sleep, not in post
      // app was pushed too (by the uploader or by post), each path once.
      const narinfoPuts = cache.log
        .filter((r) => r.method === 'PUT' && r.kind === 'narinfo')
        .map((r) => r.hash);
      expect(narinfoPuts).toContain(hashOf(app));
      expect(new Set(narinfoPuts).size).toBe(narinfoPuts.length);
      expect(result.log.shown('Post nix')).toMatch(/Pushed during the build\s+[1-9]/);
      // The hook stays configured on a hosted runner; without its queue it queues nothing more.
      expect(existsSync(HOOK_QUEUE)).toBe(false);
    } finally {
      result.cleanup();
      rmSync(marks, { recursive: true, force: true });
    }
  });

  it('renews the GitHub OIDC credential right before the push, and pushes with it', async () => {
    const oidc = await startOidcServer({ lifetimeSec: 300 });
    const audiences: string[] = [];
    const jwtCache = await startCacheServer({ oidc: { issuer: oidc.issuer, audience: audiences } });
    audiences.push(new URL(jwtCache.url).origin);
    try {
      const flake = await copySampleFlake();
      const result = await runJob({
        runnerEnvironment: 'github-hosted',
        idToken: { requestUrl: oidc.requestUrl, requestToken: oidc.requestToken },
        steps: [
          {
            uses: '.',
            id: 'nix',
            with: { cache: jwtCache.url, 'upstream-caches': '', 'push-during-build': 'false' },
          },
          { id: 'build', run: `nix ${NIX_FLAGS} build --no-link path:${flake}#app` },
        ],
      });
      try {
        expect(result.status).toBe('success');
        const post = result.log.shown('Post nix');
        expect(post).toMatch(/Renewed the GitHub OIDC token for 127\.0\.0\.1 for the push/);
        expect(oidc.issued.length).toBe(2); // main's, and post's right before the push
        const last = oidc.issued[1]?.token ?? '';
        const puts = jwtCache.log.filter(
          (r) => r.method === 'PUT' && (r.kind === 'nar' || r.kind === 'narinfo'),
        );
        expect(puts.length).toBeGreaterThan(0);
        for (const put of puts) {
          expect(put.status).toBeGreaterThanOrEqual(200);
          expect(put.status).toBeLessThan(300);
          expect(put.identity).toMatch(/^jwt:/);
        }
        // Every upload came after the renewal (the second token request).
        const mints = oidc.http.requests.filter((r) => r.query['audience'] !== undefined && r.status === 200);
        expect(mints.length).toBe(2);
        expect(Math.min(...puts.map((r) => r.at))).toBeGreaterThanOrEqual(mints[1]?.at ?? Infinity);
        expect(result.log.leaks(last)).toEqual([]);
      } finally {
        result.cleanup();
      }
    } finally {
      await jwtCache.close();
      await oidc.close();
    }
  });

  it('pushes nothing in pull-only mode (a pull request from a fork)', async () => {
    const flake = await copySampleFlake();
    const result = await runJob({
      eventName: 'pull_request',
      event: {
        pull_request: {
          head: { repo: { full_name: 'someone/fork', fork: true } },
          base: { repo: { full_name: 'octo-org/octo-repo' } },
        },
      },
      steps: [
        {
          uses: '.',
          id: 'nix',
          with: { cache: cache.url, 'token-endpoint': `${cache.url}/token-exchange`, 'upstream-caches': '' },
        },
        { id: 'build', run: `nix ${NIX_FLAGS} build --no-link path:${flake}#app` },
      ],
    });
    try {
      expect(result.status).toBe('success');
      expect(result.log.shown('Post nix')).toMatch(/Push skipped: pull-only mode/);
      // Nix itself may try to create nix-cache-info of a cache it cannot read; no path is uploaded.
      expect(
        cache.log.filter((r) => r.method === 'PUT' && (r.kind === 'nar' || r.kind === 'narinfo')),
      ).toEqual([]);
    } finally {
      result.cleanup();
    }
  });
});
