import { describe, expect, it } from '@jest/globals';
import {
  AssumeRoleWithWebIdentityCommand,
  GetCallerIdentityCommand,
  STSClient,
  type Credentials,
} from '@aws-sdk/client-sts';
import { startStsServer, stringLike } from '../../servers/sts.js';
import { assume, client, failure, githubToken, oidc, ROLE, sts } from './sts-fixture.js';

describe('fake STS with @aws-sdk/client-sts', () => {
  it('receives the AWS Query protocol: an unsigned form-encoded POST', async () => {
    await assume(await githubToken(), { DurationSeconds: 900 });
    const [req] = sts.http.requests;
    expect(req!.method).toBe('POST');
    expect(req!.path).toBe('/');
    expect(req!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(req!.headers.authorization).toBeUndefined();
    const form = new URLSearchParams(req!.bodyText);
    expect(form.get('Action')).toBe('AssumeRoleWithWebIdentity');
    expect(form.get('Version')).toBe('2011-06-15');
    expect(form.get('RoleArn')).toBe(ROLE);
    expect(form.get('DurationSeconds')).toBe('900');
  });

  it('assumes a role with a GitHub token and answers like AWS', async () => {
    const token = await githubToken();
    const t0 = Date.now();
    const out = await assume(token, { Policy: '{"Version":"2012-10-17","Statement":[]}' });
    const c = out.Credentials!;
    expect(c.AccessKeyId).toMatch(/^ASIA[A-Z2-7]{16}$/);
    expect(c.SecretAccessKey!.length).toBe(40);
    expect(c.SessionToken!.length).toBeGreaterThan(100);
    expect(c.Expiration).toBeInstanceOf(Date);
    expect(Math.abs(c.Expiration!.getTime() - (t0 + 3600_000))).toBeLessThan(5000);
    expect(out.AssumedRoleUser!.Arn).toBe('arn:aws:sts::123456789012:assumed-role/nix-cache/gh-42');
    expect(out.AssumedRoleUser!.AssumedRoleId).toMatch(/^AROA[0-9A-F]{17}:gh-42$/);
    expect(out.SubjectFromWebIdentityToken).toBe('repo:octo-org/octo-repo:ref:refs/heads/main');
    expect(out.Audience).toBe('sts.amazonaws.com');
    expect(out.Provider).toBe(
      `arn:aws:iam::123456789012:oidc-provider/${oidc.issuer.replace('http://', '')}`,
    );
    expect(out.SessionTokenUtilization).toBeGreaterThan(0);
    expect(out.SessionTokenSize).toBe(c.SessionToken!.length);
    expect(out.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(sts.sessions).toHaveLength(1);
    expect(sts.sessions[0]).toMatchObject({
      accessKeyId: c.AccessKeyId,
      roleArn: ROLE,
      sessionName: 'gh-42',
    });

    const longer = await assume(token, { DurationSeconds: 7200, RoleSessionName: 'a.b@c=d,e+f-g_h' });
    expect(longer.Credentials!.Expiration!.getTime() - Date.now()).toBeGreaterThan(7100_000);
  });

  it('proves issued credentials with a SigV4-signed GetCallerIdentity', async () => {
    const { Credentials: c } = await assume(await githubToken());
    const me = await client(1, c).send(new GetCallerIdentityCommand({}));
    expect(me).toMatchObject({
      Account: '123456789012',
      Arn: 'arn:aws:sts::123456789012:assumed-role/nix-cache/gh-42',
      UserId: sts.sessions[0]!.assumedRoleId,
    });
    const req = sts.http.requests.at(-1)!;
    expect(req.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=ASIA\w+\/\d{8}\/us-east-1\/sts\/aws4_request/,
    );
    expect(req.identity).toBe(me.Arn);

    const signedWith = (patch: Partial<Credentials>) =>
      client(1, { ...c!, ...patch }).send(new GetCallerIdentityCommand({}));
    const badSecret = await failure(signedWith({ SecretAccessKey: 'x'.repeat(40) }));
    expect([badSecret.name, badSecret.$metadata.httpStatusCode]).toEqual(['SignatureDoesNotMatch', 403]);
    const unknownKey = await failure(signedWith({ AccessKeyId: 'ASIAAAAAAAAAAAAAAAAA' }));
    expect([unknownKey.name, unknownKey.$metadata.httpStatusCode]).toEqual(['InvalidClientTokenId', 403]);
    const wrongToken = await failure(signedWith({ SessionToken: 'forged' }));
    expect(wrongToken.name).toBe('InvalidClientTokenId');
    const unsigned = await fetch(sts.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'Action=GetCallerIdentity&Version=2011-06-15',
    });
    expect(unsigned.status).toBe(403);
    expect(await unsigned.text()).toMatch(
      /^<\?xml[^>]*>\n<ErrorResponse xmlns="https:\/\/sts.amazonaws.com\/doc\/2011-06-15\/"><Error><Type>Sender<\/Type><Code>MissingAuthenticationToken<\/Code><Message>[^<]+<\/Message><\/Error><RequestId>[0-9a-f-]{36}<\/RequestId><\/ErrorResponse>/,
    );

    sts.expireSession(c!.AccessKeyId!);
    const expired = await failure(client(1, c).send(new GetCallerIdentityCommand({})));
    expect([expired.name, expired.message]).toEqual([
      'ExpiredToken',
      'The security token included in the request is expired',
    ]);
  });

  it('lets credentials expire early with sessionLifetimeSec', async () => {
    const quick = await startStsServer({
      providers: [oidc.issuer],
      roles: [{ arn: ROLE }],
      sessionLifetimeSec: 1,
    });
    try {
      const direct = new STSClient({ endpoint: quick.url, region: 'us-east-1', maxAttempts: 1 });
      const { Credentials: c } = await direct.send(
        new AssumeRoleWithWebIdentityCommand({
          RoleArn: ROLE,
          RoleSessionName: 's1',
          WebIdentityToken: await githubToken(),
        }),
      );
      expect(c!.Expiration!.getTime() - Date.now()).toBeLessThanOrEqual(1000);
      const signed = new STSClient({
        endpoint: quick.url,
        region: 'us-east-1',
        maxAttempts: 1,
        credentials: {
          accessKeyId: c!.AccessKeyId!,
          secretAccessKey: c!.SecretAccessKey!,
          sessionToken: c!.SessionToken!,
        },
      });
      await new Promise((r) => setTimeout(r, 1100));
      expect((await failure(signed.send(new GetCallerIdentityCommand({})))).name).toBe('ExpiredToken');
    } finally {
      await quick.close();
    }
  });
});

describe('stringLike', () => {
  it('matches like IAM StringLike', () => {
    expect(stringLike('repo:o/*', 'repo:o/r:ref:refs/heads/main')).toBe(true);
    expect(stringLike('repo:o/?', 'repo:o/r')).toBe(true);
    expect(stringLike('repo:o/?', 'repo:o/rr')).toBe(false);
    expect(stringLike('repo:o/r:ref:refs/heads/main', 'repo:o/r:ref:refs/heads/main2')).toBe(false);
    expect(stringLike('repo:o.r/*', 'repo:oXr/x')).toBe(false);
    expect(stringLike('*', '')).toBe(true);
  });
});
