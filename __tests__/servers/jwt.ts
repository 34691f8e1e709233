// RS256 JSON Web Tokens with node's crypto only: signing keys, JWKS documents and a verifier that
// checks signature, issuer, audience and validity window, fetching JWKS over HTTP when asked to.
import { createPublicKey, generateKeyPairSync, randomBytes, sign, verify, type KeyObject } from 'node:crypto';

export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export interface Jwk {
  kty: 'RSA';
  kid: string;
  alg: 'RS256';
  use: 'sig';
  n: string;
  e: string;
}

export interface Jwks {
  keys: Jwk[];
}

export type JwtClaims = Record<string, unknown> & {
  iss?: string;
  sub?: string;
  aud?: string | string[];
  exp?: number;
  nbf?: number;
  iat?: number;
  jti?: string;
};

export type JwtErrorReason =
  | 'malformed'
  | 'unsupported-alg'
  | 'unknown-kid'
  | 'bad-signature'
  | 'expired'
  | 'not-yet-valid'
  | 'wrong-issuer'
  | 'wrong-audience'
  | 'jwks-unavailable'
  | 'jwks-timeout';

export class JwtError extends Error {
  constructor(
    readonly reason: JwtErrorReason,
    message: string,
    /** The claims, when the token could be decoded. */
    readonly claims?: JwtClaims,
  ) {
    super(`${reason}: ${message}`);
    this.name = 'JwtError';
  }
}

export function createSigningKey(kid: string = randomBytes(8).toString('hex')): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { kid, privateKey, publicKey };
}

const b64url = (data: string | Buffer): string => Buffer.from(data).toString('base64url');

export function signJwt(key: SigningKey, claims: JwtClaims): string {
  const header = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: key.kid }));
  const payload = b64url(JSON.stringify(claims));
  const signature = sign('RSA-SHA256', Buffer.from(`${header}.${payload}`), key.privateKey);
  return `${header}.${payload}.${b64url(signature)}`;
}

export function jwks(keys: readonly SigningKey[]): Jwks {
  return {
    keys: keys.map((key) => {
      const { n, e } = key.publicKey.export({ format: 'jwk' });
      if (n === undefined || e === undefined) throw new Error('not an RSA key');
      return { kty: 'RSA', kid: key.kid, alg: 'RS256', use: 'sig', n, e };
    }),
  };
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export interface DecodedJwt {
  header: Record<string, unknown>;
  claims: JwtClaims;
  signedPart: string;
  signature: Buffer;
}

/** Splits and parses a compact JWS without checking anything else; throws JwtError('malformed'). */
export function decodeJwt(token: string): DecodedJwt {
  const parts = token.split('.');
  const [h, p, s] = parts;
  if (parts.length !== 3 || h === undefined || p === undefined || s === undefined) {
    throw new JwtError('malformed', 'a JWT has three dot-separated parts');
  }
  let header: unknown;
  let claims: unknown;
  try {
    header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
    claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
  } catch {
    throw new JwtError('malformed', 'header or payload is not base64url JSON');
  }
  if (!isRecord(header) || !isRecord(claims))
    throw new JwtError('malformed', 'header and payload must be objects');
  return {
    header,
    claims,
    signedPart: `${h}.${p}`,
    signature: Buffer.from(s, 'base64url'),
  };
}

/** Fetches a JWKS document over HTTP and keeps it; refetches (at most every `minRefetchMs`) on an unknown kid. */
export class JwksCache {
  private keys: Jwk[] | undefined;
  private fetchedAt = 0;
  /** How many times the document was fetched. */
  fetches = 0;

  constructor(
    readonly url: string,
    private readonly opts: { timeoutMs?: number; minRefetchMs?: number } = {},
  ) {}

  async key(kid: string): Promise<Jwk | undefined> {
    let found = this.keys?.find((k) => k.kid === kid);
    if (found === undefined && Date.now() - this.fetchedAt >= (this.opts.minRefetchMs ?? 0)) {
      await this.refresh();
      found = this.keys?.find((k) => k.kid === kid);
    }
    return found;
  }

  async refresh(): Promise<void> {
    this.fetches += 1;
    const doc = await fetchJson(this.url, this.opts.timeoutMs ?? 5000);
    if (!Array.isArray(doc.keys)) throw new JwtError('jwks-unavailable', `${this.url}: not a JWKS document`);
    this.keys = doc.keys as Jwk[];
    this.fetchedAt = Date.now();
  }
}

/** GETs a JSON object; failures are JwtError 'jwks-timeout' or 'jwks-unavailable' (identity provider unreachable). */
export async function fetchJson(url: string, timeoutMs: number): Promise<Record<string, unknown>> {
  let res: Response;
  let text: string;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    text = await res.text();
  } catch (err) {
    // Not `instanceof Error`: fetch's errors come from another realm under jest's VM modules.
    const e = (typeof err === 'object' && err !== null ? err : {}) as { name?: unknown; message?: unknown };
    const timeout = e.name === 'TimeoutError';
    const why = typeof e.message === 'string' ? e.message : String(err);
    throw new JwtError(timeout ? 'jwks-timeout' : 'jwks-unavailable', `${url}: ${why}`);
  }
  let doc: unknown;
  try {
    doc = res.ok ? JSON.parse(text) : undefined;
  } catch {
    doc = undefined;
  }
  if (!isRecord(doc)) throw new JwtError('jwks-unavailable', `${url}: HTTP ${res.status}, no JSON object`);
  return doc;
}

export interface VerifyOptions {
  jwks?: Jwks;
  /** Fetched once and kept in a cache per URL unless `cache` is given. */
  jwksUrl?: string;
  cache?: JwksCache;
  /** Accepted issuers; unchecked when absent. */
  issuer?: string | readonly string[];
  /** Accepted audiences (any of the token's `aud` values must be one); unchecked when absent. */
  audience?: string | readonly string[];
  /** Current time in seconds since the epoch. */
  now?: number;
  clockToleranceSec?: number;
}

const defaultCaches = new Map<string, JwksCache>();
const asList = (v: string | readonly string[]): readonly string[] => (typeof v === 'string' ? [v] : v);

export async function verifyJwt(token: string, opts: VerifyOptions): Promise<JwtClaims> {
  const { header, claims, signedPart, signature } = decodeJwt(token);
  if (header.alg !== 'RS256') throw new JwtError('unsupported-alg', `alg ${String(header.alg)}`, claims);
  const kid = typeof header.kid === 'string' ? header.kid : undefined;
  if (kid === undefined) throw new JwtError('unknown-kid', 'the header has no kid', claims);

  let jwk: Jwk | undefined;
  if (opts.jwks !== undefined) {
    jwk = opts.jwks.keys.find((k) => k.kid === kid);
  } else {
    let cache = opts.cache;
    if (cache === undefined && opts.jwksUrl !== undefined) {
      cache = defaultCaches.get(opts.jwksUrl) ?? new JwksCache(opts.jwksUrl);
      defaultCaches.set(opts.jwksUrl, cache);
    }
    if (cache === undefined) throw new Error('verifyJwt needs jwks, jwksUrl or cache');
    jwk = await cache.key(kid);
  }
  if (jwk === undefined) throw new JwtError('unknown-kid', `no key ${kid}`, claims);

  const publicKey = createPublicKey({ key: { kty: jwk.kty, n: jwk.n, e: jwk.e }, format: 'jwk' });
  if (!verify('RSA-SHA256', Buffer.from(signedPart), publicKey, signature)) {
    throw new JwtError('bad-signature', 'the signature does not match', claims);
  }

  const now = opts.now ?? Math.floor(Date.now() / 1000);
  const leeway = opts.clockToleranceSec ?? 0;
  if (typeof claims.exp !== 'number') throw new JwtError('malformed', 'no numeric exp', claims);
  if (now >= claims.exp + leeway) throw new JwtError('expired', `exp ${claims.exp} <= now ${now}`, claims);
  if (typeof claims.nbf === 'number' && now + leeway < claims.nbf) {
    throw new JwtError('not-yet-valid', `nbf ${claims.nbf} > now ${now}`, claims);
  }
  if (opts.issuer !== undefined && !asList(opts.issuer).includes(String(claims.iss))) {
    throw new JwtError('wrong-issuer', `iss ${String(claims.iss)}`, claims);
  }
  if (opts.audience !== undefined) {
    const accepted = asList(opts.audience);
    const auds = claims.aud === undefined ? [] : asList(claims.aud);
    if (!auds.some((a) => accepted.includes(a))) {
      throw new JwtError('wrong-audience', `aud ${JSON.stringify(claims.aud)}`, claims);
    }
  }
  return claims;
}
