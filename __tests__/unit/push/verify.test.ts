import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { cpSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fingerprint, parseNarInfo } from '../../../src/push/narinfo.js';
import { signFingerprint } from '../../../src/push/signing.js';
import type { PathInfo, VerifyReport } from '../../../src/push/types.js';
import { netrcAuthorization } from '../../../src/push/http.js';
import { verifyPushed, type VerifyOptions } from '../../../src/push/verify.js';
import { ActionError } from '../../../src/util/errors.js';
import { startCacheServer, type CacheServer } from '../../servers/cache.js';
import { maxOverlap, startServer, type TestServer } from '../../servers/http.js';

const KEYS = fileURLToPath(new URL('../../fixtures/keys/', import.meta.url));
const PUBLIC = readFileSync(join(KEYS, 'test-cache-1.public'), 'utf8');
const OTHER_PUBLIC = readFileSync(join(KEYS, 'other-cache-1.public'), 'utf8');
const OTHER_SECRET = readFileSync(join(KEYS, 'other-cache-1.secret'), 'utf8');
const LOCAL = JSON.parse(readFileSync(join(KEYS, 'path-info.json'), 'utf8')) as PathInfo[];
const byName = (name: string): PathInfo => LOCAL.find((p) => p.path.endsWith(`-${name}`))!;
const TOP = byName('fixture-top');
const A = byName('fixture-a');
const CA = byName('fixture-ca.txt');
const hashOf = (p: PathInfo): string => p.path.slice('/nix/store/'.length, '/nix/store/'.length + 32);
const TOKEN = 'verify-test-token-5f2c';

type Checked = Extract<VerifyReport, { verifiable: true }>;
function checked(report: VerifyReport): Checked {
  if (!report.verifiable) throw new Error(`not verifiable: ${report.reason}`);
  return report;
}
const sorted = (xs: readonly string[]): string[] => [...xs].sort();

let dir: string;
let cache: CacheServer;
const others: TestServer[] = [];

/** Rewrites one narinfo of the cache directory. */
function editNarinfo(p: PathInfo, edit: (text: string) => string): void {
  const file = join(dir, `${hashOf(p)}.narinfo`);
  writeFileSync(file, edit(readFileSync(file, 'utf8')));
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'verify-cache-'));
  cpSync(join(KEYS, 'cache'), dir, { recursive: true });
  cache = await startCacheServer({ dir, tokens: [{ token: TOKEN, name: 'ci', write: true }] });
});
afterEach(async () => {
  await cache.close();
  await Promise.all(others.splice(0).map((s) => s.close()));
  rmSync(dir, { recursive: true, force: true });
});

const netrc = (): string => `machine 127.0.0.1 login nix password ${TOKEN}\n`;
const verifyHttp = (extra: Partial<VerifyOptions> = {}): Promise<VerifyReport> =>
  verifyPushed({
    cacheUrl: cache.url,
    paths: LOCAL,
    publicKeys: [PUBLIC],
    netrc: netrc(),
    retryDelayMs: 5,
    ...extra,
  });

describe('verifyPushed over HTTP (loopback cache, narinfos signed by nix)', () => {
  it('reads every narinfo with the netrc credentials and verifies its Nix-made signature', async () => {
    const report = checked(await verifyHttp());
    expect(report.checks).toBe('signatures');
    expect(sorted(report.ok)).toEqual(sorted(LOCAL.map((p) => p.path)));
    expect([report.missing, report.badSignature, report.mismatch, report.unreadable]).toEqual([
      [],
      [],
      [],
      [],
    ]);
    expect(cache.log.map((r) => `${r.method} ${r.kind} ${r.status} ${r.identity ?? ''}`)).toEqual(
      LOCAL.map(() => 'GET narinfo 200 token:ci'),
    );
  });

  it('sorts paths into missing, bad signature and mismatch', async () => {
    unlinkSync(join(dir, `${hashOf(A)}.narinfo`));
    editNarinfo(TOP, (t) => t.replace(/^NarSize: 280$/m, 'NarSize: 281'));
    editNarinfo(CA, (t) =>
      t.replace(/^Sig: test-cache-1:(.)/m, (_m, c: string) => `Sig: test-cache-1:${c === 'A' ? 'B' : 'A'}`),
    );
    const report = checked(await verifyHttp());
    expect(report.ok).toEqual([byName('fixture-b').path]);
    expect(report.missing).toEqual([A.path]);
    expect(report.badSignature).toEqual([CA.path]);
    expect(report.mismatch).toEqual([{ path: TOP.path, why: 'NarSize 281 differs from the local 280' }]);
  });

  it('finds a narinfo for another path, other references, another NAR hash, or one that does not parse', async () => {
    const b = byName('fixture-b');
    editNarinfo(A, (t) => t.replace('fixture-a', 'fixture-x'));
    editNarinfo(b, (t) => t.replace(/^References: $/m, `References: ${hashOf(A)}-fixture-a`));
    editNarinfo(CA, (t) => t.replace(/^NarHash: sha256:1/m, 'NarHash: sha256:0'));
    editNarinfo(TOP, () => 'this is not a narinfo\n');
    const report = checked(await verifyHttp());
    const why = new Map(report.mismatch.map((m) => [m.path, m.why]));
    expect(why.get(A.path)).toBe('the narinfo is for /nix/store/rrq1shsydb67falwvrv77d5hi35cxzjb-fixture-x');
    expect(why.get(b.path)).toBe('References differ from the local path');
    expect(why.get(CA.path)).toMatch(/^NarHash sha256:0.* differs from the local sha256-/);
    expect(why.get(TOP.path)).toBe('the narinfo does not parse: a line is not "Key: value"');
  });

  it('checks signatures against the given keys only; without keys it checks presence and content', async () => {
    const wrongKey = checked(await verifyHttp({ publicKeys: [OTHER_PUBLIC] }));
    expect(sorted(wrongKey.badSignature)).toEqual(sorted(LOCAL.map((p) => p.path)));

    // A narinfo re-signed by another key verifies with that key, not with the cache's.
    editNarinfo(A, (t) => {
      const sig = signFingerprint(OTHER_SECRET, fingerprint(parseNarInfo(t)));
      return t.replace(/^Sig: .*$/m, `Sig: ${sig}`);
    });
    const mixed = checked(await verifyHttp({ publicKeys: [OTHER_PUBLIC, PUBLIC] }));
    expect(mixed.ok).toHaveLength(4);
    expect(checked(await verifyHttp({ publicKeys: [PUBLIC] })).badSignature).toEqual([A.path]);

    const presence = checked(await verifyHttp({ publicKeys: [] }));
    expect(presence.checks).toBe('presence');
    expect(presence.ok).toHaveLength(4);
  });

  it('reports refused credentials as unreadable, without retrying them', async () => {
    const report = checked(await verifyHttp({ netrc: 'machine 127.0.0.1 login nix password wrong\n' }));
    expect(report.unreadable.map((u) => u.why)).toEqual(
      LOCAL.map(() => 'HTTP 401 (the cache refused the credentials)'),
    );
    expect(cache.log).toHaveLength(4);
    const anonymous = checked(await verifyHttp({ netrc: 'machine other.example login x password y\n' }));
    expect(anonymous.ok).toEqual([]);
    expect(cache.log.slice(4).every((r) => r.status === 401 && r.identity === undefined)).toBe(true);
  });

  it('treats 403 as missing and retries 5xx and 429', async () => {
    cache.http.fault({ kind: 'status', status: 403, match: `GET /${hashOf(A)}\\.narinfo`, times: 5 });
    cache.http.fault({ kind: 'status', status: 502, match: `GET /${hashOf(TOP)}\\.narinfo`, times: 1 });
    cache.http.fault({ kind: 'retry-after', status: 429, seconds: 0, match: `/${hashOf(CA)}`, times: 2 });
    const report = checked(await verifyHttp());
    expect(report.missing).toEqual([A.path]);
    expect(sorted(report.ok)).toEqual(sorted([TOP.path, CA.path, byName('fixture-b').path]));
    expect(cache.log).toHaveLength(4 + 1 + 2);
  });

  it('gives a dead cache up after a few failures in a row instead of timing out every path', async () => {
    const down = await startServer(() => ({ status: 200 }));
    const url = down.url;
    await down.close();
    const many = Array.from({ length: 200 }, (_, i) => ({
      ...A,
      path: A.path.replace('fixture-a', `p${i}`),
    }));
    const started = performance.now();
    const report = checked(
      await verifyPushed({
        cacheUrl: url,
        paths: many,
        publicKeys: [PUBLIC],
        concurrency: 2,
        retryDelayMs: 1,
      }),
    );
    expect(performance.now() - started).toBeLessThan(10_000); // not 200 timeouts: a guard, not a speed test
    expect(report.unreadable).toHaveLength(200);
    expect(report.unreadable[0]!.why).toBe('connection refused');
    expect(report.unreadable[199]!.why).toMatch(
      /^given up on the cache after 5 narinfos in a row .*connection refused/,
    );
  });

  it('reads narinfos concurrently (40 at 50 ms each, more than 8 held by the cache at once)', async () => {
    cache.http.latencyMs = 50;
    const many = Array.from({ length: 40 }, (_, i) => ({ ...A, path: A.path.replace('fixture-a', `p${i}`) }));
    const report = checked(await verifyHttp({ paths: many }));
    expect(maxOverlap(cache.http.requests.filter((r) => r.path.endsWith('.narinfo')))).toBeGreaterThan(8);
    expect(report.mismatch).toHaveLength(40); // they all read A's narinfo, which is for another name
  });

  it('follows redirects, with credentials only within the cache origin', async () => {
    const elsewhere = await startServer((req) => ({
      status: 200,
      body: readFileSync(join(dir, req.path.slice(1)), 'utf8'),
    }));
    others.push(elsewhere);
    const front = await startServer((req) =>
      req.path.startsWith('/moved/')
        ? { status: 302, headers: { location: `${elsewhere.url}/${req.path.slice('/moved/'.length)}` } }
        : { status: 302, headers: { location: `/moved${req.path}` } },
    );
    others.push(front);
    const report = checked(
      await verifyPushed({
        cacheUrl: front.url,
        paths: [TOP],
        publicKeys: [PUBLIC],
        netrc: `machine 127.0.0.1 login u password p\n`,
      }),
    );
    expect(report.ok).toEqual([TOP.path]);
    expect(front.requests.map((r) => r.headers.authorization)).toEqual([
      `Basic ${Buffer.from('u:p').toString('base64')}`,
      `Basic ${Buffer.from('u:p').toString('base64')}`,
    ]);
    // 127.0.0.1 on another port is another origin.
    expect(elsewhere.requests.map((r) => r.headers.authorization)).toEqual([undefined]);
  });
});

describe('verifyPushed on other stores', () => {
  it('reads a file:// cache directory', async () => {
    const gone = { ...A, path: A.path.replace('rrq1', 'rrq2') };
    const report = checked(
      await verifyPushed({
        cacheUrl: `file://${dir}?compression=zstd`,
        paths: [...LOCAL, gone],
        publicKeys: [PUBLIC],
      }),
    );
    expect(report.ok).toHaveLength(4);
    expect(report.missing).toEqual([gone.path]);
    expect(cache.log).toEqual([]);
  });

  it('says a store it cannot read is not verifiable (s3:// is read in verify-s3.test.ts)', async () => {
    expect(
      await verifyPushed({ cacheUrl: 'ssh://builder.example.org', paths: LOCAL, publicKeys: [] }),
    ).toEqual({
      verifiable: false,
      reason: 'ssh:// caches are not read back here',
    });
  });
});

describe('netrcAuthorization', () => {
  const basic = (s: string): string => `Basic ${Buffer.from(s).toString('base64')}`;

  it('takes the first entry for the host (any case), else the default entry', () => {
    const text =
      'machine a.example login u1 password p1\nmachine A.EXAMPLE login u2 password p2\ndefault login d password dp\n';
    expect(netrcAuthorization(text, 'a.example')).toBe(basic('u1:p1'));
    expect(netrcAuthorization(text, 'A.Example')).toBe(basic('u1:p1'));
    expect(netrcAuthorization(text, 'b.example')).toBe(basic('d:dp'));
    expect(netrcAuthorization('machine a.example login u\n', 'b.example')).toBeUndefined();
    expect(netrcAuthorization('machine a.example password only\n', 'a.example')).toBe(basic(':only'));
    expect(netrcAuthorization('', 'a.example')).toBeUndefined();
  });

  it('refuses a netrc it cannot read, without showing secrets', () => {
    const text = 'password s3cr3t-value\n';
    expect(() => netrcAuthorization(text, 'a')).toThrow(ActionError);
    try {
      netrcAuthorization(text, 'a');
    } catch (error: unknown) {
      expect((error as Error).message).not.toContain('s3cr3t');
    }
  });
});
