// A GitHub Actions OIDC token service on loopback: discovery document, JWKS, and the token endpoint
// that `@actions/core`'s getIDToken calls (ACTIONS_ID_TOKEN_REQUEST_URL + `&audience=`).
import { randomBytes, randomUUID } from 'node:crypto';
import { json, startServer, type ServerOptions, type TestServer } from './http.js';
import { createSigningKey, jwks, signJwt, type SigningKey } from './jwt.js';

/** What a job's ID token says about the run; numeric ids are strings as GitHub sends them. */
export type GithubRunClaims = {
  ref: string;
  ref_type: 'branch' | 'tag';
  ref_protected: string;
  sha: string;
  repository: string;
  repository_id: string;
  repository_owner: string;
  repository_owner_id: string;
  repository_visibility: string;
  environment?: string;
  workflow: string;
  workflow_ref: string;
  workflow_sha: string;
  job_workflow_ref: string;
  job_workflow_sha: string;
  event_name: string;
  head_ref: string;
  base_ref: string;
  run_id: string;
  run_number: string;
  run_attempt: string;
  actor: string;
  actor_id: string;
  runner_environment: string;
};

/** The claims GitHub puts in a job's ID token. */
export type GithubClaims = GithubRunClaims & {
  jti: string;
  sub: string;
  aud: string;
  iss: string;
  iat: number;
  nbf: number;
  exp: number;
};

export type ClaimOverrides = Partial<GithubClaims>;

export interface OidcServerOptions extends ServerOptions {
  /** Claims for every token (on top of realistic defaults for octo-org/octo-repo on main). */
  claims?: ClaimOverrides;
  /** exp - iat in seconds; GitHub: 300. */
  lifetimeSec?: number;
  /** `sub` as `repo:OWNER@ID/REPO@ID:…` (repositories created after 2026-07-15) instead of names. */
  subjectWithIds?: boolean;
}

export interface IssuedToken {
  token: string;
  claims: GithubClaims;
  kid: string;
}

export interface OidcServer {
  readonly url: string;
  /** The `iss` of every token: the server's own URL. */
  readonly issuer: string;
  readonly jwksUrl: string;
  /** Values for ACTIONS_ID_TOKEN_REQUEST_URL / ACTIONS_ID_TOKEN_REQUEST_TOKEN. */
  readonly requestUrl: string;
  readonly requestToken: string;
  readonly issued: IssuedToken[];
  /** Keys published in the JWKS, the signing key last. */
  readonly keys: SigningKey[];
  readonly http: TestServer;
  /** Overrides for every later token. */
  setClaims(overrides: ClaimOverrides): void;
  /** Overrides for the next `times` token requests only (queued in order). */
  overrideNext(overrides: ClaimOverrides, times?: number): void;
  /** Mint a token directly (no HTTP), e.g. an expired one; it is recorded in `issued`. */
  mint(overrides?: ClaimOverrides, audience?: string): string;
  /** A new signing key; the old ones stay published unless `dropOld`. */
  rotateKey(opts?: { dropOld?: boolean }): SigningKey;
  /** `{ ACTIONS_ID_TOKEN_REQUEST_URL, ACTIONS_ID_TOKEN_REQUEST_TOKEN }`. */
  env(): Record<string, string>;
  close(): Promise<void>;
}

const hex = (bytes: number): string => randomBytes(bytes).toString('hex');

/** `sub` the way GitHub derives it: environment, pull_request, or ref. */
export function githubSubject(c: ClaimOverrides, withIds = false): string {
  const [owner = '', name = ''] = (c.repository ?? '/').split('/');
  const repo = withIds
    ? `${owner}@${c.repository_owner_id ?? ''}/${name}@${c.repository_id ?? ''}`
    : `${owner}/${name}`;
  if (c.environment !== undefined && c.environment !== '') return `repo:${repo}:environment:${c.environment}`;
  if (c.event_name === 'pull_request') return `repo:${repo}:pull_request`;
  return `repo:${repo}:ref:${c.ref ?? ''}`;
}

function defaultClaims(owner: string, repo: string): GithubRunClaims {
  const sha = hex(20);
  const workflowRef = `${owner}/${repo}/.github/workflows/ci.yml@refs/heads/main`;
  return {
    ref: 'refs/heads/main',
    ref_type: 'branch',
    ref_protected: 'true',
    sha,
    repository: `${owner}/${repo}`,
    repository_id: '812345678',
    repository_owner: owner,
    repository_owner_id: '91234567',
    repository_visibility: 'private',
    workflow: 'CI',
    workflow_ref: workflowRef,
    workflow_sha: sha,
    job_workflow_ref: workflowRef,
    job_workflow_sha: sha,
    event_name: 'push',
    head_ref: '',
    base_ref: '',
    run_id: String(10_000_000_000 + Math.floor(Math.random() * 1_000_000_000)),
    run_number: '42',
    run_attempt: '1',
    actor: 'octocat',
    actor_id: '583231',
    runner_environment: 'github-hosted',
  };
}

export async function startOidcServer(opts: OidcServerOptions = {}): Promise<OidcServer> {
  const requestToken = hex(24);
  const keys: SigningKey[] = [createSigningKey()];
  const issued: IssuedToken[] = [];
  const queued: { overrides: ClaimOverrides; left: number }[] = [];
  let base: ClaimOverrides = { ...opts.claims };
  const lifetime = opts.lifetimeSec ?? 300;
  let issuer = '';

  const mint = (overrides: ClaimOverrides = {}, audience?: string): string => {
    const layered: ClaimOverrides = { ...base, ...overrides };
    const repository = layered.repository ?? `${layered.repository_owner ?? 'octo-org'}/octo-repo`;
    const [owner = 'octo-org', name = 'octo-repo'] = repository.split('/');
    const merged = { ...defaultClaims(owner, name), ...layered };
    const iat = merged.iat ?? Math.floor(Date.now() / 1000);
    const claims: GithubClaims = {
      ...merged,
      jti: merged.jti ?? randomUUID(),
      sub: merged.sub ?? githubSubject(merged, opts.subjectWithIds ?? false),
      // A per-request override beats the requested audience, which beats the server's claims.
      aud: overrides.aud ?? audience ?? base.aud ?? `https://github.com/${owner}`,
      iss: merged.iss ?? issuer,
      iat,
      nbf: merged.nbf ?? iat,
      exp: merged.exp ?? iat + lifetime,
    };
    const key = keys[keys.length - 1]!;
    const token = signJwt(key, claims);
    issued.push({ token, claims, kid: key.kid });
    return token;
  };

  const http = await startServer((req) => {
    if (req.method !== 'GET') return json(405, { message: 'method not allowed' });
    if (req.path === '/.well-known/openid-configuration') {
      return json(200, {
        issuer,
        jwks_uri: `${issuer}/.well-known/jwks`,
        subject_types_supported: ['public', 'pairwise'],
        response_types_supported: ['id_token'],
        claims_supported: [
          'sub',
          'aud',
          'exp',
          'iat',
          'iss',
          'jti',
          'nbf',
          'ref',
          'repository',
          'repository_owner',
        ],
        id_token_signing_alg_values_supported: ['RS256'],
        scopes_supported: ['openid'],
      });
    }
    if (req.path === '/.well-known/jwks') return json(200, jwks(keys));
    if (req.path === '/_apis/idtoken') {
      if (req.headers.authorization !== `Bearer ${requestToken}`) {
        return json(401, { message: 'Bad credentials: the request token is missing or wrong' });
      }
      const next = queued[0];
      const overrides = next?.overrides ?? {};
      if (next !== undefined && --next.left <= 0) queued.shift();
      const token = mint(overrides, req.query.get('audience') ?? undefined);
      return { ...json(200, { value: token }), identity: 'runner' };
    }
    return json(404, { message: 'Not Found' });
  }, opts);
  issuer = http.url;

  return {
    url: http.url,
    issuer,
    jwksUrl: `${issuer}/.well-known/jwks`,
    requestUrl: `${http.url}/_apis/idtoken?api-version=2.0`,
    requestToken,
    issued,
    keys,
    http,
    setClaims(overrides) {
      base = { ...base, ...overrides };
    },
    overrideNext(overrides, times = 1) {
      queued.push({ overrides, left: times });
    },
    mint,
    rotateKey(rotate = {}) {
      const key = createSigningKey();
      if (rotate.dropOld === true) keys.length = 0;
      keys.push(key);
      return key;
    },
    env() {
      return {
        ACTIONS_ID_TOKEN_REQUEST_URL: `${http.url}/_apis/idtoken?api-version=2.0`,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: requestToken,
      };
    },
    close: () => http.close(),
  };
}
