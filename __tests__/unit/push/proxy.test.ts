import { afterEach, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseNarInfo, pathInfoFingerprint, fingerprint } from '../../../src/push/narinfo.js';
import {
  netrcAuthorizer,
  startPushProxy,
  virtualNarInfo,
  type PushProxy,
  type PushProxyOptions,
} from '../../../src/push/proxy.js';
import type { PathInfo } from '../../../src/push/types.js';
import { startCacheServer, type CacheServer } from '../../servers/cache.js';
import { startServer, type TestServer } from '../../servers/http.js';

const KEYS = fileURLToPath(new URL('../../fixtures/keys/', import.meta.url));
const LOCAL = JSON.parse(readFileSync(join(KEYS, 'path-info.json'), 'utf8')) as PathInfo[];
const TOP = LOCAL.find((p) => p.path.endsWith('-fixture-top'))!;
const hashOf = (p: string): string => p.slice('/nix/store/'.length, '/nix/store/'.length + 32);
const TOKEN = 'proxy-test-writer-7d1e';
const BASIC = `Basic ${Buffer.from(`token:${TOKEN}`).toString('base64')}`;
const WRONG = `Basic ${Buffer.from('nix:not-the-token').toString('base64')}`;

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

async function cacheServer(): Promise<CacheServer> {
  const cache = await startCacheServer({ tokens: [{ token: TOKEN, name: 'writer', write: true }] });
  cleanups.push(() => cache.close());
  return cache;
}

async function proxyTo(target: string, opts: Partial<PushProxyOptions> = {}): Promise<PushProxy> {
  const proxy = await startPushProxy({
    target,
    virtual: new Map(),
    authorization: () => Promise.resolve(BASIC),
    ...opts,
  });
  cleanups.push(() => proxy.close());
  return proxy;
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/**
 * One request on a fresh connection. `body` chunks are written one after the other; before each chunk
 * after the first, `between` is awaited (to see what the target got so far).
 */
function request(
  url: string,
  opts: {
    method?: string;
    headers?: http.OutgoingHttpHeaders;
    body?: readonly Buffer[];
    between?: (i: number) => Promise<void>;
    onFirstByte?: () => void;
  } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method: opts.method ?? 'GET',
      headers: opts.headers ?? {},
      agent: false,
    });
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => {
        if (chunks.length === 0) opts.onFirstByte?.();
        chunks.push(c);
      });
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
      });
      res.on('error', reject);
    });
    const send = async (): Promise<void> => {
      const body = opts.body ?? [];
      for (const [i, chunk] of body.entries()) {
        if (i > 0) await opts.between?.(i);
        req.write(chunk);
      }
      req.end();
    };
    if (opts.headers?.expect === '100-continue') req.on('continue', () => void send().catch(reject));
    else send().catch(reject);
  });
}

async function until(what: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!what()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function closedPortUrl(): Promise<string> {
  const s = await startServer(() => ({ status: 200 }));
  await s.close();
  return s.url;
}

describe('virtualNarInfo', () => {
  it('is a narinfo Nix reads for the path: same fingerprint, no compression, base names', () => {
    const text = virtualNarInfo(TOP);
    const info = parseNarInfo(text);
    expect(info).toMatchObject({
      storePath: TOP.path,
      compression: 'none',
      narSize: TOP.narSize,
      references: TOP.references.map((r) => r.slice('/nix/store/'.length)),
      deriver: TOP.deriver!.slice('/nix/store/'.length),
    });
    expect(info.narHash).toMatch(/^sha256:[0-9a-df-np-sv-z]{52}$/);
    expect(info.url).toMatch(/^nar\/[0-9a-df-np-sv-z]{52}\.nar$/);
    expect(fingerprint(info)).toBe(pathInfoFingerprint(TOP));
  });

  it('names the store directory it is given, and leaves out an absent deriver', () => {
    const { deriver: _, ...bare } = TOP;
    const text = virtualNarInfo(bare, '/other/store');
    expect(text).toMatch(/^StorePath: \/other\/store\/fr96b25ds51rpgscmxiv2y4gp36hkm7c-fixture-top$/m);
    expect(text).not.toMatch(/Deriver/);
  });

  it('refuses a hash that is not SHA-256', () => {
    expect(() => virtualNarInfo({ ...TOP, narHash: 'md5:abc' })).toThrow(/not a SHA-256 hash/);
  });
});

describe('startPushProxy', () => {
  it('answers GET and HEAD of a virtual narinfo itself; the cache never hears of it', async () => {
    const cache = await cacheServer();
    const proxy = await proxyTo(cache.url, { virtual: new Map([[hashOf(TOP.path), TOP]]) });
    expect(proxy.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/[\w-]+$/);
    const got = await request(`${proxy.url}/${hashOf(TOP.path)}.narinfo`);
    expect(got.status).toBe(200);
    expect(got.headers['content-type']).toBe('text/x-nix-narinfo');
    expect(parseNarInfo(got.body.toString('utf8')).storePath).toBe(TOP.path);
    const head = await request(`${proxy.url}/${hashOf(TOP.path)}.narinfo`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(Number(head.headers['content-length'])).toBe(got.body.length);
    expect(cache.log).toEqual([]);
    expect(proxy.stats).toEqual({ forwarded: 0, virtual: 2 });

    const other = await request(`${proxy.url}/${'0'.repeat(32)}.narinfo`);
    expect(other.status).toBe(404);
    expect(cache.log.map((r) => [r.method, r.path, r.status])).toEqual([
      ['GET', `/${'0'.repeat(32)}.narinfo`, 404],
    ]);
    expect(proxy.stats).toEqual({ forwarded: 1, virtual: 2 });
  });

  it('follows the map it was given: an entry added later is served, a removed one forwarded', async () => {
    const cache = await cacheServer();
    const virtual = new Map<string, PathInfo>([[hashOf(TOP.path), TOP]]);
    const proxy = await proxyTo(cache.url, { virtual });
    const other = LOCAL.find((p) => p !== TOP)!;
    virtual.set(hashOf(other.path), other);
    virtual.delete(hashOf(TOP.path));
    const added = await request(`${proxy.url}/${hashOf(other.path)}.narinfo`);
    expect(parseNarInfo(added.body.toString()).storePath).toBe(other.path);
    expect((await request(`${proxy.url}/${hashOf(TOP.path)}.narinfo`)).status).toBe(404);
    expect(proxy.stats).toEqual({ forwarded: 1, virtual: 1 });
  });

  it('refuses a virtual entry filed under another hash, or with a bad NAR hash', async () => {
    const cache = await cacheServer();
    await expect(proxyTo(cache.url, { virtual: new Map([['0'.repeat(32), TOP]]) })).rejects.toThrow(
      /not filed under/,
    );
    const bad = { ...TOP, narHash: 'nope' };
    await expect(proxyTo(cache.url, { virtual: new Map([[hashOf(TOP.path), bad]]) })).rejects.toThrow(
      /SHA-256/,
    );
    await expect(proxyTo('s3://bucket')).rejects.toThrow(/http\(s\) caches only/);
  });

  it('streams a PUT of several MB to the cache (with Expect: 100-continue) and the GET back', async () => {
    const cache = await cacheServer();
    const proxy = await proxyTo(cache.url);
    const chunks = Array.from({ length: 8 }, () => randomBytes(1 << 20));
    const whole = Buffer.concat(chunks);
    const put = await request(`${proxy.url}/nar/big.nar`, {
      method: 'PUT',
      headers: { 'content-length': whole.length, expect: '100-continue', authorization: WRONG },
      body: chunks,
      // The target sees the request while most of its body is still on this side.
      between: (i) =>
        i === 1 ? until(() => cache.http.requests.some((r) => r.method === 'PUT')) : Promise.resolve(),
    });
    expect(put.status).toBe(201);
    expect(readFileSync(join(cache.dir, 'nar/big.nar')).equals(whole)).toBe(true);
    const [record] = cache.http.requests;
    expect(record).toMatchObject({ method: 'PUT', path: '/nar/big.nar', bodySize: whole.length });
    expect(record!.headers.authorization).toBe(BASIC);
    expect(record!.headers.expect).toBeUndefined();

    const get = await request(`${proxy.url}/nar/big.nar`);
    expect(get.status).toBe(200);
    expect(get.body.equals(whole)).toBe(true);
    expect(proxy.stats.forwarded).toBe(2);
  });

  it('streams an answer: the first bytes reach the client before the target sends the rest', async () => {
    let firstByte!: () => void;
    const clientHasFirst = new Promise<void>((resolve) => (firstByte = resolve));
    const target = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-nix-nar' });
      res.write(Buffer.alloc(64 * 1024, 1));
      void clientHasFirst.then(() => {
        res.end(Buffer.alloc(64 * 1024, 2));
      });
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => target.close(r)));
    const proxy = await proxyTo(`http://127.0.0.1:${(target.address() as AddressInfo).port}`);
    const got = await request(`${proxy.url}/nar/x.nar`, { onFirstByte: firstByte });
    expect(got.body.length).toBe(128 * 1024);
  });

  it("sends the target's credentials, read fresh each time, and never Nix's own", async () => {
    const cache = await cacheServer();
    let calls = 0;
    const proxy = await proxyTo(cache.url, {
      authorization: () => Promise.resolve(++calls === 2 ? undefined : BASIC),
    });
    const first = await request(`${proxy.url}/nix-cache-info`, { headers: { authorization: WRONG } });
    expect(first.status).toBe(200);
    const second = await request(`${proxy.url}/nix-cache-info`, { headers: { authorization: BASIC } });
    expect(second.status).toBe(401); // no credentials this time: Nix's are not used instead
    expect(second.headers['www-authenticate']).toMatch(/^Basic/);
    expect(calls).toBe(2);
    expect(cache.log.map((r) => [r.status, r.identity])).toEqual([
      [200, 'token:writer'],
      [401, undefined],
    ]);
    expect(cache.http.requests[1]!.headers.authorization).toBeUndefined();
  });

  it('forwards under the path prefix of the target, and nothing outside the proxy URL', async () => {
    const target = await startServer((req) => ({ status: 200, body: `${req.method} ${req.path}\n` }));
    cleanups.push(() => target.close());
    const proxy = await proxyTo(`${target.url}/some/prefix/`);
    const got = await request(`${proxy.url}/nix-cache-info?x=1`);
    expect(got.body.toString()).toBe('GET /some/prefix/nix-cache-info\n');
    expect(target.requests[0]!.query).toEqual({ x: '1' });
    const stray = await request(`${proxy.url.replace(/\/[^/]+$/, '')}/nix-cache-info`);
    expect(stray.status).toBe(404);
    expect(target.requests).toHaveLength(1);
  });

  it('keeps its connections to the target alive', async () => {
    let connections = 0;
    const target = http.createServer((_req, res) => {
      res.end('ok');
    });
    target.on('connection', () => connections++);
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    cleanups.push(
      () =>
        new Promise((r) => {
          target.closeAllConnections();
          target.close(r);
        }),
    );
    const proxy = await proxyTo(`http://127.0.0.1:${(target.address() as AddressInfo).port}`);
    for (let i = 0; i < 5; i++) expect((await request(`${proxy.url}/x${i}.narinfo`)).status).toBe(200);
    expect(connections).toBe(1);
  });

  it('sends a bodiless request again when a kept-alive connection turns out closed by the target', async () => {
    // The target drops every connection at its second request, unanswered.
    const seen = new WeakMap<object, number>();
    const target = http.createServer((req, res) => {
      const n = (seen.get(req.socket) ?? 0) + 1;
      seen.set(req.socket, n);
      if (n === 2) req.socket.destroy();
      else res.end('ok');
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    cleanups.push(
      () =>
        new Promise((r) => {
          target.closeAllConnections();
          target.close(r);
        }),
    );
    const proxy = await proxyTo(`http://127.0.0.1:${(target.address() as AddressInfo).port}`);
    expect((await request(`${proxy.url}/a.narinfo`)).status).toBe(200);
    expect((await request(`${proxy.url}/b.narinfo`)).status).toBe(200);
    // A body is never sent twice: that one fails.
    const put = await request(`${proxy.url}/nar/c.nar`, { method: 'PUT', body: [Buffer.from('nar')] });
    expect(put.status).toBe(502);
    expect(put.body.toString()).toMatch(/^push proxy: connection reset/);
  });

  it('answers 502 with a short reason when the target is down, with or without a body', async () => {
    const down = await closedPortUrl();
    const proxy = await proxyTo(down);
    const got = await request(`${proxy.url}/nix-cache-info`);
    expect(got.status).toBe(502);
    expect(got.body.toString()).toBe(`push proxy: connection refused (${down})\n`);
    const put = await request(`${proxy.url}/nar/a.nar`, {
      method: 'PUT',
      headers: { 'content-length': 3 << 20, expect: '100-continue' },
      body: [randomBytes(3 << 20)],
    });
    expect(put.status).toBe(502);
    expect(put.headers.connection).toBe('close');
  });

  it('answers 502 when the target hangs past the idle bound, or credentials cannot be read', async () => {
    const cache = await cacheServer();
    cache.http.fault({ kind: 'hang' });
    const proxy = await proxyTo(cache.url, { idleTimeoutMs: 200 });
    const got = await request(`${proxy.url}/nix-cache-info`);
    expect(got.status).toBe(502);
    expect(got.body.toString()).toBe(`push proxy: nothing moved for 200 ms (${cache.url})\n`);

    const noCreds = await proxyTo(cache.url, { authorization: () => Promise.reject(new Error('bad netrc')) });
    const refused = await request(`${noCreds.url}/nix-cache-info`);
    expect(refused.status).toBe(502);
    expect(refused.body.toString()).toMatch(/no credentials .*bad netrc/);
  });

  it('passes the status of the target on, with its headers (a 429 and its Retry-After)', async () => {
    const cache = await cacheServer();
    cache.http.fault({ kind: 'retry-after', status: 429, seconds: 3 });
    const proxy = await proxyTo(cache.url);
    const got = await request(`${proxy.url}/nar/a.nar`, { method: 'PUT', body: [Buffer.from('x')] });
    expect(got.status).toBe(429);
    expect(got.headers['retry-after']).toBe('3');
  });

  it("relays an early refusal of an upload and ends that connection; points the target's redirects at itself", async () => {
    const target = http.createServer((req, res) => {
      if (req.method === 'PUT') res.writeHead(413, { 'content-length': 9 }).end('too big\n\n');
      else res.writeHead(302, { location: '/moved/nix-cache-info', 'content-length': 0 }).end();
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    cleanups.push(
      () =>
        new Promise((r) => {
          target.closeAllConnections();
          target.close(r);
        }),
    );
    const proxy = await proxyTo(`http://127.0.0.1:${(target.address() as AddressInfo).port}`);
    const put = await request(`${proxy.url}/nar/a.nar`, {
      method: 'PUT',
      headers: { 'content-length': 4 << 20, expect: '100-continue' },
      body: [randomBytes(4 << 20)],
    });
    expect(put.status).toBe(413);
    expect(put.headers.connection).toBe('close');
    const moved = await request(`${proxy.url}/nix-cache-info`);
    expect(moved.status).toBe(302);
    expect(moved.headers.location).toBe(`${proxy.url}/moved/nix-cache-info`);
  });

  it('takes credentials from the target URL when authorization() gives none', async () => {
    const cache = await cacheServer();
    const proxy = await proxyTo(cache.url.replace('//', `//token:${TOKEN}@`), {
      authorization: () => Promise.resolve(undefined),
    });
    expect((await request(`${proxy.url}/nix-cache-info`)).status).toBe(200);
    expect(cache.http.requests[0]!.headers.authorization).toBe(BASIC);
  });

  it('closes at once with a request in flight to a hanging target', async () => {
    const cache = await cacheServer();
    cache.http.fault({ kind: 'hang' });
    const proxy = await proxyTo(cache.url);
    const pending = request(`${proxy.url}/nix-cache-info`).catch((e: unknown) => e);
    await until(() => cache.http.requests.length === 1);
    const started = Date.now();
    await proxy.close();
    expect(Date.now() - started).toBeLessThan(5000); // the hang lasts until close: a guard against waiting on it
    expect(String(await pending)).toMatch(/socket hang up|ECONNRESET/);
    await proxy.close(); // twice is fine
  });
});

describe('netrcAuthorizer', () => {
  it("reads the netrc every time and takes the target host's entry", async () => {
    let netrc: string | undefined = 'machine cache.example.org login a password one\n';
    const auth = netrcAuthorizer(() => Promise.resolve(netrc), 'https://cache.example.org/prefix');
    expect(await auth()).toBe(`Basic ${Buffer.from('a:one').toString('base64')}`);
    netrc = 'machine cache.example.org login a password two\nmachine other login b password x\n';
    expect(await auth()).toBe(`Basic ${Buffer.from('a:two').toString('base64')}`);
    netrc = undefined;
    expect(await auth()).toBeUndefined();
  });
});

export type { TestServer };
