import { describe, expect, it } from '@jest/globals';
import { cacheEnv } from '../../../src/steps/push-uploader.js';
import { fakeSystem } from '../daemon/fakes.js';

const sys = fakeSystem({ platform: 'linux', commands: [], env: { RUNNER_TEMP: '/runner/_temp' } });

describe('cacheEnv: the environment of the push’s nix copy', () => {
  it('gives every push a narinfo disk cache of the job’s own, under RUNNER_TEMP', () => {
    for (const cache of ['https://cache.example.org', 'file:///srv/cache', 's3://bucket?region=eu-west-1']) {
      expect(cacheEnv(sys, cache)).toMatchObject({
        XDG_CACHE_HOME: '/runner/_temp/nix-cache-action/push/xdg-cache',
        NIX_CACHE_HOME: '/runner/_temp/nix-cache-action/push/xdg-cache/nix',
      });
    }
  });

  it('adds the job user’s AWS files for an s3:// cache whose session the action made, only', () => {
    expect(Object.keys(cacheEnv(sys, 'https://cache.example.org'))).toEqual([
      'XDG_CACHE_HOME',
      'NIX_CACHE_HOME',
    ]);
    expect(cacheEnv(sys, 's3://bucket?region=eu-west-1&profile=nix-cache-action')).toMatchObject({
      AWS_SHARED_CREDENTIALS_FILE: '/runner/_temp/nix-cache-action/aws/credentials',
      AWS_CONFIG_FILE: '/runner/_temp/nix-cache-action/aws/config',
      AWS_PROFILE: 'nix-cache-action',
    });
    // The job's own AWS setup (no aws-role-arn): left as it is.
    for (const own of ['s3://bucket', 's3://bucket?profile=deploy', 's3://bucket?region=eu-west-1']) {
      expect(Object.keys(cacheEnv(sys, own))).toEqual(['XDG_CACHE_HOME', 'NIX_CACHE_HOME']);
    }
  });
});
