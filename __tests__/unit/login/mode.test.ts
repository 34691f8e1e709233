import { describe, expect, it } from '@jest/globals';
import type { StoreUrl } from '../../../src/config/types.js';
import { type LoginInputs, decideLogin } from '../../../src/login/mode.js';
import type { LoginMode } from '../../../src/login/types.js';

const https: StoreUrl = { url: 'https://cache.example.org', scheme: 'https', host: 'cache.example.org' };
const s3: StoreUrl = { url: 's3://nix-cache?region=eu-west-1', scheme: 's3' };
const aws = {
  roleArn: 'arn:aws:iam::123456789012:role/nix-cache',
  region: undefined,
  sessionName: '',
  durationSeconds: undefined,
  policy: undefined,
  stsEndpoint: undefined,
  exportCredentials: false,
};
const none: LoginInputs = {
  cache: undefined,
  token: undefined,
  tokenEndpoint: undefined,
  audience: undefined,
  aws: undefined,
  awsInputsGiven: [],
};
const help = (mode: LoginMode): string => `add id-token: write for ${mode.kind}`;

describe('decideLogin', () => {
  it('follows the inputs given', () => {
    expect(decideLogin(none, 'available', help).mode).toEqual({ kind: 'none' });
    expect(decideLogin({ ...none, cache: https, token: 't' }, 'available', help).mode).toEqual({
      kind: 'static-token',
    });
    expect(decideLogin({ ...none, cache: https }, 'available', help).mode).toEqual({
      kind: 'github-jwt',
      audience: 'https://cache.example.org',
    });
    expect(
      decideLogin({ ...none, cache: https, tokenEndpoint: 'https://x.example/exchange' }, 'available', help)
        .mode,
    ).toEqual({
      kind: 'token-exchange',
      endpoint: 'https://x.example/exchange',
      audience: 'https://cache.example.org',
    });
    const awsMode = decideLogin({ ...none, cache: s3, aws }, 'available', help).mode;
    expect(awsMode).toMatchObject({
      kind: 'aws',
      audience: 'sts.amazonaws.com',
      aws: { region: 'eu-west-1' },
    });
  });

  it('uses an http(s) cache without OIDC as a public cache when the job cannot mint a token', () => {
    expect(decideLogin({ ...none, cache: https }, 'missing-permission', help).mode).toEqual({ kind: 'none' });
  });

  it('names both inputs of a contradiction', () => {
    expect(() => decideLogin({ ...none, cache: s3, aws, token: 't' }, 'available', help)).toThrow(
      /'aws-role-arn' and 'token'/,
    );
    expect(() =>
      decideLogin({ ...none, cache: s3, aws, tokenEndpoint: 'https://e' }, 'available', help),
    ).toThrow(/'aws-role-arn' and 'token-endpoint'/);
    expect(() =>
      decideLogin({ ...none, cache: https, token: 't', tokenEndpoint: 'https://e' }, 'available', help),
    ).toThrow(/'token' and 'token-endpoint'/);
    expect(() =>
      decideLogin({ ...none, cache: https, token: 't', audience: 'a' }, 'available', help),
    ).toThrow(/'audience' and 'token'/);
    expect(() => decideLogin({ ...none, cache: https, aws }, 'available', help)).toThrow(
      /'aws-role-arn' needs input 'cache' to be an s3/,
    );
    expect(() =>
      decideLogin({ ...none, cache: https, awsInputsGiven: ['aws-region'] }, 'available', help),
    ).toThrow(/'aws-region' needs input 'aws-role-arn'/);
    expect(() =>
      decideLogin({ ...none, cache: { url: 's3://b', scheme: 's3' }, aws }, 'available', help),
    ).toThrow(/'aws-region' is needed/);
  });

  it('goes pull-only on a fork pull request, and fails elsewhere with the permission help', () => {
    const fork = decideLogin({ ...none, cache: s3, aws }, 'fork-pull-request', help);
    expect(fork).toMatchObject({ mode: { kind: 'none' }, pullOnly: true });
    expect(() => decideLogin({ ...none, cache: s3, aws }, 'missing-permission', help)).toThrow(
      'add id-token: write for aws',
    );
    expect(() => decideLogin({ ...none, cache: https, audience: 'x' }, 'missing-permission', help)).toThrow(
      /github-jwt/,
    );
  });
});
