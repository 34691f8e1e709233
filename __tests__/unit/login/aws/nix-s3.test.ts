import { describe, expect, it } from '@jest/globals';
import { ActionError } from '../../../../src/util/errors.js';
import { nixCopyInvocation, storeUrlWithProfile } from '../../../../src/login/aws/nix-s3.js';

describe('storeUrlWithProfile', () => {
  it.each([
    ['s3://nix-cache', 's3://nix-cache?profile=nix-cache-action'],
    ['s3://nix-cache?region=eu-west-1', 's3://nix-cache?region=eu-west-1&profile=nix-cache-action'],
    [
      's3://b?region=us-east-1&endpoint=minio.example.com%3A9000&compression=zstd',
      's3://b?region=us-east-1&endpoint=minio.example.com%3A9000&compression=zstd&profile=nix-cache-action',
    ],
    ['s3://b?profile=nix-cache-action&region=x', 's3://b?profile=nix-cache-action&region=x'],
    ['s3://b?profile=nix-cache-action&profile=nix-cache-action', 's3://b?profile=nix-cache-action'],
    ['s3://b?region=x&profile=nix-cache-action', 's3://b?region=x&profile=nix-cache-action'],
    ['s3://b?', 's3://b?profile=nix-cache-action'],
    ['S3://b?a=1&&b=2', 'S3://b?a=1&b=2&profile=nix-cache-action'],
  ])('%s → %s', (url, expected) => {
    expect(storeUrlWithProfile(url)).toBe(expected);
    expect(storeUrlWithProfile(expected)).toBe(expected);
  });

  it('refuses a URL that names another profile (the session would not be used)', () => {
    expect(() => storeUrlWithProfile('s3://b?profile=ci&region=x')).toThrow(
      new ActionError(
        "The s3:// store URL names another AWS profile, but the role's session is in the profile 'nix-cache-action': remove the 'profile' parameter from the URL.",
      ),
    );
  });

  it('refuses a store that is not s3://', () => {
    for (const url of ['https://cache.example.com', 'file:///tmp/cache', 's3://', 'nix-cache']) {
      expect(() => storeUrlWithProfile(url)).toThrow(ActionError);
    }
  });
});

describe('nixCopyInvocation', () => {
  const request = {
    storeUrl: 's3://nix-cache?region=eu-west-1',
    paths: [
      '/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-hello',
      '/nix/store/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-lib',
    ],
    credentialsFile: '/home/runner/.aws-nix-cache/credentials',
    configFile: '/home/runner/.aws-nix-cache/config',
  };

  it('is nix copy to the store with our profile, the environment pointing at the files', () => {
    expect(nixCopyInvocation(request)).toEqual({
      command: 'nix',
      args: [
        '--extra-experimental-features',
        'nix-command',
        'copy',
        '--to',
        's3://nix-cache?region=eu-west-1&profile=nix-cache-action',
        ...request.paths,
      ],
      env: {
        AWS_SHARED_CREDENTIALS_FILE: '/home/runner/.aws-nix-cache/credentials',
        AWS_CONFIG_FILE: '/home/runner/.aws-nix-cache/config',
        AWS_PROFILE: 'nix-cache-action',
      },
    });
  });

  it('refuses relative paths, no paths, and paths with newlines', () => {
    expect(() => nixCopyInvocation({ ...request, credentialsFile: 'credentials' })).toThrow(
      /must be absolute/,
    );
    expect(() => nixCopyInvocation({ ...request, configFile: '/a\nb' })).toThrow(/must be absolute/);
    expect(() => nixCopyInvocation({ ...request, paths: [] })).toThrow(/at least one/);
    expect(() => nixCopyInvocation({ ...request, paths: ['--to=elsewhere'] })).toThrow(
      /not an absolute store path/,
    );
  });
});
