import { describe, expect, it } from '@jest/globals';
import { ActionError } from '../../../../src/util/errors.js';
import {
  checkPartition,
  parseDuration,
  parsePolicy,
  parseRegion,
  parseRoleArn,
  parseStsEndpoint,
  regionPartition,
  roleArnParts,
} from '../../../../src/login/aws/validate.js';

/** The ActionError `fn` throws (fails the test when it throws nothing or something else). */
function thrown(fn: () => unknown): ActionError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ActionError);
    return error as ActionError;
  }
  throw new Error('expected an ActionError');
}

describe('parseRoleArn', () => {
  it.each([
    'arn:aws:iam::123456789012:role/nix-cache',
    'arn:aws:iam::123456789012:role/path/to/Name',
    'arn:aws-us-gov:iam::123456789012:role/gov',
    'arn:aws-cn:iam::123456789012:role/cn.role+a=b,c@d_e-f',
    `arn:aws:iam::123456789012:role/${'r'.repeat(64)}`,
  ])('accepts %s', (arn) => {
    expect(parseRoleArn('role-to-assume', arn)).toBe(arn);
  });

  it('drops surrounding whitespace (a YAML block leaves a newline)', () => {
    expect(parseRoleArn('role-to-assume', '  arn:aws:iam::123456789012:role/x\n')).toBe(
      'arn:aws:iam::123456789012:role/x',
    );
  });

  it.each([
    ['', /^Input 'role-to-assume' is empty; expected arn:aws:iam::123456789012:role\/NAME/],
    ['arn:aws:iam::123456789012:role/a b', /contains a space at position 33/],
    ['arn:aws:iam::123456789012:role/a\tb', /contains a tab at position 33/],
    ['nix-cache', /is not an ARN \(6 fields separated by ":"\)/],
    ['arn:aws:iam::123456789012:user/ci', /is the ARN of an IAM user, not of a role/],
    ['arn:aws:iam::123456789012:group/ci', /is the ARN of an IAM group, not of a role/],
    ['arn:aws:iam::123456789012:policy/p', /names a 'policy' that is not a role/],
    ['arn:aws:iam:::role/x', /has no account id/],
    ['arn:aws:iam::1234:role/x', /has an account id that is not 12 digits/],
    ['arn:aws:iam:us-east-1:123456789012:role/x', /has a region, but IAM ARNs have none/],
    ['arn:aws:sts::123456789012:assumed-role/x/session', /is an assumed-role \(session\) ARN/],
    ['arn:aws:s3:::bucket/x:y', /is not an ARN|is not an IAM ARN/],
    ['arn:aws:s3::123456789012:role/x', /is not an IAM ARN/],
    ['arn:aws-iso:iam::123456789012:role/x', /has the partition 'aws-iso', which is not known/],
    ['arn:aws:iam::123456789012:role/', /has no role name after role\//],
    ['arn:aws:iam::123456789012:role', /has no role name after role\//],
    ['arn:aws:iam::123456789012:role/a*b', /has an invalid role name/],
    [`arn:aws:iam::123456789012:role/${'r'.repeat(65)}`, /has an invalid role name/],
    ['arn:aws:iam::123456789012:role//x', /has an empty or invalid path part/],
  ])('rejects %j', (value, message) => {
    const error = thrown(() => parseRoleArn('role-to-assume', value));
    expect(error.message).toMatch(message);
    expect(error.message).toMatch(/^Input 'role-to-assume' /);
  });

  it('splits an accepted ARN into partition, account and name', () => {
    expect(roleArnParts('arn:aws-cn:iam::123456789012:role/a/b/Name')).toEqual({
      partition: 'aws-cn',
      account: '123456789012',
      name: 'Name',
    });
    expect(roleArnParts('arn:aws:iam::123456789012:user/x')).toBeUndefined();
  });
});

describe('parseRegion', () => {
  it.each([
    ['eu-west-1', 'eu-west-1'],
    ['us-gov-west-1', 'us-gov-west-1'],
    ['cn-north-1', 'cn-north-1'],
    ['ap-southeast-5', 'ap-southeast-5'],
    ['us-isob-east-1', 'us-isob-east-1'],
    [' EU-Central-1 ', 'eu-central-1'],
  ])('accepts %j', (value, region) => {
    expect(parseRegion('aws-region', value)).toBe(region);
  });

  it('gives undefined for an empty value', () => {
    expect(parseRegion('aws-region', '  ')).toBeUndefined();
  });

  it.each([
    [
      'eu-west-1a',
      /^Input 'aws-region' is an availability zone, not a region; give its region, 'eu-west-1'\.$/,
    ],
    ['europe', /^Input 'aws-region' is not a region name; expected an AWS region such as eu-west-1/],
    ['eu-west', /is not a region name/],
    ['eu west 1', /is not a region name/],
    ['https://sts.eu-west-1.amazonaws.com', /is not a region name/],
  ])('rejects %j', (value, message) => {
    expect(thrown(() => parseRegion('aws-region', value)).message).toMatch(message);
  });

  it('knows the partition of a region, and refuses a role of another partition', () => {
    expect(['us-east-1', 'cn-north-1', 'us-gov-east-1'].map(regionPartition)).toEqual([
      'aws',
      'aws-cn',
      'aws-us-gov',
    ]);
    expect(() => {
      checkPartition('role', 'arn:aws:iam::123456789012:role/x', 'region', 'eu-west-1');
    }).not.toThrow();
    expect(
      thrown(() => {
        checkPartition('role', 'arn:aws-cn:iam::123456789012:role/x', 'region', 'eu-west-1');
      }).message,
    ).toBe(
      "Input 'role' is in the aws-cn partition but input 'region' (eu-west-1) is in aws; give a region of the role's partition (cn-north-1 or cn-northwest-1).",
    );
  });
});

describe('parseDuration', () => {
  it('accepts 900 to 43200 seconds; empty is the role default', () => {
    expect(parseDuration('d', '900')).toBe(900);
    expect(parseDuration('d', ' 3600 ')).toBe(3600);
    expect(parseDuration('d', '43200')).toBe(43200);
    expect(parseDuration('d', '')).toBeUndefined();
  });

  it.each([
    [
      '899',
      /^Input 'role-duration-seconds' is 899 seconds, below the minimum; expected a number of seconds from 900/,
    ],
    ['43201', /is 43201 seconds, above the maximum/],
    ['1h', /is not a whole number of seconds/],
    ['3600.5', /is not a whole number of seconds/],
    ['-900', /is not a whole number of seconds/],
  ])('rejects %j', (value, message) => {
    expect(thrown(() => parseDuration('role-duration-seconds', value)).message).toMatch(message);
  });
});

describe('parsePolicy', () => {
  const policy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] };

  it('accepts a JSON object as written; empty gives undefined', () => {
    const text = JSON.stringify(policy, null, 2);
    expect(parsePolicy('p', `\n${text}\n`)).toBe(text);
    expect(parsePolicy('p', ' ')).toBeUndefined();
  });

  it('minifies a policy that is only too long because of its whitespace', () => {
    const big = {
      ...policy,
      Statement: Array.from({ length: 14 }, (_, i) => ({ ...policy.Statement[0], Sid: `S${i}` })),
    };
    const pretty = JSON.stringify(big, null, 8);
    expect(pretty.length).toBeGreaterThan(2048);
    const out = parsePolicy('p', pretty)!;
    expect(out).toBe(JSON.stringify(big));
    expect(out.length).toBeLessThanOrEqual(2048);
  });

  it.each([
    [
      '{"Version": "2012-10-17",\n "Statement": [}',
      /^Input 'session-policy' is not valid JSON at line 2, column \d+; expected an IAM policy/,
    ],
    ['{"Version"', /is not valid JSON/],
    ['[1, 2]', /is JSON but not an object/],
    ['"text"', /is JSON but not an object/],
    ['null', /is JSON but not an object/],
    [
      JSON.stringify({ a: 'x'.repeat(2048) }),
      /is 2056 characters long even without whitespace, over AWS's limit of 2048/,
    ],
  ])('rejects %j', (value, message) => {
    expect(thrown(() => parsePolicy('session-policy', value)).message).toMatch(message);
  });

  it('never quotes the policy text in its message', () => {
    const secretish = '{"Sid": "do-not-echo-me", oops}';
    expect(thrown(() => parsePolicy('p', secretish)).message).not.toContain('do-not-echo-me');
  });
});

describe('parseStsEndpoint', () => {
  it.each([
    ['https://sts.eu-west-1.amazonaws.com', 'https://sts.eu-west-1.amazonaws.com'],
    ['https://sts.example.com:8443/base/', 'https://sts.example.com:8443/base'],
    ['http://127.0.0.1:4566', 'http://127.0.0.1:4566'],
    ['http://localhost:4566/', 'http://localhost:4566'],
    ['http://[::1]:9000', 'http://[::1]:9000'],
    ['', undefined],
  ])('accepts %j', (value, url) => {
    expect(parseStsEndpoint('sts-endpoint', value)).toBe(url);
  });

  it.each([
    ['sts.amazonaws.com', /^Input 'sts-endpoint' is not a URL; expected https:\/\/host/],
    ['http://sts.example.com', /uses http:\/\/ for a host that is not loopback/],
    ['http://10.0.0.1:4566', /uses http:\/\/ for a host that is not loopback/],
    ['ftp://sts.example.com', /is not an http\(s\) URL/],
    ['https://user:pw@sts.example.com', /contains credentials before the host/],
    ['https://sts.example.com/?a=b', /has a query or a fragment/],
  ])('rejects %j', (value, message) => {
    const error = thrown(() => parseStsEndpoint('sts-endpoint', value));
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain('pw@');
  });
});

describe('parsePolicy error places', () => {
  it.each([
    ['{"Version": "2012-10-17",\n "Statement": [}', 'at line 2, column 16'],
    ['{"a": 1,,}', 'at line 1, column 9'],
    ['{} x', 'at line 1, column 4'],
    ['{\n  "a": tru }', 'at line 2, column 11'],
    ['{"Version"', '(it ends too early)'],
  ])('%j: %s', (value, place) => {
    expect(thrown(() => parsePolicy('p', value)).message).toBe(
      `Input 'p' is not valid JSON ${place}; expected an IAM policy as a JSON object, e.g. {"Version":"2012-10-17","Statement":[…]}.`,
    );
  });
});
