/**
 * A flake's `nixConfig` substituters: accepted without a prompt when the user chose
 * `accept-flake-config` (the job's user is trusted on a hosted runner by default), ignored otherwise.
 */
import { afterAll, beforeAll, beforeEach, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runJob } from '../harness/job.js';
import { type CacheServer, startCacheServer } from '../servers/cache.js';
import { describeE2E } from '../testbed/e2e.js';
import { RUNNER, testbed, userInfo } from '../testbed/run-as.js';
import {
  type SigningKey,
  buildFresh,
  deletePaths,
  isValidPath,
  newSigningKey,
} from './support/private-cache.js';

describeE2E('configure: flake nixConfig', () => {
  // Each test starts from the test bed's own configuration (hosted jobs leave theirs on purpose).
  beforeEach(async () => {
    await testbed('up');
  });

  let cache: CacheServer;
  let key: SigningKey;
  let flake: string;
  let out: string;
  let closure: string[];

  beforeAll(async () => {
    key = newSigningKey();
    ({ out, closure, flake } = await buildFresh());
    execFileSync(
      'nix',
      [
        '--extra-experimental-features',
        'nix-command',
        'store',
        'sign',
        '--key-file',
        key.secretFile,
        '-r',
        out,
      ],
      {
        env: { ...process.env, NIX_REMOTE: '' },
      },
    );
    cache = await startCacheServer({ publicRead: true });
    await cache.seedFromStore(closure);
    const flakeNix = join(flake, 'flake.nix');
    const text = readFileSync(flakeNix, 'utf8');
    writeFileSync(
      flakeNix,
      text.replace(
        /^\{\n/,
        `{\n  nixConfig = {\n    extra-substituters = [ "${cache.url}" ];\n    extra-trusted-public-keys = [ "${key.publicKey}" ];\n  };\n`,
      ),
    );
    const { uid, gid } = userInfo(RUNNER);
    execFileSync('chown', ['-R', `${uid}:${gid}`, flake]);
  });
  afterAll(async () => {
    await cache.close();
    key.cleanup();
    rmSync(flake, { recursive: true, force: true });
  });

  const buildOnlyBySubstitution = `nix --extra-experimental-features 'nix-command flakes' build --max-jobs 0 --no-link`;

  it('substitutes from the flake’s cache when accept-flake-config is on (hosted: runner trusted)', async () => {
    deletePaths(closure.filter(isValidPath));
    const job = await runJob({
      runnerEnvironment: 'github-hosted',
      steps: [
        { uses: '.', id: 'nix', with: { 'accept-flake-config': 'true' } },
        { id: 'build', run: `${buildOnlyBySubstitution} path:${flake}#app < /dev/null` },
      ],
    });
    try {
      expect(job.results.map((r) => `${r.name}:${r.conclusion}`)).toEqual([
        'nix:success',
        'build:success',
        'Post nix:success',
      ]);
      expect(isValidPath(out)).toBe(true);
      expect(job.log.shown('build')).not.toMatch(/do you want to allow/i);
    } finally {
      job.cleanup();
    }
  });

  it('does not use the flake’s cache without accept-flake-config', async () => {
    deletePaths(closure.filter(isValidPath));
    const job = await runJob({
      runnerEnvironment: 'github-hosted',
      steps: [
        { uses: '.', id: 'nix' },
        { id: 'build', run: `${buildOnlyBySubstitution} path:${flake}#app < /dev/null` },
      ],
    });
    try {
      expect(job.steps.build?.conclusion).toBe('failure');
      expect(isValidPath(out)).toBe(false);
    } finally {
      job.cleanup();
    }
  });
});
