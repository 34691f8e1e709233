// The HTTP binary cache's protocol and authentication with fetch: static tokens, GitHub JWTs and
// the RFC 8693 token exchange.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { getIDToken } from '@actions/core';
import { existsSync } from 'node:fs';
import http from 'node:http';
import { classify, DEFAULT_CACHE_INFO, startCacheServer, type CacheServer } from '../../servers/cache.js';
import { withEnv } from '../../servers/env.js';
import { startOidcServer, type OidcServer } from '../../servers/oidc.js';

const GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ID_TOKEN = 'urn:ietf:params:oauth:token-type:id_token';

let oidc: OidcServer;
let cache: CacheServer | undefined;

beforeAll(async () => {
  oidc = await startOidcServer();
});
afterAll(async () => {
  await oidc.close();
});
afterEach(async () => {
  await cache?.close();
  cache = undefined;
});

const start = async (opts: Parameters<typeof startCacheServer>[0] = {}): Promise<CacheServer> => {
  cache = await startCacheServer({
    tokens: [
      { token: 'w-token', write: true, name: 'w' },
      { token: 'r-token', name: 'r' },
    ],
    oidc: {
      issuer: oidc.issuer,
      audience: 'nix-cache',
      permissions: (c) => ({ read: c.repository_owner === 'octo-org', write: c.ref === 'refs/heads/main' }),
    },
    ...opts,
  });
  return cache;
};

const basic = (password: string, user = 'nix'): Record<string, string> => ({
  authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
});
const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

async function call(
  c: CacheServer,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
) {
  const res = await fetch(`${c.url}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

async function exchange(c: CacheServer, form: Record<string, string>) {
  const res = await fetch(`${c.url}/token-exchange`, { method: 'POST', body: new URLSearchParams(form) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const NARINFO = '/0123456789abcdfghijklmnpqrsvwxyz.narinfo';

describe('binary cache over HTTP', () => {
  it('serves a default nix-cache-info, stores PUT files, answers 404, HEAD and bad requests', async () => {
    const c = await start();
    const info = await call(c, 'GET', '/nix-cache-info', basic('r-token'));
    expect([info.status, info.text, info.headers.get('content-type')]).toEqual([
      200,
      DEFAULT_CACHE_INFO,
      'text/x-nix-cache-info',
    ]);
    expect((await call(c, 'GET', NARINFO, basic('r-token'))).status).toBe(404);
    expect((await call(c, 'PUT', NARINFO, basic('w-token'), 'StorePath: /nix/store/x\n')).status).toBe(201);
    const back = await call(c, 'GET', NARINFO, bearer('r-token'));
    expect([back.status, back.text, back.headers.get('content-type')]).toEqual([
      200,
      'StorePath: /nix/store/x\n',
      'text/x-nix-narinfo',
    ]);
    const head = await call(c, 'HEAD', NARINFO, basic('r-token'));
    expect([head.status, head.headers.get('content-length'), head.text]).toEqual([200, '24', '']);
    expect((await call(c, 'PUT', '/realisations/sha256:abc!out.doi', basic('w-token'), '{}')).status).toBe(
      201,
    );
    expect(existsSync(`${c.dir}/realisations/sha256:abc!out.doi`)).toBe(true);
    const traversal = await new Promise<number>((resolve, reject) => {
      const req = http.get(`${c.url}/nar/../../../../etc/passwd`, { headers: basic('r-token') }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
    });
    expect(traversal).toBe(404); // resolved inside the cache directory, where there is no etc/passwd
    expect(c.http.requests.at(-1)!.path).toBe('/etc/passwd');
    expect((await call(c, 'GET', '/a%00b', basic('r-token'))).status).toBe(400);
    expect((await call(c, 'DELETE', NARINFO, basic('w-token'))).status).toBe(405);
    expect(c.log.map((r) => r.kind)).toEqual([
      'cache-info',
      'narinfo',
      'narinfo',
      'narinfo',
      'narinfo',
      'realisation',
      'other',
      'other',
      'narinfo',
    ]);
  });

  it('classifies cache paths', () => {
    expect(classify('/nar/abc.nar.zst')).toEqual({ kind: 'nar', file: 'abc.nar.zst' });
    expect(classify('/0123456789abcdfghijklmnpqrsvwxyz.ls')).toMatchObject({ kind: 'ls' });
    expect(classify('/log/x.drv')).toEqual({ kind: 'log', file: 'x.drv' });
    expect(classify('/debuginfo/ab.debug')).toMatchObject({ kind: 'debuginfo' });
  });

  it('401 with WWW-Authenticate for missing or wrong credentials, 403 when not permitted', async () => {
    const c = await start({ realm: 'test cache' });
    for (const headers of [{}, basic('nope'), bearer('nope'), { authorization: 'Digest x' }]) {
      const res = await call(c, 'GET', NARINFO, headers);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Basic realm="test cache"');
    }
    const put = await call(c, 'PUT', NARINFO, basic('r-token'), 'x');
    expect([put.status, put.headers.get('www-authenticate')]).toEqual([403, null]);
    expect(c.log.at(-1)).toMatchObject({ status: 403, identity: 'token:r', kind: 'narinfo' });
  });

  it('checks the Basic user name only when configured', async () => {
    const c = await start({ basicUser: 'cache' });
    expect((await call(c, 'GET', NARINFO, basic('r-token', 'nix'))).status).toBe(401);
    expect((await call(c, 'GET', NARINFO, basic('r-token', 'cache'))).status).toBe(404);
  });

  it('publicRead: anonymous reads, writes still need a write credential', async () => {
    const c = await start({ publicRead: true });
    expect((await call(c, 'GET', NARINFO)).status).toBe(404);
    expect((await call(c, 'GET', NARINFO, basic('wrong'))).status).toBe(401);
    expect((await call(c, 'PUT', NARINFO, {}, 'x')).status).toBe(401);
    expect((await call(c, 'PUT', NARINFO, basic('r-token'), 'x')).status).toBe(403);
    expect(c.log[0]!.identity).toBe('anonymous');
  });

  it('publicCacheInfo: only nix-cache-info without credentials; paths, and wrong credentials, get 401', async () => {
    const c = await start({ publicCacheInfo: true });
    expect((await call(c, 'GET', '/nix-cache-info')).status).toBe(200);
    expect((await call(c, 'HEAD', '/nix-cache-info')).status).toBe(200);
    expect((await call(c, 'GET', NARINFO)).status).toBe(401);
    expect((await call(c, 'PUT', '/nix-cache-info', {}, 'x')).status).toBe(401);
    expect((await call(c, 'GET', '/nix-cache-info', basic('wrong'))).status).toBe(401);
    expect((await call(c, 'GET', NARINFO, basic('r-token'))).status).toBe(404);
    expect(c.log.map((r) => r.identity)).toEqual([
      'anonymous',
      'anonymous',
      undefined,
      undefined,
      undefined,
      'token:r',
    ]);
  });

  it('accepts a GitHub JWT directly, with permissions from its claims', async () => {
    const c = await start();
    const main = await withEnv(oidc.env(), () => getIDToken('nix-cache'));
    const dev = oidc.mint({ ref: 'refs/heads/dev' }, 'nix-cache');
    expect((await call(c, 'PUT', NARINFO, basic(main), 'x')).status).toBe(201);
    expect((await call(c, 'PUT', NARINFO, bearer(dev), 'x')).status).toBe(403);
    expect((await call(c, 'GET', NARINFO, bearer(dev))).status).toBe(200);
    expect(
      (await call(c, 'GET', NARINFO, bearer(oidc.mint({ repository: 'evil/x' }, 'nix-cache')))).status,
    ).toBe(403);
    const iat = Math.floor(Date.now() / 1000) - 600;
    for (const refused of [
      oidc.mint({}, 'other-audience'),
      oidc.mint({ iat, exp: iat + 300 }, 'nix-cache'),
      `${main.slice(0, main.lastIndexOf('.'))}.${dev.slice(dev.lastIndexOf('.') + 1)}`,
    ]) {
      const res = await call(c, 'GET', NARINFO, bearer(refused));
      expect(res.status).toBe(401);
      expect(res.text).toMatch(/^the JWT was refused \((wrong-audience|expired|bad-signature)\)/);
    }
    expect(c.log.slice(0, 3).map((r) => r.identity)).toEqual([
      'jwt:repo:octo-org/octo-repo:ref:refs/heads/main',
      'jwt:repo:octo-org/octo-repo:ref:refs/heads/dev',
      'jwt:repo:octo-org/octo-repo:ref:refs/heads/dev',
    ]);
  });
});

describe('token exchange (RFC 8693)', () => {
  it('exchanges a GitHub JWT for a bearer token that works as Bearer and as Basic password', async () => {
    const c = await start();
    const subject = await withEnv(oidc.env(), () => getIDToken('nix-cache'));
    const res = await exchange(c, {
      grant_type: GRANT,
      subject_token: subject,
      subject_token_type: ID_TOKEN,
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      token_type: 'Bearer',
      expires_in: 3600,
      scope: 'read write',
    });
    const token = res.body.access_token as string;
    expect((await call(c, 'PUT', NARINFO, bearer(token), 'x')).status).toBe(201);
    expect((await call(c, 'GET', NARINFO, basic(token))).status).toBe(200);
    expect(c.exchanged).toHaveLength(1);
    expect(c.log.at(-1)!.identity).toBe('exchanged:repo:octo-org/octo-repo:ref:refs/heads/main');
  });

  it('narrows with scope, accepts the jwt token type, and issued tokens expire', async () => {
    const c = await start({ exchangeLifetimeSec: 1 });
    const form = { grant_type: GRANT, subject_token: oidc.mint({}, 'nix-cache') };
    const res = await exchange(c, {
      ...form,
      subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
      scope: 'read',
    });
    expect(res.body).toMatchObject({ expires_in: 1, scope: 'read' });
    const token = res.body.access_token as string;
    expect((await call(c, 'GET', NARINFO, bearer(token))).status).toBe(404);
    expect((await call(c, 'PUT', NARINFO, bearer(token), 'x')).status).toBe(403);
    await new Promise((r) => setTimeout(r, 1100));
    const expired = await call(c, 'GET', NARINFO, bearer(token));
    expect([expired.status, expired.text]).toEqual([401, 'the exchanged token has expired\n']);
  });

  it('answers OAuth errors', async () => {
    const c = await start({ exchangeAudiences: ['https://cache.example'] });
    const good = {
      grant_type: GRANT,
      subject_token: oidc.mint({}, 'nix-cache'),
      subject_token_type: ID_TOKEN,
    };
    const iat = Math.floor(Date.now() / 1000) - 600;
    const cases: [Record<string, string>, string][] = [
      [{ ...good, grant_type: 'client_credentials' }, 'unsupported_grant_type'],
      [{ grant_type: GRANT, subject_token_type: ID_TOKEN }, 'invalid_request'],
      [{ ...good, subject_token_type: 'urn:ietf:params:oauth:token-type:saml2' }, 'invalid_request'],
      [{ ...good, subject_token: oidc.mint({ iat, exp: iat + 300 }, 'nix-cache') }, 'invalid_grant'],
      [{ ...good, subject_token: oidc.mint({}, 'sts.amazonaws.com') }, 'invalid_grant'],
      [{ ...good, subject_token: 'garbage' }, 'invalid_grant'],
      [
        { ...good, subject_token: oidc.mint({ repository: 'evil/x', ref: 'refs/heads/x' }, 'nix-cache') },
        'unauthorized_client',
      ],
      [
        { ...good, subject_token: oidc.mint({ ref: 'refs/heads/dev' }, 'nix-cache'), scope: 'write' },
        'invalid_scope',
      ],
      [{ ...good, scope: 'admin' }, 'invalid_scope'],
      [{ ...good, audience: 'https://elsewhere' }, 'invalid_target'],
    ];
    for (const [form, error] of cases) {
      const res = await exchange(c, form);
      expect({ status: res.status, error: res.body.error }).toEqual({ status: 400, error });
      expect(typeof res.body.error_description).toBe('string');
    }
    expect(c.exchanged).toHaveLength(0);
    const ok = await exchange(c, { ...good, audience: 'https://cache.example' });
    expect(ok.status).toBe(200);
    expect((await fetch(`${c.url}/token-exchange`)).status).toBe(405);
  });

  it('without an OIDC issuer the exchange is refused', async () => {
    const c = await startCacheServer({ tokens: [] });
    cache = c;
    const res = await exchange(c, {
      grant_type: GRANT,
      subject_token: oidc.mint(),
      subject_token_type: ID_TOKEN,
    });
    expect([res.status, res.body.error]).toEqual([400, 'unauthorized_client']);
  });
});
