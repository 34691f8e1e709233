// Who may read and write the test binary cache: static tokens, GitHub OIDC JWTs verified against the
// issuer's JWKS, and short-lived tokens issued by the RFC 8693 token-exchange endpoint.
import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { json, type TestResponse } from './http.js';
import { JwksCache, JwtError, verifyJwt, type JwtClaims } from './jwt.js';

export interface Permissions {
  read: boolean;
  write: boolean;
}
export type Permission = keyof Permissions;

export interface StaticToken {
  token: string;
  /** Default true. */
  read?: boolean;
  /** Default false. */
  write?: boolean;
  /** Shown in the request log as `token:NAME` (default: the first 6 characters). */
  name?: string;
}

export interface CacheOidcOptions {
  issuer: string;
  /** Default `${issuer}/.well-known/jwks`. */
  jwksUrl?: string;
  /** Accepted `aud` values of GitHub JWTs (used directly or as exchange subject tokens). */
  audience: string | string[];
  /** Permissions granted to a verified token; default read and write. */
  permissions?: (claims: JwtClaims) => Permissions;
}

export interface CacheAuthOptions {
  /** Reads need no credentials (invalid credentials are still refused). */
  publicRead?: boolean;
  /**
   * Only `nix-cache-info` is readable without credentials; everything else still needs them (a cache
   * that keeps its paths private but not its metadata). Nix then opens the cache for an anonymous
   * client and takes the 401 of a narinfo for "not there", which it remembers.
   */
  publicCacheInfo?: boolean;
  tokens?: StaticToken[];
  /** When set, the Basic user name must be this; otherwise it is ignored. */
  basicUser?: string;
  realm?: string;
  oidc?: CacheOidcOptions;
  /** Lifetime of exchanged tokens (default 3600 s). */
  exchangeLifetimeSec?: number;
  /** Accepted `audience` parameters of an exchange (default: any). */
  exchangeAudiences?: string[];
}

export interface Identity extends Permissions {
  /** `anonymous`, `token:NAME`, `jwt:SUB` or `exchanged:SUB`. */
  name: string;
}

export interface ExchangedToken extends Permissions {
  accessToken: string;
  subject: string;
  claims: JwtClaims;
  /** ms since the epoch */
  expires: number;
}

export const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const SUBJECT_TYPES = ['urn:ietf:params:oauth:token-type:id_token', 'urn:ietf:params:oauth:token-type:jwt'];

export type AuthResult = { ok: true; identity: Identity } | { ok: false; response: TestResponse };

const oauthError = (error: string, description: string, status = 400): TestResponse =>
  json(status, { error, error_description: description }, { 'cache-control': 'no-store' });

export class CacheAuth {
  readonly exchanged: ExchangedToken[] = [];
  private readonly jwks: JwksCache | undefined;

  constructor(private readonly opts: CacheAuthOptions) {
    const oidc = opts.oidc;
    if (oidc !== undefined) this.jwks = new JwksCache(oidc.jwksUrl ?? `${oidc.issuer}/.well-known/jwks`);
  }

  private unauthorized(why: string): AuthResult {
    const realm = this.opts.realm ?? 'nix-cache';
    return {
      ok: false,
      response: { status: 401, headers: { 'www-authenticate': `Basic realm="${realm}"` }, body: `${why}\n` },
    };
  }

  private async verifyGithubJwt(token: string): Promise<{ claims: JwtClaims; perms: Permissions }> {
    const oidc = this.opts.oidc;
    if (oidc === undefined || this.jwks === undefined)
      throw new JwtError('wrong-issuer', 'no OIDC issuer configured');
    const claims = await verifyJwt(token, { cache: this.jwks, issuer: oidc.issuer, audience: oidc.audience });
    return { claims, perms: oidc.permissions?.(claims) ?? { read: true, write: true } };
  }

  /** Resolves a bearer token or Basic password to an identity. */
  private async resolve(secret: string): Promise<Identity | string> {
    const fixed = this.opts.tokens?.find((t) => t.token === secret);
    if (fixed !== undefined) {
      const name = `token:${fixed.name ?? fixed.token.slice(0, 6)}`;
      return { name, read: fixed.read ?? true, write: fixed.write ?? false };
    }
    const swapped = this.exchanged.find((t) => t.accessToken === secret);
    if (swapped !== undefined) {
      if (Date.now() >= swapped.expires) return 'the exchanged token has expired';
      return { name: `exchanged:${swapped.subject}`, read: swapped.read, write: swapped.write };
    }
    if (this.opts.oidc !== undefined && secret.split('.').length === 3) {
      try {
        const { claims, perms } = await this.verifyGithubJwt(secret);
        return { name: `jwt:${String(claims.sub)}`, ...perms };
      } catch (err) {
        if (err instanceof JwtError) return `the JWT was refused (${err.reason})`;
        throw err;
      }
    }
    return 'unknown credentials';
  }

  /** Checks the request's credentials for `need`: 401 when missing or invalid, 403 when not allowed. */
  async check(headers: IncomingHttpHeaders, need: Permission): Promise<AuthResult> {
    const header = headers.authorization ?? '';
    let secret: string | undefined;
    const basic = /^Basic\s+(\S+)$/i.exec(header);
    const bearer = /^Bearer\s+(\S+)$/i.exec(header);
    if (basic?.[1] !== undefined) {
      const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) return this.unauthorized('malformed Basic credentials');
      const user = decoded.slice(0, colon);
      if (this.opts.basicUser !== undefined && user !== this.opts.basicUser)
        return this.unauthorized('wrong user');
      secret = decoded.slice(colon + 1);
    } else if (bearer?.[1] !== undefined) {
      secret = bearer[1];
    } else if (header !== '') {
      return this.unauthorized('unsupported authorization scheme');
    }
    const publicOk = need === 'read' && this.opts.publicRead === true;
    if (secret === undefined) {
      return publicOk
        ? { ok: true, identity: { name: 'anonymous', read: true, write: false } }
        : this.unauthorized('credentials required');
    }
    const identity = await this.resolve(secret);
    if (typeof identity === 'string') return this.unauthorized(identity);
    if (!identity[need] && !publicOk) {
      return {
        ok: false,
        response: { status: 403, body: `${identity.name} may not ${need}\n`, identity: identity.name },
      };
    }
    return { ok: true, identity };
  }

  /** `POST /token-exchange` (RFC 8693): a GitHub JWT in, a short-lived cache token out. */
  async exchange(form: URLSearchParams): Promise<TestResponse> {
    if (form.get('grant_type') !== TOKEN_EXCHANGE_GRANT) {
      return oauthError('unsupported_grant_type', `grant_type must be ${TOKEN_EXCHANGE_GRANT}`);
    }
    const subjectToken = form.get('subject_token');
    if (subjectToken === null || subjectToken === '')
      return oauthError('invalid_request', 'subject_token is required');
    if (!SUBJECT_TYPES.includes(form.get('subject_token_type') ?? '')) {
      return oauthError('invalid_request', `subject_token_type must be one of ${SUBJECT_TYPES.join(', ')}`);
    }
    if (this.opts.oidc === undefined)
      return oauthError('unauthorized_client', 'this cache accepts no identity tokens');
    const audience = form.get('audience');
    if (audience !== null && this.opts.exchangeAudiences?.includes(audience) === false) {
      return oauthError('invalid_target', `unknown audience ${audience}`);
    }
    let claims: JwtClaims;
    let perms: Permissions;
    try {
      ({ claims, perms } = await this.verifyGithubJwt(subjectToken));
    } catch (err) {
      if (!(err instanceof JwtError)) throw err;
      return oauthError('invalid_grant', `subject_token refused: ${err.message}`);
    }
    if (!perms.read && !perms.write) {
      return oauthError('unauthorized_client', `${String(claims.sub)} may not use this cache`);
    }
    const scope = form.get('scope');
    if (scope !== null && scope.trim() !== '') {
      const wanted = scope.trim().split(/\s+/);
      const unknown = wanted.find((s) => s !== 'read' && s !== 'write');
      if (unknown !== undefined) return oauthError('invalid_scope', `unknown scope ${unknown}`);
      if (wanted.some((s) => !perms[s as Permission])) {
        return oauthError('invalid_scope', `${String(claims.sub)} may not get scope "${scope}"`);
      }
      perms = { read: wanted.includes('read'), write: wanted.includes('write') };
    }
    const lifetime = this.opts.exchangeLifetimeSec ?? 3600;
    const issued: ExchangedToken = {
      accessToken: `nct_${randomBytes(32).toString('base64url')}`,
      subject: String(claims.sub),
      claims,
      expires: Date.now() + lifetime * 1000,
      ...perms,
    };
    this.exchanged.push(issued);
    const granted = [perms.read ? 'read' : '', perms.write ? 'write' : ''].filter((s) => s !== '').join(' ');
    return {
      ...json(
        200,
        {
          access_token: issued.accessToken,
          issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
          token_type: 'Bearer',
          expires_in: lifetime,
          scope: granted,
        },
        { 'cache-control': 'no-store' },
      ),
      identity: `jwt:${issued.subject}`,
    };
  }
}
