import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseBoolean } from '../../../src/inputs.js';
import { hookScript, parseQueue } from '../../../src/push/hook.js';
import { parseInteger, parseRegex, readPushInputs } from '../../../src/push/inputs.js';
import { displayUrl, withStoreParams } from '../../../src/push/url.js';
import { ActionError } from '../../../src/util/errors.js';

const reader =
  (values: Record<string, string>) =>
  (name: string): string =>
    values[name] ?? '';

describe('push inputs', () => {
  it('has defaults that push with zstd, 8 jobs, a 900 s bound and verification', () => {
    const push = readPushInputs(reader({}), parseBoolean);
    expect(push).toMatchObject({
      enabled: true,
      compression: 'zstd',
      jobs: 8,
      timeoutSeconds: 900,
      verify: true,
      failOnError: false,
      duringBuild: true,
      upstream: [],
      signingKey: undefined,
    });
    expect(push.filters).toEqual({ exclude: undefined, include: undefined, derivations: false });
  });

  it('compiles the filters and reads the upstream list', () => {
    const push = readPushInputs(
      reader({
        'push-filter': '-source$|\\.iso$',
        'push-include': 'nca-',
        'push-derivations': 'true',
        'upstream-caches': 'https://cache.nixos.org\nhttps://nix-community.cachix.org',
      }),
      parseBoolean,
    );
    expect(push.filters.exclude?.test('/nix/store/abc-foo-source')).toBe(true);
    expect(push.filters.exclude?.test('/nix/store/abc-foo')).toBe(false);
    expect(push.filters.include?.test('/nix/store/abc-nca-app')).toBe(true);
    expect(push.filters.derivations).toBe(true);
    expect(push.upstream.map((u) => u.url)).toEqual([
      'https://cache.nixos.org',
      'https://nix-community.cachix.org',
    ]);
  });

  it('rejects a bad regex in main with the engine reason and an example', () => {
    expect(() => parseRegex('push-filter', '(unclosed')).toThrow(ActionError);
    expect(() => parseRegex('push-filter', '(unclosed')).toThrow(
      /Input 'push-filter' is not a valid regular expression/,
    );
    expect(() => parseRegex('push-filter', 'a\nb')).toThrow(/one line/);
    expect(parseRegex('push-filter', '  ')).toBeUndefined();
  });

  it('rejects out-of-range numbers and unknown compressions', () => {
    expect(() => parseInteger('push-jobs', '0', 4, 1, 64)).toThrow(/from 1 to 64/);
    expect(() => parseInteger('push-jobs', '2.5', 4, 1, 64)).toThrow(ActionError);
    expect(parseInteger('push-jobs', ' 8 ', 4, 1, 64)).toBe(8);
    expect(() => readPushInputs(reader({ compression: 'lzma' }), parseBoolean)).toThrow(
      /Input 'compression'/,
    );
    expect(readPushInputs(reader({ compression: 'XZ' }), parseBoolean).compression).toBe('xz');
    expect(() => readPushInputs(reader({ 'push-timeout': '5' }), parseBoolean)).toThrow(/push-timeout/);
  });
});

describe('store URL parameters', () => {
  it('adds ours and keeps the user’s own', () => {
    expect(withStoreParams('https://c.example', { compression: 'zstd', 'secret-key': undefined })).toBe(
      'https://c.example?compression=zstd',
    );
    expect(
      withStoreParams('s3://b?region=eu-west-1&compression=xz', { compression: 'zstd', 'secret-key': '/k' }),
    ).toBe('s3://b?region=eu-west-1&compression=xz&secret-key=/k');
    expect(displayUrl('s3://b?region=x')).toBe('s3://b');
  });
});

describe('post-build hook', () => {
  it('appends one line per build and always exits 0, queue or not', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nca-hook-'));
    try {
      const queue = join(dir, 'queue');
      const script = join(dir, 'hook');
      writeFileSync(script, hookScript(queue), { mode: 0o755 });
      // No queue: nothing written, exit 0.
      execFileSync(script, [], { env: { DRV_PATH: '/nix/store/a-x.drv', OUT_PATHS: '' } });
      expect(() => readFileSync(queue)).toThrow();
      writeFileSync(queue, '');
      execFileSync(script, [], { env: { DRV_PATH: '/nix/store/a-x.drv', OUT_PATHS: '' } });
      execFileSync(script, [], {
        env: { DRV_PATH: '/nix/store/b-y.drv', OUT_PATHS: '/nix/store/c-y /nix/store/d-y-dev' },
      });
      const { builds, rest } = parseQueue(readFileSync(queue, 'utf8'));
      expect(builds).toEqual([
        { drv: '/nix/store/a-x.drv', outputs: [] },
        { drv: '/nix/store/b-y.drv', outputs: ['/nix/store/c-y', '/nix/store/d-y-dev'] },
      ]);
      expect(rest).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('leaves a partial last line for the next read', () => {
    expect(parseQueue('/nix/store/a-x.drv\t\n/nix/store/b')).toEqual({
      builds: [{ drv: '/nix/store/a-x.drv', outputs: [] }],
      rest: '/nix/store/b',
    });
  });
});
