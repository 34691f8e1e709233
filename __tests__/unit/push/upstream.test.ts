import { afterEach, describe, expect, it } from '@jest/globals';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { checkUpstream } from '../../../src/push/upstream.js';
import {
  createHttpClient,
  describeFailure,
  forEachLimit,
  narinfoUrl,
  storeHash,
  type FetchLike,
} from '../../../src/push/http.js';
import { maxOverlap, startServer, type TestServer } from '../../servers/http.js';

const CACHE_DIR = fileURLToPath(new URL('../../fixtures/keys/cache', import.meta.url));

/** n store paths with distinct valid hashes. */
function storePaths(n: number, prefix = 'p'): string[] {
  const alphabet = '0123456789abcdfghijklmnpqrsvwxyz';
  return Array.from({ length: n }, (_, i) => {
    let tail = '';
    for (let v = i, k = 0; k < 6; k++, v = Math.floor(v / 32)) tail += alphabet.charAt(v % 32);
    return `/nix/store/${'0'.repeat(26)}${tail}-${prefix}${i}`;
  });
}
const hashOf = (path: string): string => storeHash(path)!;

/** A cache that has the given hashes (200), answers 403 for `forbidden` and 404 for the rest. */
async function cacheWith(has: readonly string[], forbidden: readonly string[] = []): Promise<TestServer> {
  const present = new Set(has.map((h) => `/${h}.narinfo`));
  const denied = new Set(forbidden.map((h) => `/${h}.narinfo`));
  return track(
    await startServer((req) => ({
      status: present.has(req.path) ? 200 : denied.has(req.path) ? 403 : 404,
      body: present.has(req.path) ? 'StorePath: x\n' : '',
    })),
  );
}

const servers: TestServer[] = [];
function track(server: TestServer): TestServer {
  servers.push(server);
  return server;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** A URL nothing listens on. */
async function closedPortUrl(): Promise<string> {
  const s = await startServer(() => ({ status: 200 }));
  const url = s.url;
  await s.close();
  return url;
}

describe('checkUpstream against loopback HTTP caches', () => {
  it('finds what a cache has with HEAD <hash>.narinfo; 404 and 403 are absent', async () => {
    const paths = storePaths(6);
    const cache = await cacheWith([hashOf(paths[0]!), hashOf(paths[3]!)], [hashOf(paths[4]!)]);
    const result = await checkUpstream([`${cache.url}/?priority=10`], paths);
    expect([...result.present].sort()).toEqual([paths[0], paths[3]]);
    expect(result.perUpstream).toEqual(new Map([[`${cache.url}/?priority=10`, 2]]));
    expect(result.unreachable).toEqual([]);
    expect(result.checked).toBe(6);
    expect(result.timedOut).toBe(false);
    expect(cache.requests.map((r) => `${r.method} ${r.path}`).sort()).toEqual(
      paths.map((p) => `HEAD /${hashOf(p)}.narinfo`).sort(),
    );
  });

  it('asks later upstreams only for what earlier ones lack, and counts per upstream', async () => {
    const paths = storePaths(5);
    const first = await cacheWith([hashOf(paths[0]!), hashOf(paths[1]!)]);
    const second = await cacheWith([hashOf(paths[1]!), hashOf(paths[2]!)]);
    const result = await checkUpstream([first.url, second.url], paths);
    expect([...result.present].sort()).toEqual(paths.slice(0, 3).sort());
    expect(result.perUpstream).toEqual(
      new Map([
        [first.url, 2],
        [second.url, 1],
      ]),
    );
    expect(first.requests).toHaveLength(5);
    expect(second.requests.map((r) => r.path).sort()).toEqual(
      paths
        .slice(2)
        .map((p) => `/${hashOf(p)}.narinfo`)
        .sort(),
    );
  });

  it('runs requests concurrently: 64 paths at 50 ms each, more than 16 held by the server at once', async () => {
    const paths = storePaths(64);
    const cache = await cacheWith([]);
    cache.latencyMs = 50;
    const result = await checkUpstream([cache.url], paths);
    expect(result.checked).toBe(64);
    expect(maxOverlap(cache.requests)).toBeGreaterThan(16);
    expect(maxOverlap(cache.requests)).toBeLessThanOrEqual(32);
  });

  it('keeps to the concurrency limit', async () => {
    const cache = await cacheWith([]);
    cache.latencyMs = 20;
    await checkUpstream([cache.url], storePaths(40), { concurrency: 4 });
    expect(maxOverlap(cache.requests)).toBeLessThanOrEqual(4);
    expect(maxOverlap(cache.requests)).toBeGreaterThanOrEqual(3);
  });

  it('reuses connections (keep-alive): far fewer connections than requests', async () => {
    let connections = 0;
    let requests = 0;
    const server = http.createServer((_req, res) => {
      requests += 1;
      res.writeHead(404, { 'content-length': 0 }).end();
    });
    server.on('connection', () => (connections += 1));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      await checkUpstream([url], storePaths(400), { concurrency: 8 });
      expect(requests).toBe(400);
      expect(connections).toBeLessThanOrEqual(8);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('checkUpstream when an upstream does not answer', () => {
  it('gives up on a refused connection at once, reporting it once', async () => {
    const url = await closedPortUrl();
    const started = performance.now();
    const result = await checkUpstream([url], storePaths(500));
    expect(performance.now() - started).toBeLessThan(500);
    expect(result.unreachable).toEqual([{ url, reason: 'connection refused' }]);
    expect(result.present.size).toBe(0);
    expect(result.checked).toBe(0);
  });

  it('gives up on a host name that does not resolve', async () => {
    const url = 'http://cache.nix-cache-action-test.invalid';
    const asked: string[] = [];
    const client = createHttpClient();
    const counting: FetchLike = (u, init) => {
      asked.push(u);
      return client.fetch(u, init);
    };
    const started = performance.now();
    try {
      const result = await checkUpstream([url], storePaths(200), { fetch: counting });
      expect(performance.now() - started).toBeLessThan(5000); // not curl's minutes: a guard, not a speed test
      expect(result.unreachable).toHaveLength(1);
      expect(result.unreachable[0]!.reason).toMatch(/DNS|within 1000 ms/);
      expect(asked.length).toBeLessThanOrEqual(2); // the probe, tried once more: no flood of lookups
    } finally {
      client.close();
    }
  });

  it('costs one short timeout for a cache that never answers (defaults), and asks it once', async () => {
    const paths = storePaths(500);
    const hung = track(await startServer(() => ({ status: 200 })));
    hung.fault({ kind: 'hang', times: 1_000_000 });
    const good = await cacheWith([hashOf(paths[7]!)]);
    const started = performance.now();
    const result = await checkUpstream([hung.url, good.url], paths);
    const elapsed = performance.now() - started;
    expect(elapsed).toBeLessThan(5000); // one timeout, not one per path (the reason names it)
    expect(result.unreachable).toEqual([{ url: hung.url, reason: 'no answer within 1000 ms' }]);
    expect(hung.requests).toHaveLength(1);
    // The working upstream still answered for every path.
    expect([...result.present]).toEqual([paths[7]]);
    expect(good.requests).toHaveLength(500);
    expect(result.checked).toBe(500);
  });

  it('gives up on a cache that refuses the probe (twice), e.g. 401 without credentials', async () => {
    const cache = await cacheWith([]);
    cache.fault({ kind: 'status', status: 401, times: 1000 });
    const result = await checkUpstream([cache.url], storePaths(50));
    expect(result.unreachable).toEqual([{ url: cache.url, reason: 'HTTP 401' }]);
    expect(cache.requests).toHaveLength(2);
  });

  it('tries a failed probe once more: a single reset does not lose the upstream', async () => {
    const paths = storePaths(20);
    const cache = await cacheWith([hashOf(paths[0]!)]);
    cache.fault({ kind: 'reset', times: 1 });
    const result = await checkUpstream([cache.url], paths);
    expect(result.unreachable).toEqual([]);
    expect([...result.present]).toEqual([paths[0]]);
    expect(result.checked).toBe(20);
  });

  it('sends the netrc credentials of the upstream host, as Nix does', async () => {
    const paths = storePaths(4);
    const secured = track(
      await startServer((req) => {
        if (req.headers.authorization !== `Basic ${Buffer.from('u:tok').toString('base64')}`)
          return { status: 401 };
        return { status: req.path === `/${hashOf(paths[1]!)}.narinfo` ? 200 : 404 };
      }),
    );
    const result = await checkUpstream([secured.url], paths, {
      netrc: 'machine elsewhere.example login a password b\nmachine 127.0.0.1 login u password tok\n',
    });
    expect([...result.present]).toEqual([paths[1]]);
    expect(result.unreachable).toEqual([]);
    const anonymous = await checkUpstream([secured.url], paths, { netrc: 'this is not a netrc' });
    expect(anonymous.unreachable).toEqual([{ url: secured.url, reason: 'HTTP 401' }]);
  });

  it('keeps a cache that fails now and then, gives up on one that then keeps failing', async () => {
    const paths = storePaths(30);
    const flaky = await cacheWith([]);
    flaky.fault({ kind: 'status', status: 500, match: (r) => r.record.id % 5 === 0, times: 100 });
    const r1 = await checkUpstream([flaky.url], paths, { concurrency: 1 });
    expect(r1.unreachable).toEqual([]);
    expect(r1.checked).toBe(24);

    const failing = await cacheWith([]);
    failing.fault({ kind: 'status', status: 503, match: (r) => r.record.id > 10, times: 1000 });
    const r2 = await checkUpstream([failing.url], paths, { concurrency: 1 });
    expect(r2.unreachable).toEqual([{ url: failing.url, reason: 'HTTP 503' }]);
    expect(failing.requests).toHaveLength(13);
    expect(r2.checked).toBe(10);
  });

  it('stops at the overall bound and says so', async () => {
    const cache = await cacheWith([]);
    cache.latencyMs = 300;
    const started = performance.now();
    const result = await checkUpstream([cache.url], storePaths(100), { overallTimeoutMs: 100 });
    expect(performance.now() - started).toBeLessThan(250);
    expect(result.timedOut).toBe(true);
    expect(result.checked).toBe(0);
  });
});

describe('checkUpstream with other kinds of upstream', () => {
  it('lists a file:// cache directory once instead of asking per path', async () => {
    const inCache = '/nix/store/fr96b25ds51rpgscmxiv2y4gp36hkm7c-fixture-top';
    const paths = [inCache, ...storePaths(3)];
    const url = `file://${CACHE_DIR}?compression=zstd`;
    const result = await checkUpstream([url], paths);
    expect([...result.present]).toEqual([inCache]);
    expect(result.perUpstream.get(url)).toBe(1);
    expect(result.checked).toBe(4);
  });

  it('reports a missing file:// directory, other schemes and bad URLs as not checkable', async () => {
    const result = await checkUpstream(
      ['file:///nonexistent/cache', 's3://bucket?region=eu-west-1', 'not a url'],
      storePaths(3),
    );
    expect(result.unreachable).toEqual([
      { url: 'file:///nonexistent/cache', reason: '/nonexistent/cache is not a directory' },
      {
        url: 's3://bucket?region=eu-west-1',
        reason: 's3:// caches cannot be checked (only http, https and file)',
      },
      { url: 'not a url', reason: 'not a URL' },
    ]);
    expect(result.checked).toBe(0);
  });

  it('uses the fetch seam with narinfo URLs built from the cache URL', async () => {
    const asked: string[] = [];
    const fake: FetchLike = (url, init) => {
      asked.push(`${init.method} ${url}`);
      return Promise.resolve({ status: 404, headers: { get: () => null }, text: () => Promise.resolve('') });
    };
    const [path] = storePaths(1);
    await checkUpstream(['https://cache.example.org/sub/?trusted=1'], [path!, 'not-a-store-path'], {
      fetch: fake,
    });
    expect(asked).toEqual([`HEAD https://cache.example.org/sub/${hashOf(path!)}.narinfo`]);
  });
});

describe('helpers', () => {
  it('narinfoUrl and storeHash', () => {
    expect(narinfoUrl('https://c.example/a//?x=1#f', 'h')).toBe('https://c.example/a/h.narinfo');
    expect(storeHash('/nix/store/fr96b25ds51rpgscmxiv2y4gp36hkm7c-fixture-top')).toBe(
      'fr96b25ds51rpgscmxiv2y4gp36hkm7c',
    );
    expect(storeHash('/nix/store/short-name')).toBeUndefined();
  });

  it('describeFailure digs the network error out of fetch', () => {
    const wrapped = new TypeError('fetch failed', {
      cause: Object.assign(new Error('x'), { code: 'ENOTFOUND' }),
    });
    expect(describeFailure(wrapped)).toBe('host name not found (DNS)');
    const aggregate = new TypeError('fetch failed', {
      cause: new AggregateError([Object.assign(new Error('y'), { code: 'ECONNREFUSED' })]),
    });
    expect(describeFailure(aggregate)).toBe('connection refused');
    expect(describeFailure(new Error('certificate has expired'))).toBe('certificate has expired');
  });

  it('forEachLimit visits every item once and stops starting new ones on abort', async () => {
    const seen: number[] = [];
    await forEachLimit([1, 2, 3, 4, 5], 2, async (n) => {
      await Promise.resolve();
      seen.push(n);
    });
    expect(seen.sort()).toEqual([1, 2, 3, 4, 5]);
    const stop = new AbortController();
    const started: number[] = [];
    await forEachLimit(
      [1, 2, 3, 4, 5],
      1,
      (n) => {
        started.push(n);
        if (n === 2) stop.abort();
        return Promise.resolve();
      },
      stop.signal,
    );
    expect(started).toEqual([1, 2]);
  });
});
