import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { startServer, type TestServer } from '../../servers/http.js';

let server: TestServer;

beforeEach(async () => {
  server = await startServer((req) => {
    if (req.path === '/boom') throw new Error('kaput');
    return {
      status: 200,
      headers: { 'content-type': 'text/plain' },
      body: `${req.method} ${req.path} ${req.body.length}`,
      identity: req.headers.authorization === undefined ? 'anonymous' : 'someone',
    };
  });
});

afterEach(async () => {
  await server.close();
});

/** A raw GET that reports the outcome instead of throwing, for hangs and resets. */
function rawGet(url: string): Promise<{ status: number } | { error: string }> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false }, (res) => {
      res.resume();
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0 });
      });
    });
    req.on('error', (err) => {
      resolve({ error: err.message });
    });
  });
}

describe('startServer', () => {
  it('listens on loopback with an ephemeral port and logs each request', async () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    expect(server.port).toBeGreaterThan(0);
    const res = await fetch(`${server.url}/a/b?x=1&y=two`, {
      method: 'PUT',
      body: 'hello',
      headers: { authorization: 'Bearer t' },
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('PUT /a/b 5');
    expect(server.requests).toHaveLength(1);
    const [rec] = server.requests;
    expect(rec).toMatchObject({
      method: 'PUT',
      path: '/a/b',
      query: { x: '1', y: 'two' },
      bodySize: 5,
      bodyText: 'hello',
      status: 200,
      identity: 'someone',
    });
    expect(rec!.headers.authorization).toBe('Bearer t');
    expect(rec!.end).toBeGreaterThanOrEqual(rec!.start);
    expect(Math.abs(rec!.at - Date.now())).toBeLessThan(5000);
    server.clearLog();
    expect(server.requests).toHaveLength(0);
  });

  it('answers HEAD without a body and a throwing handler with 500', async () => {
    const head = await fetch(`${server.url}/x`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String('HEAD /x 0'.length));
    expect(await head.text()).toBe('');
    const boom = await fetch(`${server.url}/boom`);
    expect(boom.status).toBe(500);
    expect(await boom.text()).toContain('kaput');
  });

  it('injects status faults in order, by match, a given number of times', async () => {
    server.fault({ kind: 'status', status: 502, match: '^GET /nar/' });
    server.fault({ kind: 'status', status: 500, times: 2, body: 'nope' });
    server.fault({ kind: 'status', status: 503, match: (req) => req.method === 'PUT', times: Infinity });
    expect(server.pendingFaults).toBe(3);

    const first = await fetch(`${server.url}/x.narinfo`);
    expect([first.status, await first.text()]).toEqual([500, 'nope']);
    expect((await fetch(`${server.url}/nar/abc.nar`)).status).toBe(502);
    expect((await fetch(`${server.url}/y`)).status).toBe(500);
    expect((await fetch(`${server.url}/y`)).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await fetch(`${server.url}/p`, { method: 'PUT' })).status).toBe(503);
    expect(server.pendingFaults).toBe(1);
    server.clearFaults();
    expect((await fetch(`${server.url}/p`, { method: 'PUT' })).status).toBe(200);
    expect(server.requests.map((r) => r.fault ?? '-')).toEqual([
      'status',
      'status',
      'status',
      '-',
      'status',
      'status',
      'status',
      '-',
    ]);
  });

  it('answers 429 and 503 with Retry-After', async () => {
    server.fault({ kind: 'retry-after', status: 429, seconds: 7 });
    server.fault({ kind: 'retry-after', status: 503, seconds: 1 });
    const a = await fetch(`${server.url}/`);
    expect([a.status, a.headers.get('retry-after')]).toEqual([429, '7']);
    const b = await fetch(`${server.url}/`);
    expect([b.status, b.headers.get('retry-after')]).toEqual([503, '1']);
    const c = await fetch(`${server.url}/`);
    expect([c.status, c.headers.get('retry-after')]).toEqual([200, null]);
  });

  it('delays one request with a delay fault and every request with latencyMs', async () => {
    server.fault({ kind: 'delay', ms: 300 });
    let t = performance.now();
    expect((await fetch(`${server.url}/slow`)).status).toBe(200);
    expect(performance.now() - t).toBeGreaterThanOrEqual(290);
    t = performance.now();
    await fetch(`${server.url}/fast`);
    expect(performance.now() - t).toBeLessThan(250);

    server.latencyMs = 150;
    t = performance.now();
    await Promise.all([fetch(`${server.url}/1`), fetch(`${server.url}/2`)]);
    await fetch(`${server.url}/3`);
    expect(performance.now() - t).toBeGreaterThanOrEqual(290);
    expect(server.requests.slice(-3).every((r) => r.end! - r.start >= 145)).toBe(true);
  });

  it('holds a hung request until close(), which does not wait for it', async () => {
    server.fault({ kind: 'hang', match: '/stuck' });
    const pending = rawGet(`${server.url}/stuck`);
    const other = await fetch(`${server.url}/fine`);
    expect(other.status).toBe(200);
    const raced = await Promise.race([
      pending,
      new Promise((r) => {
        setTimeout(() => {
          r('still hanging');
        }, 300);
      }),
    ]);
    expect(raced).toBe('still hanging');
    expect(server.requests.find((r) => r.path === '/stuck')).toMatchObject({ status: 0, fault: 'hang' });

    const t = performance.now();
    await server.close();
    expect(performance.now() - t).toBeLessThan(1000);
    expect(await pending).toHaveProperty('error');
  });

  it('close() also ends a pending delay and idle keep-alive connections', async () => {
    const agent = new http.Agent({ keepAlive: true });
    const first = await new Promise<number>((resolve) => {
      http.get(`${server.url}/ka`, { agent }, (res) => {
        res.resume();
        res.on('end', () => {
          resolve(res.statusCode ?? 0);
        });
      });
    });
    expect(first).toBe(200);
    server.fault({ kind: 'delay', ms: 60_000 });
    const delayed = rawGet(`${server.url}/delayed`);
    await new Promise((r) => setTimeout(r, 100));
    const t = performance.now();
    await server.close();
    expect(performance.now() - t).toBeLessThan(1000);
    expect(await delayed).toHaveProperty('error');
    agent.destroy();
  });

  it('drops the connection with a reset fault', async () => {
    server.fault({ kind: 'reset' });
    expect(await rawGet(`${server.url}/r`)).toHaveProperty('error');
    expect(await rawGet(`${server.url}/r`)).toEqual({ status: 200 });
  });
});
