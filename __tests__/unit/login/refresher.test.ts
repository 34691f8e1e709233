/**
 * The refresher's decisions with the clock injected: the renewal margin, the next wake-up, retrying a
 * failed renewal until the credential expires and giving up then, and the ways the loop ends (stop,
 * job over, hard cap). Also the spec it reads, the netrc rewrites, and the environment it gets.
 */
import { describe, expect, it } from '@jest/globals';
import type { OwnedFiles, Owner } from '../../../src/config/files.js';
import { type LoopDeps, runRefresher } from '../../../src/login/refresh/loop.js';
import { refresherEnv } from '../../../src/login/refresh/process.js';
import { type Renewal, applyWrites, netrcWrites } from '../../../src/login/refresh/renewal.js';
import { nextRenewal, renewalMargin, retryUntil } from '../../../src/login/refresh/schedule.js';
import { parseSpec } from '../../../src/login/refresh/spec.js';
import { CredentialError } from '../../../src/login/oidc.js';
import type { RetryTiming } from '../../../src/login/retry.js';

const S = 1000;
const T0 = 1_700_000_000_000;

describe('schedule', () => {
  it('renews max(30 s, 20 %) before expiry, at most at half-time, never negative', () => {
    expect(renewalMargin(300 * S)).toBe(60 * S); // GitHub's 5-minute token: renewed after 4 minutes
    expect(renewalMargin(3600 * S)).toBe(720 * S);
    expect(renewalMargin(100 * S)).toBe(30 * S);
    expect(renewalMargin(40 * S)).toBe(20 * S); // 30 s would be most of it: half-time instead
    expect(renewalMargin(4 * S)).toBe(2 * S);
    expect(renewalMargin(0)).toBe(0);
    expect(renewalMargin(-5 * S)).toBe(0);
  });

  it('wakes at expiry minus the margin, at least a second after the last renewal', () => {
    expect(nextRenewal(T0, T0 + 300 * S) - T0).toBe(240 * S);
    expect(nextRenewal(T0, T0 + 4 * S) - T0).toBe(2 * S);
    // An answer that is already expired (or nearly): no busy loop.
    expect(nextRenewal(T0, T0 - 10 * S) - T0).toBe(1 * S);
    expect(nextRenewal(T0, T0 + 10) - T0).toBe(1 * S);
  });

  it('retries until the credential expires, with backoff fitting the time left', () => {
    expect(retryUntil(T0 + 60 * S, T0)).toMatchObject({ totalMs: 60 * S, baseMs: 1 * S, maxDelayMs: 15 * S });
    expect(retryUntil(T0 + 3600 * S, T0).maxDelayMs).toBe(30 * S);
    expect(retryUntil(T0 + 2 * S, T0)).toMatchObject({ totalMs: 2 * S, baseMs: 250, maxDelayMs: 500 });
    expect(retryUntil(T0 - S, T0).totalMs).toBe(0);
  });
});

/** A clock that moves only when slept; optional effects at given times. */
function clock(): RetryTiming & { t: () => number } {
  let now = T0;
  return {
    t: () => now - T0,
    now: () => now,
    sleep: (ms) => {
      now += Math.max(0, ms);
      return Promise.resolve();
    },
    random: () => 0.5,
  };
}

interface Harness {
  deps: LoopDeps;
  renewedAt: number[];
  attempts: number[];
  writes: number;
  lines: string[];
}

/** A loop whose renewal gives `lifetimeMs` credentials, failing as `fail(attempt)` says. */
function harness(
  timing: RetryTiming & { t: () => number },
  lifetimeMs: number,
  opts: {
    fail?: (n: number) => Error | undefined;
    stopAfter?: number;
    aliveUntil?: number;
    deadline?: number;
  } = {},
): Harness {
  const h: Harness = {
    renewedAt: [],
    attempts: [],
    writes: 0,
    lines: [],
    deps: undefined as unknown as LoopDeps,
  };
  const renewal: Renewal = {
    what: 'test credential',
    renew: () => {
      h.attempts.push(timing.t());
      const error = opts.fail?.(h.attempts.length);
      if (error) return Promise.reject(error);
      h.renewedAt.push(timing.t());
      return Promise.resolve({
        writes: [{ owner: 'user', path: '/tmp/x', mode: 0o600, render: () => 'secret-value' }],
        expiresAt: timing.now() + lifetimeMs,
      });
    },
  };
  h.deps = {
    renewal,
    apply: () => {
      h.writes += 1;
      return Promise.resolve();
    },
    timing,
    log: (line) => h.lines.push(line),
    alive: () => opts.aliveUntil === undefined || timing.t() < opts.aliveUntil,
    stopping: () => opts.stopAfter !== undefined && h.renewedAt.length >= opts.stopAfter,
    deadline: T0 + (opts.deadline ?? 24 * 3600 * S),
    checkEveryMs: 5 * S,
  };
  return h;
}

describe('runRefresher', () => {
  it('renews a 5-minute token every 4 minutes until stopped', async () => {
    const timing = clock();
    const h = harness(timing, 300 * S, { stopAfter: 3 });
    const result = await runRefresher({ obtainedAt: T0, expiresAt: T0 + 300 * S }, h.deps);
    expect(result).toEqual({ end: 'stopped', renewals: 3 });
    expect(h.renewedAt).toEqual([240 * S, 480 * S, 720 * S]);
    expect(h.writes).toBe(3);
    expect(h.lines[0]).toMatch(
      /renewed the test credential \(#1\): valid until .*\(300 s\); next renewal at/,
    );
  });

  it('renews tokens of a few seconds at half-time', async () => {
    const timing = clock();
    const h = harness(timing, 4 * S, { stopAfter: 4 });
    await runRefresher({ obtainedAt: T0, expiresAt: T0 + 4 * S }, h.deps);
    expect(h.renewedAt).toEqual([2 * S, 4 * S, 6 * S, 8 * S]);
  });

  it('retries a failing renewal with backoff and carries on once it works', async () => {
    const timing = clock();
    const h = harness(timing, 300 * S, {
      fail: (n) => (n === 1 || n === 2 ? new Error('ECONNRESET') : undefined),
      stopAfter: 2,
    });
    const result = await runRefresher({ obtainedAt: T0, expiresAt: T0 + 300 * S }, h.deps);
    expect(result.renewals).toBe(2);
    expect(h.attempts[0]).toBe(240 * S);
    expect(h.attempts).toHaveLength(4);
    expect(h.attempts[1]! - h.attempts[0]!).toBeGreaterThan(0);
    // Recovered before the old credential expired; the next one is scheduled from the new credential.
    expect(h.renewedAt[0]!).toBeLessThan(300 * S);
    expect(h.renewedAt[1]).toBe(h.renewedAt[0]! + 240 * S);
    expect(h.lines.filter((l) => l.includes('renewal attempt'))).toHaveLength(2);
  });

  it('gives up when renewals keep failing until the credential expires', async () => {
    const timing = clock();
    const h = harness(timing, 60 * S, { fail: () => new Error('HTTP 503') });
    const result = await runRefresher({ obtainedAt: T0, expiresAt: T0 + 60 * S }, h.deps);
    expect(result).toEqual({ end: 'gave-up', renewals: 0 });
    expect(h.attempts[0]).toBe(30 * S);
    expect(h.attempts.length).toBeGreaterThan(2);
    expect(Math.max(...h.attempts)).toBeLessThanOrEqual(60 * S);
    expect(h.lines.at(-1)).toMatch(/^giving up: .*HTTP 503; the credential written last expires at/);
  });

  it('gives up at once on a permanent refusal', async () => {
    const timing = clock();
    const h = harness(timing, 60 * S, { fail: () => new CredentialError('invalid_grant', false) });
    const result = await runRefresher({ obtainedAt: T0, expiresAt: T0 + 60 * S }, h.deps);
    expect(result.end).toBe('gave-up');
    expect(h.attempts).toEqual([30 * S]);
  });

  it('keeps retrying a transient CredentialError', async () => {
    const timing = clock();
    const h = harness(timing, 60 * S, {
      fail: (n) => (n === 1 ? new CredentialError('endpoint down', true) : undefined),
      stopAfter: 1,
    });
    expect((await runRefresher({ obtainedAt: T0, expiresAt: T0 + 60 * S }, h.deps)).renewals).toBe(1);
    expect(h.attempts).toHaveLength(2);
  });

  it('ends when the job is over (lifeline gone), within one check interval', async () => {
    const timing = clock();
    const h = harness(timing, 3600 * S, { aliveUntil: 100 * S });
    const result = await runRefresher({ obtainedAt: T0, expiresAt: T0 + 3600 * S }, h.deps);
    expect(result).toEqual({ end: 'job-over', renewals: 0 });
    expect(timing.t()).toBeGreaterThanOrEqual(100 * S);
    expect(timing.t()).toBeLessThanOrEqual(105 * S);
  });

  it('ends at the hard cap without renewing after it', async () => {
    const timing = clock();
    const h = harness(timing, 300 * S, { deadline: 600 * S });
    const result = await runRefresher({ obtainedAt: T0, expiresAt: T0 + 300 * S }, h.deps);
    expect(result).toEqual({ end: 'hard-cap', renewals: 2 });
    expect(h.renewedAt).toEqual([240 * S, 480 * S]);
    expect(timing.t()).toBe(600 * S);
  });

  it('ends during a retry backoff when stopped', async () => {
    const timing = clock();
    let stop = false;
    const h = harness(timing, 300 * S, {
      fail: () => {
        stop = true;
        return new Error('boom');
      },
    });
    const result = await runRefresher(
      { obtainedAt: T0, expiresAt: T0 + 300 * S },
      { ...h.deps, stopping: () => stop },
    );
    expect(result).toEqual({ end: 'stopped', renewals: 0 });
    expect(h.attempts).toHaveLength(1);
  });

  it('never logs what it writes', async () => {
    const timing = clock();
    const h = harness(timing, 4 * S, { stopAfter: 2 });
    await runRefresher({ obtainedAt: T0, expiresAt: T0 + 4 * S }, h.deps);
    expect(h.lines.join('\n')).not.toContain('secret-value');
  });
});

const SPEC = {
  version: 1,
  renewal: {
    kind: 'token-exchange',
    audience: 'https://cache.example.org',
    endpoint: 'https://cache.example.org/token-exchange',
    netrc: {
      machine: 'cache.example.org',
      login: 'nix',
      files: [
        { owner: 'root', path: '/etc/nix/nix-cache-action/netrc', mode: 0o600 },
        { owner: 'user', path: '/home/runner/work/_temp/nix-cache-action/netrc', mode: 0o600 },
      ],
    },
  },
  idTokenRequest: { url: 'https://example/_apis/idtoken?api-version=2.0', token: 'request-token-value' },
  issuedAt: T0,
  expiresAt: T0 + 300 * S,
  logFile: '/tmp/r.log',
  lifeline: '/tmp/r.log',
  privilege: { user: 'runner', root: false, passwordlessSudo: true, canWriteRootFiles: true },
};

describe('parseSpec', () => {
  it('reads a complete spec, with the default hard cap', () => {
    const spec = parseSpec(JSON.stringify(SPEC));
    expect(spec.renewal).toEqual(SPEC.renewal);
    expect(spec.maxRunMs).toBe(24 * 3600 * S);
    expect(spec.readyFd).toBeUndefined();
  });

  it('names the field at fault, never its value', () => {
    const bad = { ...SPEC, idTokenRequest: { url: SPEC.idTokenRequest.url, token: 42 } };
    expect(() => parseSpec(JSON.stringify(bad))).toThrow('idTokenRequest.token must be a non-empty string');
    const badFile = JSON.parse(JSON.stringify(SPEC)) as typeof SPEC;
    (badFile.renewal.netrc.files[0] as { owner: string }).owner = 'nobody';
    expect(() => parseSpec(JSON.stringify(badFile))).toThrow('renewal.netrc.files[0].owner');
    expect(() => parseSpec(JSON.stringify({ ...SPEC, renewal: { ...SPEC.renewal, kind: 'x' } }))).toThrow(
      /renewal.kind/,
    );
    expect(() => parseSpec(JSON.stringify({ ...SPEC, readyFd: 1 }))).toThrow(/readyFd/);
    expect(() => parseSpec('request-token-value')).toThrow('the refresher spec is not JSON');
    const wrongVersion = (): unknown => parseSpec(JSON.stringify({ ...SPEC, version: 2 }));
    expect(wrongVersion).toThrow('spec.version must be 1');
    const refused = (() => {
      try {
        parseSpec(JSON.stringify({ ...SPEC, lifeline: 7 }));
        return 'parsed';
      } catch (e) {
        return String(e);
      }
    })();
    expect(refused).toContain('spec.lifeline');
    expect(refused).not.toContain('request-token-value');
  });
});

/** OwnedFiles in memory, recording writes by owner. */
function memoryFiles(
  initial: Record<string, string>,
): OwnedFiles & { written: { owner: Owner; path: string; mode: number }[]; data: Map<string, string> } {
  const data = new Map(Object.entries(initial));
  const written: { owner: Owner; path: string; mode: number }[] = [];
  return {
    data,
    written,
    read: (_owner, path) => Promise.resolve(data.get(path)),
    stat: () => Promise.resolve(undefined),
    write: (owner, path, content, mode) => {
      written.push({ owner, path, mode });
      data.set(path, content.toString());
      return Promise.resolve();
    },
    remove: (_owner, path) => {
      data.delete(path);
      return Promise.resolve();
    },
  };
}

describe('netrc rewrites', () => {
  it("replaces the cache's entry in every file, others kept, each by its owner", async () => {
    const files = memoryFiles({
      '/etc/nix/netrc':
        'machine other.example.org login a password keep-me\nmachine cache.example.org login nix password old\n',
    });
    const writes = netrcWrites(
      {
        machine: 'cache.example.org',
        login: 'nix',
        files: [
          { owner: 'root', path: '/etc/nix/netrc', mode: 0o600 },
          { owner: 'user', path: '/tmp/user/netrc', mode: 0o600 },
        ],
      },
      'new-token',
    );
    await applyWrites(files, writes);
    expect(files.written).toEqual([
      { owner: 'root', path: '/etc/nix/netrc', mode: 0o600 },
      { owner: 'user', path: '/tmp/user/netrc', mode: 0o600 },
    ]);
    expect(files.data.get('/etc/nix/netrc')).toBe(
      'machine other.example.org login a password keep-me\nmachine cache.example.org login nix password new-token\n',
    );
    expect(files.data.get('/tmp/user/netrc')).toBe(
      'machine cache.example.org login nix password new-token\n',
    );
  });
});

describe('refresherEnv', () => {
  it('passes only what the refresher needs: no inputs, no tokens', () => {
    const env = refresherEnv({
      PATH: '/usr/bin',
      HOME: '/home/runner',
      RUNNER_TEMP: '/home/runner/work/_temp',
      RUNNER_TRACKING_ID: 'github_abc',
      INPUT_TOKEN: 'secret',
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'secret',
      ACTIONS_ID_TOKEN_REQUEST_URL: 'https://x',
      ACTIONS_RUNTIME_TOKEN: 'secret',
      GITHUB_TOKEN: 'secret',
      AWS_SECRET_ACCESS_KEY: 'secret',
    });
    expect(env).toEqual({
      PATH: '/usr/bin',
      HOME: '/home/runner',
      RUNNER_TEMP: '/home/runner/work/_temp',
      RUNNER_TRACKING_ID: 'github_abc',
    });
  });
});
