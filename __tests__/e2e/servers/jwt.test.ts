import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startServer, json, type TestServer } from '../../servers/http.js';
import {
  createSigningKey,
  decodeJwt,
  JwksCache,
  JwtError,
  jwks,
  signJwt,
  verifyJwt,
  type JwtErrorReason,
  type VerifyOptions,
} from '../../servers/jwt.js';

const key = createSigningKey('k1');
const other = createSigningKey('k2');
const now = Math.floor(Date.now() / 1000);
const claims = {
  iss: 'https://issuer.test',
  aud: 'cache',
  sub: 'repo:o/r:ref:refs/heads/main',
  iat: now,
  exp: now + 300,
};
const opts: VerifyOptions = { jwks: jwks([key, other]), issuer: 'https://issuer.test', audience: 'cache' };

async function reason(token: string, o: VerifyOptions = opts): Promise<JwtErrorReason | 'accepted'> {
  try {
    await verifyJwt(token, o);
    return 'accepted';
  } catch (err) {
    if (err instanceof JwtError) return err.reason;
    throw err;
  }
}

describe('jwt', () => {
  it('signs RS256 tokens that verify against the JWKS', async () => {
    const token = signJwt(key, claims);
    const { header } = decodeJwt(token);
    expect(header).toEqual({ alg: 'RS256', typ: 'JWT', kid: 'k1' });
    await expect(verifyJwt(token, opts)).resolves.toEqual(claims);
    const doc = jwks([key]);
    expect(doc.keys[0]).toMatchObject({ kty: 'RSA', kid: 'k1', alg: 'RS256', use: 'sig', e: 'AQAB' });
    expect(Buffer.from(doc.keys[0]!.n, 'base64url')).toHaveLength(256);
    // aud may be a list; any accepted member is enough
    expect(await reason(signJwt(key, { ...claims, aud: ['x', 'cache'] }))).toBe('accepted');
  });

  it('refuses each kind of bad token with its reason', async () => {
    const good = signJwt(key, claims);
    const [h, p, s] = good.split('.') as [string, string, string];
    const forged = Buffer.from(
      JSON.stringify({ ...claims, sub: 'repo:evil/r:ref:refs/heads/main' }),
    ).toString('base64url');
    const noneHeader = Buffer.from(JSON.stringify({ alg: 'none', kid: 'k1' })).toString('base64url');
    const impostor = { ...other, kid: 'k1' }; // right kid, wrong private key

    expect(await reason('not-a-jwt')).toBe('malformed');
    expect(await reason(`${h}.@@@.${s}`)).toBe('malformed');
    expect(await reason(`${noneHeader}.${p}.`)).toBe('unsupported-alg');
    expect(await reason(signJwt(createSigningKey('k9'), claims))).toBe('unknown-kid');
    expect(await reason(`${h}.${forged}.${s}`)).toBe('bad-signature');
    expect(await reason(signJwt(impostor, claims))).toBe('bad-signature');
    expect(await reason(signJwt(key, { ...claims, exp: now - 1 }))).toBe('expired');
    expect(await reason(signJwt(key, { ...claims, nbf: now + 60 }))).toBe('not-yet-valid');
    expect(await reason(signJwt(key, { ...claims, iss: 'https://other.test' }))).toBe('wrong-issuer');
    expect(await reason(signJwt(key, { ...claims, aud: 'sts.amazonaws.com' }))).toBe('wrong-audience');
    expect(await reason(good)).toBe('accepted');
  });

  it('takes the time from `now` and allows a clock tolerance', async () => {
    const token = signJwt(key, claims);
    expect(await reason(token, { ...opts, now: now + 300 })).toBe('expired');
    expect(await reason(token, { ...opts, now: now + 300, clockToleranceSec: 10 })).toBe('accepted');
    expect(await reason(token, { ...opts, now: now - 10 })).toBe('accepted'); // no nbf claim
  });

  describe('JWKS over HTTP', () => {
    let published = [key];
    let server: TestServer;
    beforeAll(async () => {
      server = await startServer(() => json(200, jwks(published)));
    });
    afterAll(async () => {
      await server.close();
    });

    it('fetches once, caches, and refetches for an unknown kid (rotation)', async () => {
      const url = `${server.url}/jwks`;
      expect(
        await reason(signJwt(key, claims), {
          jwksUrl: url,
          issuer: 'https://issuer.test',
          audience: 'cache',
        }),
      ).toBe('accepted');
      const cache = new JwksCache(url);
      const o: VerifyOptions = { cache, issuer: 'https://issuer.test', audience: 'cache' };
      await verifyJwt(signJwt(key, claims), o);
      await verifyJwt(signJwt(key, claims), o);
      expect(cache.fetches).toBe(1);
      published = [key, other];
      await verifyJwt(signJwt(other, claims), o);
      expect(cache.fetches).toBe(2);
      expect(await reason(signJwt(createSigningKey('gone'), claims), o)).toBe('unknown-kid');
      expect(cache.fetches).toBe(3);
    });

    it('reports an unreachable or hanging JWKS endpoint', async () => {
      server.fault({ kind: 'status', status: 500 });
      const o = (timeoutMs: number): VerifyOptions => ({
        cache: new JwksCache(`${server.url}/jwks`, { timeoutMs }),
      });
      expect(await reason(signJwt(key, claims), o(5000))).toBe('jwks-unavailable');
      server.fault({ kind: 'hang' });
      expect(await reason(signJwt(key, claims), o(200))).toBe('jwks-timeout');
      expect(await reason(signJwt(key, claims), { cache: new JwksCache('http://127.0.0.1:1/jwks') })).toBe(
        'jwks-unavailable',
      );
    });
  });
});
