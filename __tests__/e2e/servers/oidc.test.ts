import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { getIDToken } from '@actions/core';
import { withEnv } from '../../servers/env.js';
import { decodeJwt, JwksCache, JwtError, verifyJwt } from '../../servers/jwt.js';
import { startOidcServer, type OidcServer } from '../../servers/oidc.js';

let oidc: OidcServer;

beforeEach(async () => {
  oidc = await startOidcServer();
});
afterEach(async () => {
  await oidc.close();
});

const mintViaCore = (audience?: string): Promise<string> => withEnv(oidc.env(), () => getIDToken(audience));

describe('OIDC token service', () => {
  it('serves a discovery document and JWKS like GitHub', async () => {
    const discovery = (await (await fetch(`${oidc.url}/.well-known/openid-configuration`)).json()) as Record<
      string,
      unknown
    >;
    expect(discovery).toMatchObject({
      issuer: oidc.issuer,
      jwks_uri: oidc.jwksUrl,
      id_token_signing_alg_values_supported: ['RS256'],
    });
    const keys = (await (await fetch(oidc.jwksUrl)).json()) as { keys: { kid: string }[] };
    expect(keys.keys.map((k) => k.kid)).toEqual([oidc.keys[0]!.kid]);
    expect(oidc.requestUrl).toBe(`${oidc.url}/_apis/idtoken?api-version=2.0`);
  });

  it("mints a verifiable token through @actions/core's getIDToken", async () => {
    const token = await mintViaCore('sts.amazonaws.com');
    const claims = await verifyJwt(token, {
      jwksUrl: oidc.jwksUrl,
      issuer: oidc.issuer,
      audience: 'sts.amazonaws.com',
    });
    expect(claims).toMatchObject({
      iss: oidc.url,
      aud: 'sts.amazonaws.com',
      sub: 'repo:octo-org/octo-repo:ref:refs/heads/main',
      repository: 'octo-org/octo-repo',
      repository_owner: 'octo-org',
      ref: 'refs/heads/main',
      ref_type: 'branch',
      event_name: 'push',
      runner_environment: 'github-hosted',
      job_workflow_ref: 'octo-org/octo-repo/.github/workflows/ci.yml@refs/heads/main',
    });
    expect(claims.exp! - claims.iat!).toBe(300);
    expect(Math.abs(claims.iat! - Date.now() / 1000)).toBeLessThan(10);
    expect(claims.sha).toMatch(/^[0-9a-f]{40}$/);
    for (const id of ['repository_id', 'repository_owner_id', 'run_id', 'run_attempt', 'actor_id']) {
      expect(claims[id]).toMatch(/^\d+$/);
    }
    expect(oidc.issued).toHaveLength(1);
    expect(oidc.issued[0]!.token).toBe(token);
    const [req] = oidc.http.requests;
    expect(req).toMatchObject({ method: 'GET', path: '/_apis/idtoken', status: 200 });
    expect(req!.query).toEqual({ 'api-version': '2.0', audience: 'sts.amazonaws.com' });
    expect(req!.headers.authorization).toBe(`Bearer ${oidc.requestToken}`);
  });

  it('defaults the audience to the owner URL, as GitHub does', async () => {
    const { claims } = decodeJwt(await mintViaCore());
    expect(claims.aud).toBe('https://github.com/octo-org');
  });

  it('refuses a wrong or missing request token with 401', async () => {
    await expect(
      withEnv({ ...oidc.env(), ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'wrong' }, () => getIDToken('x')),
    ).rejects.toThrow(/401/);
    expect((await fetch(`${oidc.requestUrl}&audience=x`)).status).toBe(401);
    expect(oidc.issued).toHaveLength(0);
  });

  it('is retried by @actions/core after a 503', async () => {
    oidc.http.fault({ kind: 'status', status: 503, match: '/_apis/idtoken' });
    const token = await mintViaCore('a');
    expect(decodeJwt(token).claims.aud).toBe('a');
    expect(oidc.http.requests.map((r) => r.status)).toEqual([503, 200]);
  });

  it('derives sub for environments, pull requests and tags, and with ids', async () => {
    const subOf = (t: string): unknown => decodeJwt(t).claims.sub;
    expect(subOf(oidc.mint({ environment: 'production' }))).toBe(
      'repo:octo-org/octo-repo:environment:production',
    );
    expect(subOf(oidc.mint({ event_name: 'pull_request', ref: 'refs/pull/7/merge' }))).toBe(
      'repo:octo-org/octo-repo:pull_request',
    );
    expect(subOf(oidc.mint({ ref: 'refs/tags/v1.0', ref_type: 'tag' }))).toBe(
      'repo:octo-org/octo-repo:ref:refs/tags/v1.0',
    );
    expect(subOf(oidc.mint({ repository: 'acme/tool' }))).toBe('repo:acme/tool:ref:refs/heads/main');
    expect(decodeJwt(oidc.mint({ repository: 'acme/tool' })).claims.repository_owner).toBe('acme');
    const withIds = await startOidcServer({
      subjectWithIds: true,
      claims: { repository_id: '5', repository_owner_id: '6' },
    });
    try {
      expect(subOf(withIds.mint())).toBe('repo:octo-org@6/octo-repo@5:ref:refs/heads/main');
    } finally {
      await withIds.close();
    }
  });

  it('applies server-wide claims, one-shot overrides and the configured lifetime', async () => {
    const short = await startOidcServer({
      lifetimeSec: 60,
      claims: { ref: 'refs/heads/dev', actor: 'mona' },
    });
    try {
      short.overrideNext({ sub: 'custom-subject', aud: 'forced' });
      const env = short.env();
      const first = decodeJwt(await withEnv(env, () => getIDToken('asked'))).claims;
      const second = decodeJwt(await withEnv(env, () => getIDToken('asked'))).claims;
      expect(first).toMatchObject({ sub: 'custom-subject', aud: 'forced', actor: 'mona' });
      expect(second).toMatchObject({
        sub: 'repo:octo-org/octo-repo:ref:refs/heads/dev',
        aud: 'asked',
        actor: 'mona',
      });
      expect(second.exp! - second.iat!).toBe(60);
      short.setClaims({ environment: 'staging' });
      expect(decodeJwt(short.mint()).claims.sub).toBe('repo:octo-org/octo-repo:environment:staging');
      expect(first.jti).not.toBe(second.jti);
    } finally {
      await short.close();
    }
  });

  it('rotates keys: new tokens use the new kid, old keys stay published unless dropped', async () => {
    const before = oidc.mint();
    const newKey = oidc.rotateKey();
    const after = await mintViaCore('x');
    expect(decodeJwt(after).header.kid).toBe(newKey.kid);
    const cache = new JwksCache(oidc.jwksUrl);
    await expect(verifyJwt(before, { cache })).resolves.toBeDefined();
    await expect(verifyJwt(after, { cache })).resolves.toBeDefined();

    oidc.rotateKey({ dropOld: true });
    const fresh = new JwksCache(oidc.jwksUrl);
    await expect(verifyJwt(oidc.mint(), { cache: fresh })).resolves.toBeDefined();
    const refused = await verifyJwt(before, { cache: fresh }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(JwtError);
    expect((refused as JwtError).reason).toBe('unknown-kid');
  });

  it('mints expired tokens on request', async () => {
    const iat = Math.floor(Date.now() / 1000) - 1000;
    const token = oidc.mint({ iat, exp: iat + 300 });
    const err = await verifyJwt(token, { jwksUrl: oidc.jwksUrl }).catch((e: unknown) => e);
    expect((err as JwtError).reason).toBe('expired');
  });
});
