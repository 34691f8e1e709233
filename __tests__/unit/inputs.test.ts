import { describe, expect, it } from '@jest/globals';
import { parseBoolean, readInputs } from '../../src/inputs.js';
import { ActionError } from '../../src/util/errors.js';

const reader =
  (values: Record<string, string>) =>
  (name: string): string =>
    values[name] ?? '';

describe('readInputs', () => {
  it('applies defaults when nothing is given', () => {
    const { push, ...rest } = readInputs(reader({}));
    expect(push.enabled).toBe(true);
    expect(rest).toEqual({
      cache: undefined,
      extraSubstituters: [],
      publicKeys: [],
      token: undefined,
      trustedUser: 'auto',
      acceptFlakeConfig: false,
      restoreConfig: 'auto',
      jobSummary: true,
      login: {
        cache: undefined,
        token: undefined,
        tokenEndpoint: undefined,
        audience: undefined,
        aws: undefined,
        awsInputsGiven: [],
      },
    });
  });

  it('reads YAML-style booleans', () => {
    expect(readInputs(reader({ 'job-summary': 'false' })).jobSummary).toBe(false);
    expect(readInputs(reader({ 'job-summary': ' True ' })).jobSummary).toBe(true);
    expect(parseBoolean('x', 'off', true)).toBe(false);
  });

  it('parses the cache, keys and token, and resolves tristates', () => {
    const inputs = readInputs(
      reader({
        cache: 'https://cache.example.org/',
        'public-keys': 'cache.example.org-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY=',
        token: 'tok_123',
        'trusted-user': 'yes',
        'restore-config': 'false',
      }),
    );
    expect(inputs.cache).toEqual({
      url: 'https://cache.example.org',
      scheme: 'https',
      host: 'cache.example.org',
    });
    expect(inputs.publicKeys).toHaveLength(1);
    expect(inputs.token).toBe('tok_123');
    expect(inputs.trustedUser).toBe('true');
    expect(inputs.restoreConfig).toBe('false');
  });

  it('reads the AWS login inputs, and lists the aws-* inputs given', () => {
    const login = readInputs(
      reader({
        cache: 's3://nix-cache?region=eu-west-1',
        'aws-role-arn': 'arn:aws:iam::123456789012:role/nix-cache',
        'aws-role-duration-seconds': '3600',
        'aws-export-credentials': 'true',
      }),
    ).login;
    expect(login.aws).toMatchObject({
      roleArn: 'arn:aws:iam::123456789012:role/nix-cache',
      region: undefined,
      durationSeconds: 3600,
      exportCredentials: true,
    });
    expect(login.awsInputsGiven).toEqual(['aws-role-duration-seconds', 'aws-export-credentials']);
  });

  it.each([
    ['aws-role-arn', { 'aws-role-arn': 'arn:aws:iam::123456789012:user/alice' }],
    ['aws-region', { 'aws-role-arn': 'arn:aws:iam::123456789012:role/r', 'aws-region': 'eu west 1' }],
    [
      'aws-role-duration-seconds',
      { 'aws-role-arn': 'arn:aws:iam::123456789012:role/r', 'aws-role-duration-seconds': '60' },
    ],
    [
      'aws-sts-endpoint',
      { 'aws-role-arn': 'arn:aws:iam::123456789012:role/r', 'aws-sts-endpoint': 'http://sts.example.com' },
    ],
    ['token-endpoint', { 'token-endpoint': 'ftp://exchange.example.org' }],
    ['audience', { audience: 'two words' }],
  ])('names %s in the error for a malformed value', (name, values) => {
    expect(() => readInputs(reader(values))).toThrow(new RegExp(`'${name}'`));
  });

  it('refuses a token without an http(s) cache, naming both inputs', () => {
    expect(() => readInputs(reader({ token: 'tok' }))).toThrow(/'token' needs input 'cache'/);
    expect(() => readInputs(reader({ token: 'tok', cache: 'file:///tmp/cache' }))).toThrow(
      /'token' only works with an http\(s\) cache/,
    );
  });

  it('names the input in a clear error for a bad value', () => {
    expect(() => readInputs(reader({ 'job-summary': 'maybe' }))).toThrow(ActionError);
    expect(() => readInputs(reader({ 'job-summary': 'maybe' }))).toThrow(
      "Input 'job-summary' must be 'true' or 'false', not 'maybe'.",
    );
  });
});
