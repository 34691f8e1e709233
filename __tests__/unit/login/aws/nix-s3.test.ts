import { describe, expect, it } from '@jest/globals';
import { ActionError } from '../../../../src/util/errors.js';
import { s3CopyEnv, storeUrlWithProfile } from '../../../../src/login/aws/nix-s3.js';

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

describe('s3CopyEnv', () => {
  const files = {
    credentials: '/home/runner/work/_temp/nix-cache-action/aws/credentials',
    config: '/home/runner/work/_temp/nix-cache-action/aws/config',
  };

  it('points the AWS chain at the job user’s files and our profile: paths and a name only', () => {
    expect(s3CopyEnv(files)).toEqual({
      AWS_SHARED_CREDENTIALS_FILE: files.credentials,
      AWS_CONFIG_FILE: files.config,
      AWS_PROFILE: 'nix-cache-action',
    });
  });

  it('refuses relative paths and paths with newlines', () => {
    expect(() => s3CopyEnv({ ...files, credentials: 'credentials' })).toThrow(/must be absolute/);
    expect(() => s3CopyEnv({ ...files, config: '/a\nb' })).toThrow(/must be absolute/);
  });
});
