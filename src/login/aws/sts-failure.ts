/**
 * How a failed login attempt travels: the STS call that failed (made safe at once: no token or
 * credential in it), or the token that could not be minted; and the `ActionError` the user finally reads.
 */
import { ActionError, errorMessage } from '../../util/errors.js';
import { RetriesExhausted } from '../retry.js';
import type { TokenClaims } from './claims.js';
import { accessDeniedMessage } from './denied.js';
import {
  assumeAdvice,
  identityAdvice,
  scrub,
  sdkFailure,
  stsWhere,
  summary,
  type SdkFailure,
  type StsContext,
} from './sts-errors.js';

export type Phase = 'assume' | 'identity';

/** A failed STS call, already made safe: the failure's message scrubbed, the token's claims kept. */
export class StsCallFailed extends Error {
  override name = 'StsCallFailed';
  constructor(
    readonly phase: Phase,
    readonly failure: SdkFailure,
    readonly safeMessage: string,
    readonly claims: TokenClaims | undefined,
    readonly original: unknown,
  ) {
    super(summary(failure, safeMessage));
  }
}

/** The token could not be minted: never retried here (the minter has its own policy). */
export class MintFailed extends Error {
  override name = 'MintFailed';
  constructor(readonly original: unknown) {
    super(errorMessage(original));
  }
}

export function failed(
  phase: Phase,
  error: unknown,
  secrets: string[],
  claims: TokenClaims | undefined,
): StsCallFailed {
  const failure = sdkFailure(error);
  return new StsCallFailed(phase, failure, scrub(failure.message, secrets), claims, error);
}

export const sentence = (text: string): string => `${text.charAt(0).toUpperCase()}${text.slice(1)}`;

export function safeReason(error: unknown): string {
  if (error instanceof StsCallFailed) {
    return `${error.phase === 'assume' ? 'AssumeRoleWithWebIdentity' : 'GetCallerIdentity'}: ${error.message}`;
  }
  return scrub(errorMessage(error), []);
}

/** Any failure of the login as the `ActionError` the user reads. */
export function loginError(error: unknown, ctx: StsContext): ActionError {
  if (error instanceof RetriesExhausted && error.cause instanceof StsCallFailed) {
    const last = error.cause;
    const advice =
      last.phase === 'assume' ? assumeAdvice(last.failure, ctx) : identityAdvice(last.failure, ctx);
    return new ActionError(`${error.message}; the last failure: ${last.message}. ${advice}`);
  }
  if (error instanceof StsCallFailed) return failureMessage(error, ctx);
  if (error instanceof MintFailed) {
    if (error.original instanceof ActionError) return error.original;
    return new ActionError(
      `Could not get a GitHub OIDC token for the audience '${ctx.audience}': ${scrub(error.message, [])}. The job needs 'permissions: id-token: write'.`,
    );
  }
  if (error instanceof ActionError) return error;
  return new ActionError(
    `Logging in to AWS with role ${ctx.roleArn} failed: ${scrub(errorMessage(error), [])}`,
  );
}

function failureMessage(error: StsCallFailed, ctx: StsContext): ActionError {
  const said = summary(error.failure, error.safeMessage);
  if (error.phase === 'identity') {
    return new ActionError(
      `${sentence(stsWhere(ctx))} issued a session for role ${ctx.roleArn}, but GetCallerIdentity with it failed (${said}). ${identityAdvice(error.failure, ctx)}`,
    );
  }
  if (error.failure.code === 'AccessDenied') {
    return new ActionError(accessDeniedMessage(ctx.roleArn, said, error.claims));
  }
  return new ActionError(
    `${sentence(stsWhere(ctx))} did not let this job assume role ${ctx.roleArn} (${said}). ${assumeAdvice(error.failure, ctx)}`,
  );
}
