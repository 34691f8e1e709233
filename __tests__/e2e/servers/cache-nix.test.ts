// The HTTP binary cache against the real Nix 2.8 client, as root on the local store (no daemon);
// skipped with the other e2e tests where global-setup says they cannot run (not root).
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startCacheServer, type CacheServer, type CacheServerOptions } from '../../servers/cache.js';
import { nix, runNix } from '../../servers/nix.js';
import { startOidcServer, type OidcServer } from '../../servers/oidc.js';
import { describeE2E } from '../../testbed/e2e.js';

const WRITE = 'write-token-0123456789';
const READ = 'read-token-0123456789';

let work: string;
let oidc: OidcServer;
let cache: CacheServer;

beforeAll(async () => {
  oidc = await startOidcServer();
});
afterAll(async () => {
  await oidc.close();
});
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'cache-nix-test-'));
});
afterEach(async () => {
  await cache.close();
  await rm(work, { recursive: true, force: true });
});

const start = async (opts: CacheServerOptions = {}): Promise<CacheServer> => {
  cache = await startCacheServer({
    tokens: [
      { token: WRITE, read: true, write: true, name: 'writer' },
      { token: READ, name: 'reader' },
    ],
    oidc: {
      issuer: oidc.issuer,
      audience: 'nix-cache',
      permissions: (c) => ({ read: true, write: c.ref === 'refs/heads/main' }),
    },
    ...opts,
  });
  return cache;
};

/** A fresh store path with random content, so that no cache has it yet. */
async function addPath(): Promise<{ path: string; content: string }> {
  const file = join(work, `payload-${randomBytes(4).toString('hex')}.txt`);
  const content = `nix-cache-action test ${randomBytes(16).toString('hex')}\n`;
  await writeFile(file, content);
  const res = await runNix('nix-store', ['--add', file]);
  expect(res.code).toBe(0);
  return { path: res.stdout.trim(), content };
}

/** `--option netrc-file FILE` for a netrc with this password for 127.0.0.1. */
async function netrc(password: string): Promise<string[]> {
  const file = join(work, `netrc-${randomBytes(4).toString('hex')}`);
  await writeFile(file, `machine 127.0.0.1 login nix password ${password}\n`, { mode: 0o600 });
  return ['--option', 'netrc-file', file];
}

const copyTo = async (password: string | undefined, path: string, extra: string[] = []) =>
  nix('copy', [
    '--to',
    `${cache.url}?compression=zstd`,
    ...(password === undefined ? [] : await netrc(password)),
    ...extra,
    path,
  ]);

describeE2E('HTTP binary cache with the real nix client', () => {
  it('nix copy --to with a write token uploads narinfo and NAR, with Basic credentials on every request', async () => {
    await start();
    const { path } = await addPath();
    const res = await copyTo(WRITE, path);
    expect(res).toMatchObject({ code: 0 });
    expect(cache.has(path)).toBe(true);
    const [info] = cache.narinfos();
    expect(info).toMatchObject({ storePath: path, compression: 'zstd', references: [] });
    expect(info!.url).toMatch(/^nar\/[0-9a-z]{52}\.nar\.zst$/);
    const puts = cache.log.filter((r) => r.method === 'PUT');
    expect(puts.map((r) => r.kind).sort()).toEqual(['nar', 'narinfo']);
    expect(puts.every((r) => r.status === 201 && r.identity === 'token:writer')).toBe(true);
    expect(cache.log.find((r) => r.kind === 'narinfo')!.hash).toBe(info!.hash);
    const basic = `Basic ${Buffer.from(`nix:${WRITE}`).toString('base64')}`;
    expect(cache.http.requests.every((r) => r.headers.authorization === basic)).toBe(true);
  });

  it('a read-only token gets 403 on PUT and nix copy fails', async () => {
    await start();
    const { path } = await addPath();
    const res = await copyTo(READ, path);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain("HTTP error 403 ('Forbidden')");
    expect(cache.has(path)).toBe(false);
    expect(cache.log.filter((r) => r.method === 'PUT').map((r) => r.status)).toEqual([403]);
  });

  it('a wrong password or no credentials: 401 and nix fails', async () => {
    await start();
    const { path } = await addPath();
    for (const password of ['wrong-password', undefined]) {
      cache.clearLog();
      const res = await copyTo(password, path);
      expect(res.code).not.toBe(0);
      expect(res.stderr).toContain('does not appear to be a binary cache');
      expect(cache.log.every((r) => r.status === 401)).toBe(true);
      expect(cache.http.requests[0]!.headers.authorization === undefined).toBe(password === undefined);
    }
    expect(cache.has(path)).toBe(false);
  });

  it('serves paths seeded with nix copy --to file:// to nix path-info and nix copy --from with a read token', async () => {
    await start();
    const { path, content } = await addPath();
    await cache.seedFromStore([path]);
    expect(cache.has(path)).toBe(true);
    expect(cache.has(path.slice('/nix/store/'.length, '/nix/store/'.length + 32))).toBe(true);
    expect(cache.http.requests).toHaveLength(0);

    const local = await nix('path-info', ['--json', path]);
    const remote = await nix('path-info', ['--json', '--store', cache.url, ...(await netrc(READ)), path]);
    expect(remote).toMatchObject({ code: 0 });
    const [l] = JSON.parse(local.stdout) as { narHash: string }[];
    const [r] = JSON.parse(remote.stdout) as { narHash: string; url: string }[];
    expect(r!.narHash).toBe(l!.narHash);
    expect(r!.url).toMatch(/\.nar\.zst$/);

    const chroot = join(work, 'chroot');
    const copied = await nix('copy', [
      '--from',
      cache.url,
      '--to',
      chroot,
      '--no-check-sigs',
      ...(await netrc(READ)),
      path,
    ]);
    expect(copied).toMatchObject({ code: 0 });
    expect(readFileSync(join(chroot, path), 'utf8')).toBe(content);
    const nar = cache.log.find((q) => q.kind === 'nar' && q.method === 'GET');
    expect(nar).toMatchObject({ status: 200, identity: 'token:reader' });

    const denied = await nix('path-info', ['--store', cache.url, ...(await netrc('nope')), path]);
    expect(denied.code).not.toBe(0);
  });

  it('publicRead: nix reads without credentials but cannot write', async () => {
    await start({ publicRead: true });
    const { path } = await addPath();
    await cache.seedFromStore([path]);
    expect(await nix('path-info', ['--store', cache.url, path])).toMatchObject({ code: 0 });
    expect(cache.log.every((r) => r.identity === 'anonymous')).toBe(true);
    const other = await addPath();
    const res = await copyTo(undefined, other.path);
    expect(res.code).not.toBe(0);
    expect(cache.log.filter((r) => r.method === 'PUT').map((r) => r.status)).toEqual([401]);
  });

  it('a GitHub JWT as netrc password: write from main, read-only elsewhere', async () => {
    await start();
    const { path } = await addPath();
    const dev = await copyTo(oidc.mint({ ref: 'refs/heads/dev' }, 'nix-cache'), path);
    expect(dev.code).not.toBe(0);
    expect(cache.log.find((r) => r.method === 'PUT')).toMatchObject({
      status: 403,
      identity: 'jwt:repo:octo-org/octo-repo:ref:refs/heads/dev',
    });
    const main = await copyTo(oidc.mint({}, 'nix-cache'), path);
    expect(main).toMatchObject({ code: 0 });
    expect(cache.has(path)).toBe(true);
    const other = await addPath();
    expect((await copyTo(oidc.mint({}, 'sts.amazonaws.com'), other.path)).code).not.toBe(0);
  });

  it('an exchanged token as netrc password', async () => {
    await start();
    const res = await fetch(`${cache.url}/token-exchange`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
        subject_token: oidc.mint({}, 'nix-cache'),
        subject_token_type: 'urn:ietf:params:oauth:token-type:id_token',
      }),
    });
    const { access_token } = (await res.json()) as { access_token: string };
    const { path } = await addPath();
    expect(await copyTo(access_token, path)).toMatchObject({ code: 0 });
    expect(
      cache.log.filter((r) => r.method === 'PUT').every((r) => r.identity?.startsWith('exchanged:')),
    ).toBe(true);
  });
});

describeE2E('nix 2.8 against cache faults', () => {
  it('retries a GET after 503 and after 429 (ignoring Retry-After), and waits out a delay', async () => {
    await start({ publicRead: true });
    const { path } = await addPath();
    await cache.seedFromStore([path]);
    cache.http.fault({ kind: 'status', status: 503, match: '^GET /[0-9a-z]+\\.narinfo' });
    cache.http.fault({ kind: 'retry-after', status: 429, seconds: 30, match: '^GET /nar/' });
    cache.http.fault({ kind: 'delay', ms: 400, match: '^GET /nix-cache-info' });
    const t = performance.now();
    const res = await nix('copy', [
      '--from',
      cache.url,
      '--to',
      join(work, 'chroot'),
      '--no-check-sigs',
      path,
    ]);
    expect(res).toMatchObject({ code: 0 });
    expect(res.stderr).toContain('HTTP error 503');
    expect(res.stderr).toContain('HTTP error 429');
    expect(performance.now() - t).toBeGreaterThanOrEqual(400);
    expect(performance.now() - t).toBeLessThan(30_000);
    const statuses = (kind: string) =>
      cache.log.filter((r) => r.kind === kind && r.method === 'GET').map((r) => r.status);
    expect(statuses('narinfo')).toEqual([503, 200]);
    expect(statuses('nar')).toEqual([429, 200]);
    expect(cache.http.pendingFaults).toBe(0);
  });

  it('fails when a hung request is cut by close()', async () => {
    await start({ publicRead: true });
    cache.http.fault({ kind: 'hang' });
    const { path } = await addPath();
    const running = nix('path-info', ['--store', cache.url, '--option', 'download-attempts', '1', path]);
    for (let i = 0; i < 100 && cache.http.requests.length === 0; i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(cache.http.requests[0]).toMatchObject({ path: '/nix-cache-info', status: 0, fault: 'hang' });
    const t = performance.now();
    await cache.close();
    const res = await running;
    expect(res.code).not.toBe(0);
    expect(performance.now() - t).toBeLessThan(10_000);
  });

  it('a 503 on upload: nix 2.8 retries the PUT without its body, so the upload stalls and fails', async () => {
    await start();
    const { path } = await addPath();
    cache.http.fault({ kind: 'status', status: 503, match: '^PUT /[0-9a-z]+\\.narinfo' });
    const res = await copyTo(WRITE, path, [
      '--option',
      'stalled-download-timeout',
      '1',
      '--option',
      'download-attempts',
      '2',
    ]);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('Timeout was reached');
    const narinfoPuts = cache.http.requests.filter((r) => r.method === 'PUT' && r.path.endsWith('.narinfo'));
    expect(narinfoPuts.map((r) => [r.status, r.bodySize])).toEqual([
      [503, Number(narinfoPuts[0]!.headers['content-length'])],
      [0, 0],
    ]);
    expect(Number(narinfoPuts[1]!.headers['content-length'])).toBeGreaterThan(0);
    expect(cache.has(path)).toBe(false);
  });
});
