/**
 * What a GitHub OIDC token says about the job, read without verifying it (AWS does that): enough to
 * explain an AccessDenied and to suggest the trust policy condition that would let the job in.
 */

/** The claims a trust policy usually tests, as strings; absent claims are undefined. */
export interface TokenClaims {
  readonly iss: string | undefined;
  readonly sub: string | undefined;
  readonly aud: readonly string[];
  readonly repository: string | undefined;
  readonly ref: string | undefined;
  readonly environment: string | undefined;
  readonly jobWorkflowRef: string | undefined;
  /** Expiry, epoch milliseconds. */
  readonly exp: number | undefined;
}

export const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;

/** The payload of a JWT (`header.payload.signature`), or undefined when it is not one. */
export function decodeClaims(token: string): TokenClaims | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[1] === undefined || !/^[A-Za-z0-9_-]+$/u.test(parts[1])) return undefined;
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return undefined;
  const c = payload as Record<string, unknown>;
  const aud = Array.isArray(c.aud) ? c.aud.map(text) : [text(c.aud)];
  return {
    iss: text(c.iss),
    sub: text(c.sub),
    aud: aud.filter((a): a is string => a !== undefined),
    repository: text(c.repository),
    ref: text(c.ref),
    environment: text(c.environment),
    jobWorkflowRef: text(c.job_workflow_ref),
    exp: typeof c.exp === 'number' && Number.isFinite(c.exp) ? c.exp * 1000 : undefined,
  };
}

/**
 * The prefix of IAM condition keys for the issuer: its URL without the scheme or a trailing slash
 * (`token.actions.githubusercontent.com`, or with GitHub Enterprise's path `…/enterprise`).
 */
export function conditionKeyPrefix(issuer: string | undefined): string {
  const iss = issuer ?? GITHUB_ISSUER;
  return iss.replace(/^[a-z][a-z0-9+.-]*:\/\//iu, '').replace(/\/+$/u, '');
}

/**
 * The `sub` pattern for the whole repository: `repo:OWNER/REPO:*` (also in the `OWNER@ID/REPO@ID` form);
 * the exact `sub` when it is not a repository subject.
 */
export function repositorySubjectPattern(sub: string): string {
  const m = /^(repo:[^:]+):/u.exec(sub);
  return m === null ? sub : `${m[1] ?? ''}:*`;
}

export interface SuggestedCondition {
  readonly stringEquals: Readonly<Record<string, string>>;
  readonly stringLike: Readonly<Record<string, string>>;
}

/** The trust policy condition that lets every job of the token's repository in, with this audience. */
export function suggestedCondition(claims: TokenClaims): SuggestedCondition | undefined {
  const aud = claims.aud[0];
  if (claims.sub === undefined || aud === undefined) return undefined;
  const key = conditionKeyPrefix(claims.iss);
  return {
    stringEquals: { [`${key}:aud`]: aud },
    stringLike: { [`${key}:sub`]: repositorySubjectPattern(claims.sub) },
  };
}

/** The condition as the JSON a user pastes into the trust policy, indented by `indent`. */
export function conditionJson(condition: SuggestedCondition, indent = ''): string {
  const entry = (map: Readonly<Record<string, string>>): string =>
    `{${Object.entries(map)
      .map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`)
      .join(', ')}}`;
  return [
    `"Condition": {`,
    `  "StringEquals": ${entry(condition.stringEquals)},`,
    `  "StringLike": ${entry(condition.stringLike)}`,
    `}`,
  ]
    .map((line) => `${indent}${line}`)
    .join('\n');
}

/** The claims as `name: value` lines for a message; absent ones say so. */
export function describeClaims(claims: TokenClaims, indent = ''): string {
  const rows: [string, string | undefined][] = [
    ['sub', claims.sub],
    ['aud', claims.aud.length === 0 ? undefined : claims.aud.join(', ')],
    ['repository', claims.repository],
    ['ref', claims.ref],
    ['environment', claims.environment],
    ['job_workflow_ref', claims.jobWorkflowRef],
    ['iss', claims.iss],
  ];
  return rows.map(([name, value]) => `${indent}${name}: ${value ?? '(none)'}`).join('\n');
}
