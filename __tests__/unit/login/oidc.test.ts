/**
 * The GitHub OIDC side: whether the job may mint a token (from real-shaped event payloads), the
 * messages when it may not, and minting through a fake getIDToken that fails the way @actions/core's
 * does (its error texts), with the retry timing faked.
 */
import { describe, expect, it } from '@jest/globals';
import {
  CredentialError,
  classifyIdTokenFailure,
  createMintIdToken,
  forkNotice,
  idTokenAccess,
  missingPermissionMessage,
} from '../../../src/login/oidc.js';
import type { RetryTiming } from '../../../src/login/retry.js';

const BASE_REPO = {
  id: 812345678,
  name: 'octo-repo',
  full_name: 'octo-org/octo-repo',
  private: false,
  owner: { login: 'octo-org', type: 'Organization' },
  fork: false,
  default_branch: 'main',
};
const FORK_REPO = {
  ...BASE_REPO,
  id: 998877665,
  full_name: 'contributor/octo-repo',
  owner: { login: 'contributor', type: 'User' },
  fork: true,
};

function pullRequestEvent(headRepo: object | null): object {
  return {
    action: 'synchronize',
    number: 42,
    pull_request: {
      number: 42,
      state: 'open',
      title: 'Fix the build',
      user: { login: 'contributor' },
      head: { label: 'contributor:fix', ref: 'fix', sha: 'a'.repeat(40), repo: headRepo },
      base: { label: 'octo-org:main', ref: 'main', sha: 'b'.repeat(40), repo: BASE_REPO },
    },
    repository: BASE_REPO,
    sender: { login: 'contributor' },
  };
}

const PUSH_EVENT = {
  ref: 'refs/heads/main',
  before: 'c'.repeat(40),
  after: 'd'.repeat(40),
  repository: BASE_REPO,
  pusher: { name: 'octocat' },
  sender: { login: 'octocat' },
};

const WITH_TOKEN = {
  ACTIONS_ID_TOKEN_REQUEST_URL:
    'https://pipelines.actions.githubusercontent.com/abc/_apis/idtoken?api-version=2.0',
  ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'request-token',
};

describe('idTokenAccess', () => {
  it('is available when both request variables are set, whatever the event', () => {
    expect(idTokenAccess({ ...WITH_TOKEN, GITHUB_EVENT_NAME: 'push' }, PUSH_EVENT)).toBe('available');
    expect(
      idTokenAccess({ ...WITH_TOKEN, GITHUB_EVENT_NAME: 'pull_request' }, pullRequestEvent(FORK_REPO)),
    ).toBe('available');
  });

  it('is a missing permission when only one of them is set, or one is empty', () => {
    const url = {
      ACTIONS_ID_TOKEN_REQUEST_URL: WITH_TOKEN.ACTIONS_ID_TOKEN_REQUEST_URL,
      GITHUB_EVENT_NAME: 'push',
    };
    expect(idTokenAccess(url, PUSH_EVENT)).toBe('missing-permission');
    expect(idTokenAccess({ ...WITH_TOKEN, ACTIONS_ID_TOKEN_REQUEST_TOKEN: '' }, PUSH_EVENT)).toBe(
      'missing-permission',
    );
  });

  it('is a missing permission on a push without the variables', () => {
    expect(idTokenAccess({ GITHUB_EVENT_NAME: 'push' }, PUSH_EVENT)).toBe('missing-permission');
  });

  it('recognises a pull request from a fork (fork flag, or another repository)', () => {
    expect(idTokenAccess({ GITHUB_EVENT_NAME: 'pull_request' }, pullRequestEvent(FORK_REPO))).toBe(
      'fork-pull-request',
    );
    // Another repository without the fork flag (an old or transferred fork).
    const other = { ...FORK_REPO, fork: false };
    expect(idTokenAccess({ GITHUB_EVENT_NAME: 'pull_request' }, pullRequestEvent(other))).toBe(
      'fork-pull-request',
    );
    // The fork was deleted: GitHub sends `repo: null`.
    expect(idTokenAccess({ GITHUB_EVENT_NAME: 'pull_request' }, pullRequestEvent(null))).toBe(
      'fork-pull-request',
    );
    expect(idTokenAccess({ GITHUB_EVENT_NAME: 'pull_request_review' }, pullRequestEvent(FORK_REPO))).toBe(
      'fork-pull-request',
    );
  });

  it('is a missing permission on a pull request from a branch of the same repository', () => {
    expect(idTokenAccess({ GITHUB_EVENT_NAME: 'pull_request' }, pullRequestEvent(BASE_REPO))).toBe(
      'missing-permission',
    );
  });

  it('is a missing permission on pull_request_target, even from a fork (it runs in the base context)', () => {
    expect(idTokenAccess({ GITHUB_EVENT_NAME: 'pull_request_target' }, pullRequestEvent(FORK_REPO))).toBe(
      'missing-permission',
    );
  });

  it('reads the payload alone when GITHUB_EVENT_NAME is missing, and survives odd payloads', () => {
    expect(idTokenAccess({}, pullRequestEvent(FORK_REPO))).toBe('fork-pull-request');
    expect(idTokenAccess({}, undefined)).toBe('missing-permission');
    expect(idTokenAccess({ GITHUB_EVENT_NAME: 'pull_request' }, 'not an object')).toBe('missing-permission');
    expect(idTokenAccess({ GITHUB_EVENT_NAME: 'pull_request' }, { pull_request: { head: {} } })).toBe(
      'missing-permission',
    );
  });
});

describe('messages', () => {
  it('shows the exact permissions block, where it goes, and why', () => {
    const text = missingPermissionMessage({
      kind: 'token-exchange',
      audience: 'https://cache.example.org',
      endpoint: 'https://cache.example.org/token-exchange',
    });
    expect(text).toContain('permissions:\n  id-token: write\n  contents: read');
    expect(text).toContain('https://cache.example.org/token-exchange');
    expect(text).toMatch(/jobs\.<job_id>/);
    expect(text).toMatch(/top level of the workflow/);
    expect(text).toContain('ACTIONS_ID_TOKEN_REQUEST_URL');
    expect(text).toMatch(/replaces the default permissions/);
  });

  it('names the AWS role for an AWS login', () => {
    const text = missingPermissionMessage({
      kind: 'aws',
      audience: 'sts.amazonaws.com',
      aws: {
        roleArn: 'arn:aws:iam::123456789012:role/nix-cache',
        region: 'eu-west-1',
        sessionName: 's',
        durationSeconds: undefined,
        policy: undefined,
        stsEndpoint: undefined,
        exportCredentials: false,
      },
    });
    expect(text).toContain('arn:aws:iam::123456789012:role/nix-cache');
  });

  it('the fork notice says pull only and why', () => {
    expect(forkNotice()).toMatch(/fork/);
    expect(forkNotice()).toMatch(/pull-only/);
    expect(forkNotice()).toMatch(/nothing is pushed/);
  });
});

/** @actions/core's errors, as OidcClient.getCall and getIDToken build them. */
const coreError = (code: number | undefined, message: string): Error =>
  new Error(
    `Error message: Failed to get ID Token. \n \n        Error Code : ${String(code)}\n \n        Error Message: ${message}`,
  );

describe('classifyIdTokenFailure', () => {
  it.each([
    [500, true],
    [503, true],
    [429, true],
    [408, true],
    [400, false],
    [401, false],
    [403, false],
  ])('HTTP %i: transient %s', (status, transient) => {
    const e = classifyIdTokenFailure(coreError(status, 'nope'));
    expect(e.status).toBe(status);
    expect(e.transient).toBe(transient);
    expect(e.message).not.toMatch(/\n/);
  });

  it('a network error (no status) is transient', () => {
    const e = classifyIdTokenFailure(coreError(undefined, 'connect ECONNREFUSED 127.0.0.1:9'));
    expect(e).toMatchObject({ status: undefined, transient: true });
    expect(e.message).toContain('ECONNREFUSED');
  });

  it('missing variables and an answer without a token are permanent', () => {
    expect(
      classifyIdTokenFailure(
        new Error('Error message: Unable to get ACTIONS_ID_TOKEN_REQUEST_URL env variable'),
      ).transient,
    ).toBe(false);
    expect(
      classifyIdTokenFailure(new Error('Error message: Response json body do not have ID Token field'))
        .transient,
    ).toBe(false);
  });
});

/** A clock that only moves when slept. */
function fakeTiming(): RetryTiming & { slept: number[] } {
  let now = 1_000_000;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleep: (ms) => {
      slept.push(ms);
      now += ms;
      return Promise.resolve();
    },
    random: () => 0.5,
  };
}

describe('createMintIdToken', () => {
  it('retries a 500 and a network error, then returns the token', async () => {
    const failures = [coreError(500, 'boom'), coreError(undefined, 'socket hang up')];
    const audiences: string[] = [];
    const timing = fakeTiming();
    const mint = createMintIdToken({
      timing,
      getIDToken: (aud) => {
        audiences.push(aud);
        const f = failures.shift();
        return f ? Promise.reject(f) : Promise.resolve('header.payload.sig');
      },
    });
    await expect(mint('https://cache.example.org')).resolves.toBe('header.payload.sig');
    expect(audiences).toEqual(Array(3).fill('https://cache.example.org'));
    expect(timing.slept).toHaveLength(2);
  });

  it('fails at once on a 401, saying the request token is refused, as a permanent CredentialError', async () => {
    let calls = 0;
    const timing = fakeTiming();
    const mint = createMintIdToken({
      timing,
      getIDToken: () => {
        calls += 1;
        return Promise.reject(coreError(401, 'Bad credentials'));
      },
    });
    const error = await mint('aud').catch((e: unknown) => e);
    expect(calls).toBe(1);
    expect(timing.slept).toEqual([]);
    expect(error).toBeInstanceOf(CredentialError);
    expect(error).toMatchObject({ transient: false });
    expect((error as Error).message).toMatch(/HTTP|401/);
    expect((error as Error).message).toContain('ACTIONS_ID_TOKEN_REQUEST_TOKEN was refused');
  });

  it('bounds the retries (attempts and total time) and reports a transient failure', async () => {
    let calls = 0;
    const timing = fakeTiming();
    const mint = createMintIdToken({
      timing,
      getIDToken: () => {
        calls += 1;
        return Promise.reject(coreError(503, 'unavailable'));
      },
    });
    const error = await mint('aud').catch((e: unknown) => e);
    expect(calls).toBeLessThanOrEqual(4);
    expect(timing.slept.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(30_000);
    expect(error).toMatchObject({ transient: true });
    expect((error as Error).message).toMatch(/failed \d time\(s\)/);
  });

  it('cuts off an attempt that gets no answer', async () => {
    let calls = 0;
    const mint = createMintIdToken({
      policy: { baseMs: 1, maxDelayMs: 1, totalMs: 1_000, maxAttempts: 2 },
      attemptTimeoutMs: 20,
      getIDToken: () => {
        calls += 1;
        return new Promise<string>(() => undefined);
      },
    });
    const error = await mint('aud').catch((e: unknown) => e);
    expect(calls).toBe(2);
    expect((error as Error).message).toContain('no answer within 20 ms');
  });
});
