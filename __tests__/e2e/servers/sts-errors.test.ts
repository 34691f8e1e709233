import { describe, expect, it } from '@jest/globals';
import { AssumeRoleWithWebIdentityCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { startOidcServer } from '../../servers/oidc.js';
import { STS_ERRORS, startStsServer, type StsErrorCode } from '../../servers/sts.js';
import {
  assume,
  client,
  failure,
  githubToken,
  oidc,
  ROLE,
  sts,
  WRITER,
  type SdkError,
} from './sts-fixture.js';

describe('fake STS errors, as the SDK sees them', () => {
  const expectError = async (
    p: Promise<unknown>,
    name: string,
    status: number,
    message?: RegExp,
  ): Promise<SdkError> => {
    const err = await failure(p);
    expect({ name: err.name, status: err.$metadata.httpStatusCode }).toEqual({ name, status });
    if (message !== undefined) expect(err.message).toMatch(message);
    return err;
  };

  it('AccessDenied (403) when the trust policy does not match sub, aud, other claims or the role', async () => {
    const denied = /^Not authorized to perform sts:AssumeRoleWithWebIdentity$/;
    await expectError(
      assume(oidc.mint({ repository: 'evil-org/octo-repo' }, 'sts.amazonaws.com')),
      'AccessDenied',
      403,
      denied,
    );
    await expectError(assume(await githubToken('some-other-audience')), 'AccessDenied', 403, denied);
    await expectError(
      assume(await githubToken(), { RoleArn: 'arn:aws:iam::123456789012:role/nope' }),
      'AccessDenied',
      403,
    );
    const dev = oidc.mint({ ref: 'refs/heads/dev' }, 'sts.amazonaws.com');
    await expectError(assume(dev, { RoleArn: WRITER }), 'AccessDenied', 403);
    const main = oidc.mint({ actor: 'octobot' }, 'sts.amazonaws.com');
    await expectError(assume(main, { RoleArn: WRITER }), 'AccessDenied', 403); // actor must match octo?at
    await expect(
      assume(oidc.mint({ actor: 'octocat' }, 'sts.amazonaws.com'), { RoleArn: WRITER }),
    ).resolves.toBeDefined();
    expect(sts.sessions.map((s) => s.roleArn)).toEqual([WRITER]);
  });

  it('InvalidIdentityToken (400) for a bad signature, an unknown issuer, a malformed token, a wrong client id', async () => {
    const good = await githubToken();
    const [h, p] = good.split('.') as [string, string];
    const foreign = (await githubToken()).split('.')[2]!;
    const invalid = 'InvalidIdentityTokenException';
    await expectError(assume(`${h}.${p}.${foreign}`), invalid, 400, /bad-signature/);
    await expectError(assume('not.a.jwt'), invalid, 400, /^Invalid token format$/);
    const stranger = await startOidcServer();
    try {
      await expectError(
        assume(stranger.mint({}, 'sts.amazonaws.com')),
        invalid,
        400,
        /^No OpenIDConnect provider found in your account for http:\/\/127\.0\.0\.1:\d+$/,
      );
    } finally {
      await stranger.close();
    }
    sts.providers[0]!.clientIds = ['sigstore'];
    await expectError(assume(good), invalid, 400, /^Incorrect token audience$/);
  });

  it("InvalidIdentityToken when the issuer's keys cannot be fetched, IDPCommunicationError when it hangs", async () => {
    oidc.http.fault({ kind: 'status', status: 500, match: '/.well-known/jwks' });
    const token = await githubToken();
    await expectError(
      assume(token),
      'InvalidIdentityTokenException',
      400,
      /^Couldn't retrieve verification key/,
    );
    oidc.http.fault({ kind: 'hang', match: '/.well-known/jwks' });
    const fresh = await startStsServer({
      providers: [oidc.issuer],
      roles: [{ arn: ROLE }],
      idpTimeoutMs: 300,
    });
    try {
      const c = new STSClient({ endpoint: fresh.url, region: 'us-east-1', maxAttempts: 1 });
      const input = { RoleArn: ROLE, RoleSessionName: 'x1', WebIdentityToken: token };
      await expectError(
        c.send(new AssumeRoleWithWebIdentityCommand(input)),
        'IDPCommunicationErrorException',
        400,
      );
      // the next call fetches the keys again and succeeds
      await expect(c.send(new AssumeRoleWithWebIdentityCommand(input))).resolves.toBeDefined();
    } finally {
      await fresh.close();
    }
  });

  it('picks up a rotated signing key', async () => {
    oidc.http.clearLog();
    await assume(await githubToken());
    oidc.rotateKey();
    await expect(assume(await githubToken())).resolves.toBeDefined();
    expect(oidc.http.requests.filter((r) => r.path === '/.well-known/jwks')).toHaveLength(2);
  });

  it('ExpiredTokenException (400) for an expired GitHub token, with AWS wording', async () => {
    const iat = Math.floor(Date.now() / 1000) - 900;
    const old = oidc.mint({ iat, exp: iat + 300 }, 'sts.amazonaws.com');
    await expectError(
      assume(old),
      'ExpiredTokenException',
      400,
      /^Token expired: current date\/time \d+ must be before the expiration date\/time \d+$/,
    );
  });

  it('ValidationError (400) for session names, durations and policies; MalformedPolicyDocument', async () => {
    const token = await githubToken();
    const v = 'ValidationError';
    await expectError(assume(token, { RoleSessionName: 'a' }), v, 400, /roleSessionName.*length/);
    await expectError(assume(token, { RoleSessionName: 'x'.repeat(65) }), v, 400, /roleSessionName/);
    await expectError(assume(token, { RoleSessionName: 'has space' }), v, 400, /regular expression/);
    await expectError(assume(token, { DurationSeconds: 899 }), v, 400, /durationSeconds/);
    await expectError(assume(token, { DurationSeconds: 43201 }), v, 400, /durationSeconds/);
    await expectError(assume(token, { DurationSeconds: 7201 }), v, 400, /exceeds the MaxSessionDuration/);
    await expectError(assume(token, { RoleArn: 'role/nix' }), v, 400, /roleArn/);
    await expectError(assume(token, { Policy: `{"a":"${'x'.repeat(2048)}"}` }), v, 400, /policy/);
    await expectError(assume(token, { Policy: '{not json' }), 'MalformedPolicyDocumentException', 400);
    expect(sts.sessions).toHaveLength(0);
    await expect(assume(token, { RoleSessionName: 'ab', DurationSeconds: 7200 })).resolves.toBeDefined();
  });

  it('Throttling is retried by the SDK; failNext can target one action', async () => {
    sts.failNext('Throttling', 2);
    const token = await githubToken();
    const out = await assume(token, {}, 3);
    expect(out.$metadata.attempts).toBe(3);
    sts.failNext('Throttling');
    await expectError(assume(token), 'Throttling', 400, /^Rate exceeded$/);
    sts.failNext('InternalFailure', 1, { action: 'GetCallerIdentity' });
    const { Credentials: c } = await assume(token);
    await expectError(client(1, c).send(new GetCallerIdentityCommand({})), 'InternalFailure', 500);
  });

  it('answers every catalogued error code with its status and a parseable error', async () => {
    const token = await githubToken();
    const modeled: Partial<Record<StsErrorCode, string>> = {
      IDPCommunicationError: 'IDPCommunicationErrorException',
      IDPRejectedClaim: 'IDPRejectedClaimException',
      InvalidIdentityToken: 'InvalidIdentityTokenException',
      MalformedPolicyDocument: 'MalformedPolicyDocumentException',
      PackedPolicyTooLarge: 'PackedPolicyTooLargeException',
    };
    for (const [code, [status, message]] of Object.entries(STS_ERRORS)) {
      sts.failNext(code as StsErrorCode, 1, { message: `${message} (injected)` });
      const err = await expectError(assume(token), modeled[code as StsErrorCode] ?? code, status);
      expect(err.message).toBe(`${message} (injected)`);
      expect(err.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);
    }
    expect(sts.sessions).toHaveLength(0);
  });

  it('survives generic HTTP faults the SDK retries (503, connection reset)', async () => {
    sts.http.fault({ kind: 'status', status: 503 });
    sts.http.fault({ kind: 'reset' });
    const out = await assume(await githubToken(), {}, 3);
    expect(out.Credentials).toBeDefined();
    expect(sts.http.requests.map((r) => r.status)).toEqual([503, 0, 200]);
  });
});
