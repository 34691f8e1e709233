// The IAM side of AssumeRoleWithWebIdentity: OIDC identity providers (discovery, JWKS, client IDs)
// and role trust policies with StringEquals / StringLike conditions.
import { decodeJwt, fetchJson, JwksCache, JwtError, verifyJwt, type JwtClaims } from './jwt.js';
import { StsError } from './sts-protocol.js';

/** An IAM OIDC identity provider: its issuer URL and registered client IDs (audiences; absent = any). */
export interface StsProvider {
  issuer: string;
  clientIds?: string[];
}

/** A role and its trust policy. Conditions are IAM StringLike globs (`*`, `?`); a list means any of them. */
export interface StsRole {
  /** `arn:aws:iam::ACCOUNT:role/NAME` */
  arn: string;
  /** MaxSessionDuration in seconds (default 3600, at most 43200). */
  maxSessionDuration?: number;
  /** The provider the trust policy federates (default: any configured provider). */
  issuer?: string;
  /** StringEquals on `aud` (default `sts.amazonaws.com`). */
  audience?: string | string[];
  /** StringLike on `sub` (default: any). */
  subject?: string | string[];
  /** StringLike on other claims, e.g. `{ repository_owner: 'octo-org' }`. */
  conditions?: Record<string, string | string[]>;
}

const asList = (v: string | string[]): string[] => (typeof v === 'string' ? [v] : v);

/** IAM StringLike: `*` any run of characters, `?` exactly one; everything else literal. */
export function stringLike(pattern: string, value: string): boolean {
  const re = pattern.replace(/[.+^${}()|[\]\\*?]/g, (c) => (c === '*' ? '.*' : c === '?' ? '.' : `\\${c}`));
  return new RegExp(`^${re}$`, 's').test(value);
}

/** Whether the role's trust policy lets this verified token in. */
export function trustPolicyAllows(role: StsRole, claims: JwtClaims, provider: StsProvider): boolean {
  if (role.issuer !== undefined && role.issuer !== provider.issuer) return false;
  const auds = claims.aud === undefined ? [] : asList(claims.aud);
  if (!auds.some((a) => asList(role.audience ?? 'sts.amazonaws.com').includes(a))) return false;
  const conditions: Record<string, string | string[]> = { ...role.conditions };
  if (role.subject !== undefined) conditions.sub = role.subject;
  return Object.entries(conditions).every(([claim, patterns]) => {
    const value = claims[claim];
    return typeof value === 'string' && asList(patterns).some((p) => stringLike(p, value));
  });
}

/** Verifies web identity tokens like STS: issuer → provider, keys by discovery, signature, expiry, client IDs. */
export class WebIdentityVerifier {
  private readonly keyCaches = new Map<string, JwksCache>();

  constructor(
    private readonly providers: readonly StsProvider[],
    private readonly idpTimeoutMs: number,
  ) {}

  private async keysFor(issuer: string): Promise<JwksCache> {
    let cache = this.keyCaches.get(issuer);
    if (cache === undefined) {
      const discovery = await fetchJson(`${issuer}/.well-known/openid-configuration`, this.idpTimeoutMs);
      if (typeof discovery.jwks_uri !== 'string') throw new JwtError('jwks-unavailable', 'no jwks_uri');
      cache = new JwksCache(discovery.jwks_uri, { timeoutMs: this.idpTimeoutMs });
      this.keyCaches.set(issuer, cache);
    }
    return cache;
  }

  /** The verified claims and the provider, or an StsError as AWS would answer. */
  async verify(token: string): Promise<{ claims: JwtClaims; provider: StsProvider }> {
    let iss: unknown;
    try {
      iss = decodeJwt(token).claims.iss;
    } catch {
      throw new StsError('InvalidIdentityToken', 'Invalid token format');
    }
    const provider = this.providers.find((p) => p.issuer === iss);
    if (provider === undefined) {
      throw new StsError(
        'InvalidIdentityToken',
        `No OpenIDConnect provider found in your account for ${String(iss)}`,
      );
    }
    try {
      const claims = await verifyJwt(token, {
        cache: await this.keysFor(provider.issuer),
        issuer: provider.issuer,
      });
      const auds = claims.aud === undefined ? [] : asList(claims.aud);
      if (provider.clientIds !== undefined && !auds.some((a) => provider.clientIds?.includes(a))) {
        throw new StsError('InvalidIdentityToken', 'Incorrect token audience');
      }
      return { claims, provider };
    } catch (err) {
      if (!(err instanceof JwtError)) throw err;
      const now = Math.floor(Date.now() / 1000);
      switch (err.reason) {
        case 'expired':
          throw new StsError(
            'ExpiredTokenException',
            `Token expired: current date/time ${now} must be before the expiration date/time ${String(err.claims?.exp)}`,
          );
        case 'jwks-timeout':
          throw new StsError('IDPCommunicationError');
        case 'jwks-unavailable':
        case 'unknown-kid':
          throw new StsError(
            'InvalidIdentityToken',
            "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements",
          );
        default:
          throw new StsError(
            'InvalidIdentityToken',
            `The web identity token could not be validated (${err.reason})`,
          );
      }
    }
  }
}
