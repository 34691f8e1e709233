/**
 * RFC 8693 exchange with fetch faked at the seam: the request as sent (method, headers, form), the
 * answer parsed into a credential, retry classification (5xx, 429 with Retry-After, no answer) and the
 * refusals that fail at once, with messages that say what to check and never carry a token.
 */
import { describe, expect, it } from '@jest/globals';
import {
  ASSUMED_LIFETIME_MS,
  describeEndpoint,
  exchangeForm,
  exchangeToken,
  failedAnswer,
  jwtCredential,
  parseTokenResponse,
} from '../../../src/login/exchange.js';
import { CredentialError } from '../../../src/login/oidc.js';
import type { RetryTiming } from '../../../src/login/retry.js';

const b64 = (v: object): string => Buffer.from(JSON.stringify(v)).toString('base64url');
const jwt = (claims: object): string => `${b64({ alg: 'RS256', kid: 'k' })}.${b64(claims)}.c2lnbmF0dXJl`;
const SUBJECT = jwt({
  iss: 'https://token.actions.githubusercontent.com',
  sub: 'repo:octo-org/octo-repo:ref:refs/heads/main',
  aud: 'https://cache.example.org',
  exp: 2_000_000_000,
});
const ACCESS = 'nct_secret-access-token';
const ENDPOINT = 'https://cache.example.org/token-exchange';
const TARGET = { endpoint: ENDPOINT, audience: 'https://cache.example.org' };

function fakeTiming(): RetryTiming & { slept: number[] } {
  let now = 1_700_000_000_000;
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

interface Sent {
  url: string;
  init: RequestInit;
}

/** A fetch that answers from a script, one entry per call: a Response, or an error to throw. */
function scriptedFetch(script: (Response | Error)[]): typeof fetch & { sent: Sent[] } {
  const sent: Sent[] = [];
  const f = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    sent.push({ url: input instanceof Request ? input.url : input.toString(), init: init ?? {} });
    const next = script.shift();
    if (next === undefined) throw new Error('unexpected request');
    return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
  };
  const scripted: typeof fetch & { sent: Sent[] } = Object.assign(f, { sent });
  return scripted;
}

const json = (status: number, body: object, headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

const mint = (): Promise<string> => Promise.resolve(SUBJECT);
const quiet = { mask: () => undefined, log: () => undefined };

describe('exchange request and answer', () => {
  it('encodes the RFC 8693 form', () => {
    const form = exchangeForm(SUBJECT);
    expect(Object.fromEntries(form)).toEqual({
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      subject_token: SUBJECT,
      subject_token_type: 'urn:ietf:params:oauth:token-type:id_token',
      requested_token_type: 'urn:ietf:params:oauth:token-type:access_token',
    });
    expect(form.toString()).toContain('grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange');
  });

  it('parses access_token and expires_in (number or numeric string)', () => {
    expect(parseTokenResponse({ access_token: 'abc', expires_in: 600, token_type: 'Bearer' }, 1000)).toEqual({
      password: 'abc',
      expiresAt: 601_000,
    });
    expect(parseTokenResponse({ access_token: 'abc', expires_in: '60' }, 0).expiresAt).toBe(60_000);
  });

  it('assumes the short lifetime when expires_in is missing or unusable', () => {
    expect(parseTokenResponse({ access_token: 'abc' }, 0).expiresAt).toBe(ASSUMED_LIFETIME_MS);
    expect(parseTokenResponse({ access_token: 'abc', expires_in: -5 }, 0).expiresAt).toBe(
      ASSUMED_LIFETIME_MS,
    );
    expect(parseTokenResponse({ access_token: 'abc', expires_in: 'soon' }, 0).expiresAt).toBe(
      ASSUMED_LIFETIME_MS,
    );
  });

  it('refuses answers without a token', () => {
    expect(() => parseTokenResponse({ token: 'abc' }, 0)).toThrow(/no access_token/);
    expect(() => parseTokenResponse({ access_token: '' }, 0)).toThrow(/no access_token/);
    expect(() => parseTokenResponse([], 0)).toThrow(/not a JSON object/);
  });

  it('classifies failed answers', () => {
    expect(failedAnswer(503, '', null, 0, []).verdict).toEqual({ retry: true });
    expect(failedAnswer(500, 'oops', null, 0, []).verdict).toEqual({ retry: true });
    expect(failedAnswer(429, '', '7', 0, []).verdict).toEqual({ retry: true, afterMs: 7000 });
    expect(failedAnswer(408, '', null, 0, []).verdict).toEqual({ retry: true });
    const refused = failedAnswer(
      400,
      JSON.stringify({ error: 'invalid_grant', error_description: 'expired' }),
      null,
      0,
      [],
    );
    expect(refused.verdict).toEqual({ retry: false });
    expect(refused.oauthError).toBe('invalid_grant');
    expect(refused.message).toBe('HTTP 400 invalid_grant: expired');
    expect(failedAnswer(401, '', null, 0, []).verdict).toEqual({ retry: false });
  });

  it('redacts the subject token when a server echoes it', () => {
    const e = failedAnswer(
      400,
      JSON.stringify({ error: 'invalid_grant', error_description: `bad ${SUBJECT}` }),
      null,
      0,
      [SUBJECT],
    );
    expect(e.message).not.toContain(SUBJECT);
    expect(e.message).toContain('[redacted]');
  });

  it('describes the endpoint without user info or query', () => {
    expect(describeEndpoint('https://u:p@cache.example.org/x?key=secret')).toBe(
      'https://cache.example.org/x',
    );
  });
});

describe('exchangeToken', () => {
  it('POSTs the form and returns the credential, masked', async () => {
    const f = scriptedFetch([json(200, { access_token: ACCESS, expires_in: 900, token_type: 'Bearer' })]);
    const masked: string[] = [];
    const timing = fakeTiming();
    const cred = await exchangeToken(mint, TARGET, {
      fetch: f,
      timing,
      mask: (s) => masked.push(s),
      log: () => undefined,
    });
    expect(cred).toEqual({ password: ACCESS, expiresAt: timing.now() + 900_000 });
    expect(masked).toEqual([ACCESS]);
    const [req] = f.sent;
    expect(req?.url).toBe(ENDPOINT);
    expect(req?.init.method).toBe('POST');
    expect(req?.init.redirect).toBe('manual');
    expect(req?.init.headers).toMatchObject({ 'content-type': 'application/x-www-form-urlencoded' });
    expect(typeof req?.init.body).toBe('string');
    const form = new URLSearchParams(req?.init.body as string);
    expect(form.get('subject_token')).toBe(SUBJECT);
    expect(form.get('grant_type')).toBe('urn:ietf:params:oauth:grant-type:token-exchange');
  });

  it('retries 5xx, a 429 after its Retry-After, and no answer; mints a fresh token per attempt', async () => {
    const down = Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
    const f = scriptedFetch([
      json(503, { error: 'temporarily_unavailable' }),
      json(429, { error: 'slow_down' }, { 'retry-after': '3' }),
      down,
      json(200, { access_token: ACCESS, expires_in: 60 }),
    ]);
    let minted = 0;
    const timing = fakeTiming();
    const logged: string[] = [];
    const cred = await exchangeToken(
      () => {
        minted += 1;
        return Promise.resolve(SUBJECT);
      },
      TARGET,
      { fetch: f, timing, mask: () => undefined, log: (l) => logged.push(l) },
    );
    expect(cred.password).toBe(ACCESS);
    expect(f.sent).toHaveLength(4);
    expect(minted).toBe(4);
    expect(timing.slept[1]).toBeGreaterThanOrEqual(3000);
    expect(logged.join('\n')).toContain('ECONNREFUSED');
    expect(logged.join('\n')).not.toContain(SUBJECT);
  });

  it('fails at once on invalid_grant, with what to check and no token', async () => {
    const f = scriptedFetch([
      json(400, { error: 'invalid_grant', error_description: 'audience not trusted' }),
    ]);
    const timing = fakeTiming();
    const error = await exchangeToken(mint, TARGET, { fetch: f, timing, ...quiet }).catch((e: unknown) => e);
    expect(f.sent).toHaveLength(1);
    expect(timing.slept).toEqual([]);
    expect(error).toBeInstanceOf(CredentialError);
    expect(error).toMatchObject({ transient: false });
    const message = (error as Error).message;
    expect(message).toContain('HTTP 400 invalid_grant: audience not trusted');
    expect(message).toContain('trust configuration');
    expect(message).toContain('repo:octo-org/octo-repo:ref:refs/heads/main');
    expect(message).toContain('"https://cache.example.org"');
    expect(message).not.toContain(SUBJECT);
  });

  it('explains a protocol mismatch and a redirect differently', async () => {
    const proto = await exchangeToken(mint, TARGET, {
      fetch: scriptedFetch([json(400, { error: 'unsupported_grant_type' })]),
      timing: fakeTiming(),
      ...quiet,
    }).catch((e: unknown) => e);
    expect((proto as Error).message).toMatch(/RFC 8693 token-exchange endpoint/);
    const moved = new Response('', { status: 308, headers: { location: 'https://elsewhere.example/x' } });
    const redirect = await exchangeToken(mint, TARGET, {
      fetch: scriptedFetch([moved]),
      timing: fakeTiming(),
      ...quiet,
    }).catch((e: unknown) => e);
    expect((redirect as Error).message).toMatch(/redirected/);
  });

  it('gives up on an unreachable endpoint within the policy, as a transient CredentialError', async () => {
    const down = (): Error =>
      Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNREFUSED' } });
    const f = scriptedFetch([down(), down(), down()]);
    const error = await exchangeToken(mint, TARGET, {
      fetch: f,
      timing: fakeTiming(),
      policy: { baseMs: 100, maxDelayMs: 100, totalMs: 10_000, maxAttempts: 3 },
      ...quiet,
    }).catch((e: unknown) => e);
    expect(f.sent).toHaveLength(3);
    expect(error).toMatchObject({ transient: true });
    expect((error as Error).message).toMatch(/failed: no answer \(ECONNREFUSED\).*reachable/);
  });

  it('does not retry when minting fails (the mint retried already)', async () => {
    const f = scriptedFetch([]);
    const failing = (): Promise<string> => Promise.reject(new CredentialError('no OIDC token', true));
    const error = await exchangeToken(failing, TARGET, { fetch: f, timing: fakeTiming(), ...quiet }).catch(
      (e: unknown) => e,
    );
    expect(f.sent).toHaveLength(0);
    expect((error as Error).message).toBe('no OIDC token');
  });

  it('refuses a 200 that is not a token answer', async () => {
    const f = scriptedFetch([new Response('<html>proxy</html>', { status: 200 })]);
    const error = await exchangeToken(mint, TARGET, { fetch: f, timing: fakeTiming(), ...quiet }).catch(
      (e: unknown) => e,
    );
    expect((error as Error).message).toMatch(/not JSON/);
  });
});

describe('jwtCredential', () => {
  it('uses the token as the password, valid until its exp', async () => {
    await expect(jwtCredential(mint, 'aud')).resolves.toEqual({
      password: SUBJECT,
      expiresAt: 2_000_000_000_000,
    });
  });

  it('assumes the short lifetime without exp', async () => {
    const noExp = jwt({ sub: 'x' });
    const cred = await jwtCredential(
      () => Promise.resolve(noExp),
      'aud',
      () => 5,
    );
    expect(cred.expiresAt).toBe(5 + ASSUMED_LIFETIME_MS);
  });
});
