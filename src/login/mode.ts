/**
 * Which login the inputs ask for. Pure: the inputs given decide the mode; a combination that
 * contradicts itself is an error naming the inputs; whether the job may mint a GitHub OIDC token decides
 * between logging in, pull-only (a pull request from a fork), and an error saying what to add.
 */
import type { StoreUrl } from '../config/types.js';
import { ActionError } from '../util/errors.js';
import type { AwsLoginOptions, LoginMode } from './types.js';

export type IdTokenAccess = 'available' | 'fork-pull-request' | 'missing-permission';

export interface LoginInputs {
  readonly cache: StoreUrl | undefined;
  readonly token: string | undefined;
  readonly tokenEndpoint: string | undefined;
  readonly audience: string | undefined;
  /** Set when `aws-role-arn` is given (the other aws-* inputs parsed with it). */
  readonly aws: (Omit<AwsLoginOptions, 'region'> & { readonly region: string | undefined }) | undefined;
  /** aws-* inputs other than the role that were given (they need `aws-role-arn`). */
  readonly awsInputsGiven: readonly string[];
}

export type LoginDecision =
  | { readonly mode: LoginMode }
  /** OIDC was needed but a fork's pull request cannot have it: pull from public caches, push nothing. */
  | { readonly mode: { readonly kind: 'none' }; readonly pullOnly: true; readonly reason: string };

const STS_AUDIENCE = 'sts.amazonaws.com';

/** The cache's origin (`https://host[:port]`): the default audience for an HTTP cache. */
function origin(cache: StoreUrl): string {
  return new URL(cache.url).origin;
}

function conflict(a: string, b: string, why: string): ActionError {
  return new ActionError(`Inputs '${a}' and '${b}' contradict each other: ${why}`);
}

export function decideLogin(
  inputs: LoginInputs,
  access: IdTokenAccess,
  permissionHelp: (mode: LoginMode) => string,
): LoginDecision {
  const { cache, token, tokenEndpoint, audience, aws } = inputs;
  if (aws === undefined && inputs.awsInputsGiven.length > 0) {
    throw new ActionError(
      `Input '${inputs.awsInputsGiven[0] ?? ''}' needs input 'aws-role-arn' (the role to assume).`,
    );
  }
  if (aws !== undefined) {
    if (token !== undefined)
      throw conflict('aws-role-arn', 'token', 'an s3:// cache takes an AWS session, not a token.');
    if (tokenEndpoint !== undefined) {
      throw conflict(
        'aws-role-arn',
        'token-endpoint',
        'the GitHub token is traded with AWS STS, not an exchange endpoint.',
      );
    }
    if (cache === undefined || cache.scheme !== 's3') {
      throw new ActionError(
        `Input 'aws-role-arn' needs input 'cache' to be an s3:// store (it is ${cache ? `${cache.scheme}://` : 'not set'}).`,
      );
    }
    const region =
      aws.region ?? new URL(cache.url.replace(/^s3:/, 'http:')).searchParams.get('region') ?? undefined;
    if (region === undefined) {
      throw new ActionError(
        `Input 'aws-region' is needed: the cache URL has no region=… parameter to take it from.`,
      );
    }
    return oidc(
      { kind: 'aws', audience: audience ?? STS_AUDIENCE, aws: { ...aws, region } },
      access,
      permissionHelp,
    );
  }
  if (tokenEndpoint !== undefined) {
    if (token !== undefined)
      throw conflict('token', 'token-endpoint', 'give a static token or an exchange endpoint, not both.');
    if (cache?.host === undefined) {
      throw new ActionError(
        `Input 'token-endpoint' needs input 'cache' to be an http(s) cache (the exchanged token is its password).`,
      );
    }
    return oidc(
      { kind: 'token-exchange', endpoint: tokenEndpoint, audience: audience ?? origin(cache) },
      access,
      permissionHelp,
    );
  }
  if (token !== undefined) {
    if (audience !== undefined)
      throw conflict('audience', 'token', 'an audience is for OIDC logins; a static token has none.');
    return { mode: { kind: 'static-token' } };
  }
  if (cache?.host !== undefined && access === 'available') {
    return { mode: { kind: 'github-jwt', audience: audience ?? origin(cache) } };
  }
  if (audience !== undefined) {
    if (cache?.host === undefined) {
      throw new ActionError(
        `Input 'audience' is for OIDC logins: it needs an http(s) 'cache', or 'aws-role-arn'.`,
      );
    }
    // An audience was asked for explicitly: the GitHub token is required, so its absence is an error.
    return oidc({ kind: 'github-jwt', audience }, access, permissionHelp);
  }
  // An http(s) cache without id-token permission: used as a public cache.
  return { mode: { kind: 'none' } };
}

function oidc(
  mode: LoginMode,
  access: IdTokenAccess,
  permissionHelp: (mode: LoginMode) => string,
): LoginDecision {
  if (access === 'available') return { mode };
  if (access === 'fork-pull-request') {
    return {
      mode: { kind: 'none' },
      pullOnly: true,
      reason: 'a pull request from a fork gets no OIDC token',
    };
  }
  throw new ActionError(permissionHelp(mode));
}
