import { describe, expect, it } from '@jest/globals';
import {
  conditionJson,
  conditionKeyPrefix,
  decodeClaims,
  repositorySubjectPattern,
  suggestedCondition,
} from '../../../../src/login/aws/claims.js';
import { accessDeniedMessage } from '../../../../src/login/aws/denied.js';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
/** An unsigned JWT-shaped string (the signature part is irrelevant to decoding). */
const jwt = (claims: Record<string, unknown>) =>
  `${b64({ alg: 'RS256', kid: 'k' })}.${b64(claims)}.c2lnbmF0dXJl`;

const GITHUB = {
  iss: 'https://token.actions.githubusercontent.com',
  sub: 'repo:octo-org/octo-repo:environment:production',
  aud: 'sts.amazonaws.com',
  repository: 'octo-org/octo-repo',
  ref: 'refs/heads/main',
  environment: 'production',
  job_workflow_ref: 'octo-org/octo-repo/.github/workflows/ci.yml@refs/heads/main',
  exp: 1,
};

describe('decodeClaims', () => {
  it('reads the claims a trust policy tests', () => {
    expect(decodeClaims(jwt(GITHUB))).toEqual({
      iss: GITHUB.iss,
      sub: GITHUB.sub,
      aud: ['sts.amazonaws.com'],
      repository: 'octo-org/octo-repo',
      ref: 'refs/heads/main',
      environment: 'production',
      jobWorkflowRef: GITHUB.job_workflow_ref,
      exp: 1000, // `exp` is in seconds; read as epoch milliseconds
    });
  });

  it('takes a list of audiences, and leaves absent or non-string claims undefined', () => {
    const claims = decodeClaims(jwt({ sub: 's', aud: ['a', 7, 'b'], ref: 3, environment: '' }))!;
    expect(claims.aud).toEqual(['a', 'b']);
    expect([claims.ref, claims.environment, claims.repository, claims.iss]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });

  it.each([
    '',
    'a.b',
    'a.b.c.d',
    'x.%%%.y',
    `x.${Buffer.from('not json').toString('base64url')}.y`,
    `x.${b64([1])}.y`,
  ])('gives undefined for %j', (token) => {
    expect(decodeClaims(token)).toBeUndefined();
  });
});

describe('the suggested trust condition', () => {
  it('keys conditions by the issuer without its scheme', () => {
    expect(conditionKeyPrefix('https://token.actions.githubusercontent.com')).toBe(
      'token.actions.githubusercontent.com',
    );
    expect(conditionKeyPrefix('https://token.actions.githubusercontent.com/octo-ent/')).toBe(
      'token.actions.githubusercontent.com/octo-ent',
    );
    expect(conditionKeyPrefix('http://127.0.0.1:4000')).toBe('127.0.0.1:4000');
    expect(conditionKeyPrefix(undefined)).toBe('token.actions.githubusercontent.com');
  });

  it.each([
    ['repo:o/r:ref:refs/heads/main', 'repo:o/r:*'],
    ['repo:o/r:environment:prod:uction', 'repo:o/r:*'],
    ['repo:o/r:pull_request', 'repo:o/r:*'],
    ['repo:octo@91234567/repo@812345678:ref:refs/tags/v1', 'repo:octo@91234567/repo@812345678:*'],
    ['custom-subject', 'custom-subject'],
  ])('covers the repository of %j', (sub, pattern) => {
    expect(repositorySubjectPattern(sub)).toBe(pattern);
  });

  it('renders JSON a user can paste', () => {
    const condition = suggestedCondition(decodeClaims(jwt(GITHUB))!)!;
    const json = conditionJson(condition);
    expect(json).toBe(
      [
        '"Condition": {',
        '  "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},',
        '  "StringLike": {"token.actions.githubusercontent.com:sub": "repo:octo-org/octo-repo:*"}',
        '}',
      ].join('\n'),
    );
    expect(JSON.parse(`{${json}}`)).toEqual({
      Condition: {
        StringEquals: { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com' },
        StringLike: { 'token.actions.githubusercontent.com:sub': 'repo:octo-org/octo-repo:*' },
      },
    });
  });

  it('suggests nothing without a sub or an audience', () => {
    expect(suggestedCondition(decodeClaims(jwt({ aud: 'x' }))!)).toBeUndefined();
    expect(suggestedCondition(decodeClaims(jwt({ sub: 'x' }))!)).toBeUndefined();
  });
});

describe('accessDeniedMessage', () => {
  const role = 'arn:aws:iam::123456789012:role/nix-cache';
  const said = 'AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity (HTTP 403)';

  it('shows the claims, the condition and the principal, never the token', () => {
    const token = jwt(GITHUB);
    const message = accessDeniedMessage(role, said, decodeClaims(token));
    expect(message).toBe(
      [
        `AWS STS denied this job the role ${role} (${said}): the role's trust policy does not accept this job's token, or the role does not exist.`,
        'The token says:',
        '  sub: repo:octo-org/octo-repo:environment:production',
        '  aud: sts.amazonaws.com',
        '  repository: octo-org/octo-repo',
        '  ref: refs/heads/main',
        '  environment: production',
        '  job_workflow_ref: octo-org/octo-repo/.github/workflows/ci.yml@refs/heads/main',
        '  iss: https://token.actions.githubusercontent.com',
        'A trust policy statement with this condition lets every job of octo-org/octo-repo in (narrow the sub pattern to a branch or an environment as you need):',
        '  "Condition": {',
        '    "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},',
        '    "StringLike": {"token.actions.githubusercontent.com:sub": "repo:octo-org/octo-repo:*"}',
        '  }',
        'The statement needs "Principal": {"Federated": "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"} and "Action": "sts:AssumeRoleWithWebIdentity". Also check that the role ARN is right.',
      ].join('\n'),
    );
    expect(message).not.toContain(token.split('.')[1]!);
  });

  it('says (none) for absent claims and uses the partition of the role', () => {
    const claims = decodeClaims(
      jwt({ ...GITHUB, environment: undefined, sub: 'repo:o/r:ref:refs/heads/x' }),
    )!;
    const message = accessDeniedMessage('arn:aws-cn:iam::123456789012:role/r', said, claims);
    expect(message).toContain('  environment: (none)\n');
    expect(message).toContain(
      '"arn:aws-cn:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"',
    );
  });

  it('still helps when the token cannot be read', () => {
    expect(accessDeniedMessage(role, said, undefined)).toMatch(
      /does not accept this job's token, or the role does not exist\.\nThe token's claims could not be read; check the trust policy's conditions on sub and aud\.$/,
    );
  });
});
