/**
 * HTTP cache logins for real, against the loopback GitHub OIDC service and binary cache: the RFC 8693
 * exchange (success, endpoint down, 5xx and 429 retried, invalid_grant failing fast), minting through
 * @actions/core with its request variables, and the built refresher (dist/refresh/index.js under
 * node 24) started as the runner user with tokens living a few seconds: the netrc files (a root-owned
 * one written through sudo and the root helper, the user's own) hold a valid token at every look,
 * nothing shows a token on a command line, and stopRefresher ends it.
 */
import { afterEach, expect, it } from '@jest/globals';
import { execFileSync, spawn } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseNetrc } from '../../src/config/netrc.js';
import { exchangeToken, jwtCredential } from '../../src/login/exchange.js';
import { mintIdToken } from '../../src/login/oidc.js';
import { startRefresher, stopRefresher, type StartSpec } from '../../src/login/refresh/process.js';
import type { NetrcSpec, RenewalSpec } from '../../src/login/refresh/spec.js';
import { parseProcStat } from '../../src/system/proc.js';
import { startCacheServer, type CacheServer } from '../servers/cache.js';
import { withEnv } from '../servers/env.js';
import { startOidcServer, type OidcServer } from '../servers/oidc.js';
import { describeE2E } from '../testbed/e2e.js';
import { RUNNER, runAs, userInfo } from '../testbed/run-as.js';

const ROOT_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const NODE24 = path.join(ROOT_DIR, 'node_modules/node/bin/node');
const REFRESHER = path.join(ROOT_DIR, 'dist/refresh/index.js');
const TSX = path.join(ROOT_DIR, 'node_modules/.bin/tsx');
const DRIVER = path.join(ROOT_DIR, '__tests__/e2e/drivers/start-refresher.ts');
const AUDIENCE = 'https://cache.test';
const QUIET = { mask: () => undefined, log: () => undefined };

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

async function servers(
  lifetimeSec = 300,
): Promise<{ oidc: OidcServer; cache: CacheServer; endpoint: string }> {
  const oidc = await startOidcServer({ lifetimeSec });
  cleanups.push(() => oidc.close());
  const cache = await startCacheServer({
    oidc: { issuer: oidc.issuer, audience: AUDIENCE },
    exchangeLifetimeSec: lifetimeSec,
  });
  cleanups.push(() => cache.close());
  return { oidc, cache, endpoint: `${cache.url}/token-exchange` };
}

/** The status of an authenticated read of the cache with `password` (as Nix sends netrc: Basic). */
async function readWith(cache: CacheServer, password: string): Promise<number> {
  const auth = Buffer.from(`nix:${password}`).toString('base64');
  const res = await fetch(`${cache.url}/nix-cache-info`, { headers: { authorization: `Basic ${auth}` } });
  await res.text();
  return res.status;
}

const exchanges = (cache: CacheServer): number => cache.log.filter((r) => r.kind === 'token-exchange').length;

describeE2E('HTTP cache login against the loopback services', () => {
  it('exchanges a fresh GitHub token for a cache token that works until its expiry', async () => {
    const { oidc, cache, endpoint } = await servers(600);
    const before = Date.now();
    const cred = await withEnv(oidc.env(), () =>
      exchangeToken(mintIdToken, { endpoint, audience: AUDIENCE }, QUIET),
    );
    expect(cache.exchanged.map((t) => t.accessToken)).toEqual([cred.password]);
    expect(cred.expiresAt).toBeGreaterThanOrEqual(before + 600_000);
    expect(cred.expiresAt).toBeLessThanOrEqual(Date.now() + 600_000);
    expect(oidc.issued.at(-1)?.claims.aud).toBe(AUDIENCE);
    expect(await readWith(cache, cred.password)).toBe(200);
    expect(await readWith(cache, 'nct_not-a-token')).toBe(401);
  });

  it('says clearly that the endpoint is unreachable, within its retry bound', async () => {
    const { oidc } = await servers();
    const gone = await startCacheServer();
    const endpoint = `${gone.url}/token-exchange`;
    await gone.close();
    const t0 = Date.now();
    const error = await withEnv(oidc.env(), () =>
      exchangeToken(
        mintIdToken,
        { endpoint, audience: AUDIENCE },
        { ...QUIET, policy: { baseMs: 100, maxDelayMs: 200, totalMs: 1_000, maxAttempts: 5 } },
      ),
    ).catch((e: unknown) => e);
    expect(Date.now() - t0).toBeLessThan(3_000);
    const message = (error as Error).message;
    expect(message).toContain(`The token exchange at ${endpoint} failed: no answer (ECONNREFUSED)`);
    expect(message).toMatch(/reachable from the runner/);
    for (const t of oidc.issued) expect(message).not.toContain(t.token);
  });

  it('retries a 503 and a 429 (after its Retry-After), then succeeds', async () => {
    const { oidc, cache, endpoint } = await servers();
    cache.http.fault({ kind: 'status', status: 503, match: /token-exchange/ });
    cache.http.fault({ kind: 'retry-after', status: 429, seconds: 1, match: /token-exchange/ });
    const t0 = Date.now();
    const cred = await withEnv(oidc.env(), () =>
      exchangeToken(mintIdToken, { endpoint, audience: AUDIENCE }, QUIET),
    );
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1_000);
    expect(cache.log.filter((r) => r.kind === 'token-exchange').map((r) => r.status)).toEqual([
      503, 429, 200,
    ]);
    // One fresh GitHub token per attempt.
    expect(oidc.issued).toHaveLength(3);
    expect(await readWith(cache, cred.password)).toBe(200);
  });

  it('fails in under 2 s on invalid_grant, saying what to check', async () => {
    const { oidc, cache, endpoint } = await servers();
    const t0 = Date.now();
    // A token for another audience: the cache's trust configuration refuses it.
    const error = await withEnv(oidc.env(), () =>
      exchangeToken(mintIdToken, { endpoint, audience: 'https://other.test' }, QUIET),
    ).catch((e: unknown) => e);
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(exchanges(cache)).toBe(1);
    const message = (error as Error).message;
    expect(message).toContain('HTTP 400 invalid_grant: subject_token refused');
    expect(message).toContain('trust configuration');
    expect(message).toContain('"https://other.test"');
    expect(message).toContain('repo:octo-org/octo-repo:ref:refs/heads/main');
    for (const t of oidc.issued) expect(message).not.toContain(t.token);
  });

  it('mints through @actions/core: a 500 is retried, a refused request token fails at once', async () => {
    const { oidc } = await servers();
    oidc.http.fault({ kind: 'status', status: 500, match: /idtoken/ });
    const token = await withEnv(oidc.env(), () => mintIdToken(AUDIENCE));
    expect(oidc.http.requests.filter((r) => r.path === '/_apis/idtoken').map((r) => r.status)).toEqual([
      500, 200,
    ]);
    expect(token).toBe(oidc.issued.at(-1)?.token);

    const t0 = Date.now();
    const wrong = { ...oidc.env(), ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'not-the-request-token' };
    const error = await withEnv(wrong, () => mintIdToken(AUDIENCE)).catch((e: unknown) => e);
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect((error as Error).message).toMatch(/Error Code : 401/);
    expect((error as Error).message).toContain('ACTIONS_ID_TOKEN_REQUEST_TOKEN was refused');
  });
});

interface Started {
  pid: number;
  spec: StartSpec;
  userNetrc: string;
  rootNetrc: string;
  logFile: string;
}

/**
 * A job's files (RUNNER_TEMP of runner; a root-only folder for the daemon's netrc, holding another
 * machine's entry too), a first credential in them, and the refresher started by the driver as runner.
 */
async function startAsRunner(
  oidc: OidcServer,
  cache: CacheServer,
  renewal: (files: NetrcSpec) => RenewalSpec,
  first: { password: string; expiresAt: number },
): Promise<Started> {
  const runner = userInfo(RUNNER);
  const temp = await mkdtemp(path.join(tmpdir(), 'nca-runner-temp-'));
  const rootDir = await mkdtemp(path.join(tmpdir(), 'nca-root-only-'));
  cleanups.push(
    () => rm(temp, { recursive: true, force: true }),
    () => rm(rootDir, { recursive: true, force: true }),
  );
  await chown(temp, runner.uid, runner.gid);
  await chmod(rootDir, 0o700);
  const machine = new URL(cache.url).hostname;
  const userNetrc = path.join(temp, 'nix-cache-action', 'netrc');
  const rootNetrc = path.join(rootDir, 'netrc');
  const logFile = path.join(temp, 'nix-cache-action', 'refresher.log');
  await mkdir(path.dirname(userNetrc), { mode: 0o700 });
  await chown(path.dirname(userNetrc), runner.uid, runner.gid);
  const entry = `machine ${machine} login nix password ${first.password}\n`;
  await writeFile(userNetrc, entry, { mode: 0o600 });
  await chown(userNetrc, runner.uid, runner.gid);
  await writeFile(rootNetrc, `machine other.example.org login a password keep-me\n${entry}`, { mode: 0o600 });
  const spec: StartSpec = {
    renewal: renewal({
      machine,
      login: 'nix',
      files: [
        { owner: 'root', path: rootNetrc, mode: 0o600 },
        { owner: 'user', path: userNetrc, mode: 0o600 },
      ],
    }),
    idTokenRequest: { url: oidc.requestUrl, token: oidc.requestToken },
    issuedAt: Date.now(),
    expiresAt: first.expiresAt,
    logFile,
    lifeline: logFile,
    privilege: { user: RUNNER, root: false, passwordlessSudo: true, canWriteRootFiles: true },
  };
  const out = await runAs(RUNNER, [TSX, DRIVER], {
    input: JSON.stringify({ spec, node: NODE24, script: REFRESHER }),
    timeoutMs: 30_000,
  });
  const answer = JSON.parse(out.stdout.trim().split('\n').pop() ?? '{}') as {
    ok: boolean;
    pid?: number;
    error?: string;
  };
  if (!answer.ok || answer.pid === undefined)
    throw new Error(`the driver failed: ${answer.error ?? out.stderr}`);
  const pid = answer.pid;
  cleanups.push(() => stopRefresher(pid));
  return { pid, spec, userNetrc, rootNetrc, logFile };
}

const passwordIn = (text: string, machine: string): string | undefined =>
  parseNetrc(text).find((e) => e.machine === machine)?.password;

describeE2E('the credential refresher (dist/refresh, as runner)', () => {
  it('keeps both netrc files valid over three token lifetimes, and stops when asked', async () => {
    const LIFETIME_S = 4;
    const { oidc, cache, endpoint } = await servers(LIFETIME_S);
    const first = await withEnv(oidc.env(), () =>
      exchangeToken(mintIdToken, { endpoint, audience: AUDIENCE }, QUIET),
    );
    const started = await startAsRunner(
      oidc,
      cache,
      (netrc) => ({ kind: 'token-exchange', audience: AUDIENCE, endpoint, netrc }),
      first,
    );
    const machine = new URL(cache.url).hostname;
    const exchangedBefore = cache.exchanged.length;

    // The refresher runs as runner, in a session of its own, with none of the secrets in its environment.
    const status = await readFile(`/proc/${started.pid}/status`, 'utf8');
    expect(status).toMatch(new RegExp(`^Uid:\\s+${userInfo(RUNNER).uid}\\s`, 'm'));
    expect(parseProcStat(await readFile(`/proc/${started.pid}/stat`, 'utf8'))?.sid).toBe(started.pid);
    const environ = await readFile(`/proc/${started.pid}/environ`, 'utf8');
    expect(environ).not.toContain(oidc.requestToken);
    expect(environ).not.toContain('ACTIONS_ID_TOKEN_REQUEST');

    const psSeen: string[] = [];
    const invalid: string[] = [];
    let looks = 0;
    const until = Date.now() + 3 * LIFETIME_S * 1000 + 500;
    while (Date.now() < until) {
      psSeen.push(execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }));
      for (const file of [started.userNetrc, started.rootNetrc]) {
        const password = passwordIn(await readFile(file, 'utf8'), machine);
        const issued = cache.exchanged.find((t) => t.accessToken === password);
        const now = Date.now();
        if (issued === undefined || issued.expires <= now) {
          invalid.push(
            `${file} at +${now - (until - 3 * LIFETIME_S * 1000 - 500)} ms: ${issued ? `expired ${now - issued.expires} ms ago` : 'unknown token'}`,
          );
        }
        looks += 1;
      }
      await sleep(150);
    }
    expect(invalid).toEqual([]);
    expect(looks).toBeGreaterThan(50);
    const renewals = cache.exchanged.length - exchangedBefore;
    expect(renewals).toBeGreaterThanOrEqual(3);

    // What the files hold now works against the cache; the other machine's entry and the owners stayed.
    const userText = await readFile(started.userNetrc, 'utf8');
    const rootText = await readFile(started.rootNetrc, 'utf8');
    expect(await readWith(cache, passwordIn(userText, machine) ?? '')).toBe(200);
    expect(await readWith(cache, passwordIn(rootText, machine) ?? '')).toBe(200);
    expect(passwordIn(rootText, 'other.example.org')).toBe('keep-me');
    const [userStat, rootStat, logStat] = await Promise.all([
      stat(started.userNetrc),
      stat(started.rootNetrc),
      stat(started.logFile),
    ]);
    expect([userStat.uid, userStat.mode & 0o777]).toEqual([userInfo(RUNNER).uid, 0o600]);
    expect([rootStat.uid, rootStat.mode & 0o777]).toEqual([0, 0o600]);
    expect([logStat.uid, logStat.mode & 0o777]).toEqual([userInfo(RUNNER).uid, 0o600]);

    const log = await readFile(started.logFile, 'utf8');
    expect(log.match(/renewed the exchanged token/g)?.length ?? 0).toBeGreaterThanOrEqual(3);
    const secrets = [
      oidc.requestToken,
      ...oidc.issued.map((t) => t.token),
      ...cache.exchanged.map((t) => t.accessToken),
    ];
    for (const secret of secrets) {
      expect(log).not.toContain(secret);
      for (const ps of psSeen) expect(ps).not.toContain(secret);
    }
    expect(psSeen.some((ps) => ps.includes(REFRESHER))).toBe(true);

    const t0 = Date.now();
    expect(await stopRefresher(started.pid)).toBe('stopped');
    expect(Date.now() - t0).toBeLessThan(3_000);
    expect(await stopRefresher(started.pid)).toBe('not-running');
    expect(await readFile(started.logFile, 'utf8')).toMatch(/exiting \(stopped\) after \d+ renewal\(s\)\n$/);
    console.log(
      `refresher: ${renewals} renewals in ${3 * LIFETIME_S} s, ${looks} looks at the files, stopped in ${Date.now() - t0} ms`,
    );
  });

  it('renews the GitHub token itself as the password, and exits when the job is over', async () => {
    const LIFETIME_S = 4;
    const { oidc, cache } = await servers(LIFETIME_S);
    const first = await withEnv(oidc.env(), () => jwtCredential(mintIdToken, AUDIENCE));
    const started = await startAsRunner(
      oidc,
      cache,
      (netrc) => ({ kind: 'github-jwt', audience: AUDIENCE, netrc }),
      first,
    );
    const machine = new URL(cache.url).hostname;
    await sleep(LIFETIME_S * 1000 + 500);
    const password = passwordIn(await readFile(started.userNetrc, 'utf8'), machine);
    expect(password).not.toBe(first.password);
    expect(oidc.issued.map((t) => t.token)).toContain(password);
    expect(await readWith(cache, password ?? '')).toBe(200);
    expect(await readWith(cache, first.password)).toBe(401); // the first one has expired meanwhile

    // The runner empties RUNNER_TEMP after the job: the lifeline is gone, the refresher goes.
    await rm(started.logFile);
    const t0 = Date.now();
    let alive = true;
    while (alive && Date.now() - t0 < 8_000) {
      await sleep(100);
      const s = await readFile(`/proc/${started.pid}/stat`, 'utf8').catch(() => undefined);
      alive = s !== undefined && parseProcStat(s)?.state !== 'Z';
    }
    expect(alive).toBe(false);
    expect(await stopRefresher(started.pid)).toBe('not-running');
  });

  it('reports a refresher that cannot start, with its log, and never signals a process that is not one', async () => {
    const temp = await mkdtemp(path.join(tmpdir(), 'nca-refresher-bad-'));
    cleanups.push(() => rm(temp, { recursive: true, force: true }));
    const logFile = path.join(temp, 'nix-cache-action', 'refresher.log');
    const bad = {
      renewal: {
        kind: 'carrier-pigeon',
        audience: AUDIENCE,
        netrc: { machine: 'x', login: 'nix', files: [] },
      },
      idTokenRequest: { url: 'http://127.0.0.1:9/_apis/idtoken?x=1', token: 'request-token-value' },
      issuedAt: Date.now(),
      expiresAt: Date.now() + 60_000,
      logFile,
      lifeline: logFile,
      privilege: { user: 'root', root: true, passwordlessSudo: false, canWriteRootFiles: true },
    } as unknown as StartSpec;
    const t0 = Date.now();
    const error = await startRefresher(bad, { node: NODE24, script: REFRESHER }).catch((e: unknown) => e);
    expect(Date.now() - t0).toBeLessThan(5_000);
    const message = (error as Error).message;
    expect(message).toMatch(/The credential refresher did not start: it exited \(code 2\)/);
    expect(message).toContain('renewal.kind must be');
    expect(message).not.toContain('request-token-value');
    expect((await stat(logFile)).mode & 0o777).toBe(0o600);

    // A pid that belongs to something else now (pid reuse): left alone.
    const other = spawn('sleep', ['30'], { stdio: 'ignore' });
    cleanups.push(() => Promise.resolve(other.kill('SIGKILL')));
    const pid = other.pid ?? -1;
    expect(await stopRefresher(pid)).toBe('not-running');
    expect(other.exitCode).toBeNull();
    expect(other.signalCode).toBeNull();
    expect(await stopRefresher(2 ** 22 + 7)).toBe('not-running');
  });
});
