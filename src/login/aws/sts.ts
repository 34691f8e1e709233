/**
 * GitHub OIDC → AWS session: AssumeRoleWithWebIdentity with a token minted right before each attempt
 * (tokens live five minutes), then GetCallerIdentity with the new credentials to prove them. The SDK's
 * own retries are off; `withRetry` is the only policy, and it retries transient failures only.
 */
import {
  AssumeRoleWithWebIdentityCommand,
  GetCallerIdentityCommand,
  STSClient,
  type STSClientConfig,
} from '@aws-sdk/client-sts';
import { ActionError } from '../../util/errors.js';
import { realTiming, withRetry, type RetryPolicy, type RetryTiming } from '../retry.js';
import type { AwsLoginOptions, AwsSession, MintIdToken } from '../types.js';
import { decodeClaims } from './claims.js';
import { classifySts, stsWhere, type StsContext } from './sts-errors.js';
import { failed, loginError, MintFailed, safeReason, sentence, StsCallFailed } from './sts-failure.js';

export interface AssumeRoleDeps {
  readonly timing?: RetryTiming;
  readonly policy?: RetryPolicy;
  /** Told before each wait; `reason` is safe to log (no token, no credential). */
  readonly onRetry?: (attempt: number, delayMs: number, reason: string) => void;
  /** Per-request HTTP timeouts (default: connect 5 s, whole request 20 s); a timeout is retried. */
  readonly timeouts?: { readonly connectMs: number; readonly requestMs: number };
}

function clientConfig(options: AwsLoginOptions, deps: AssumeRoleDeps): STSClientConfig {
  return {
    region: options.region,
    maxAttempts: 1,
    ...(options.stsEndpoint === undefined ? {} : { endpoint: options.stsEndpoint }),
    requestHandler: {
      connectionTimeout: deps.timeouts?.connectMs ?? 5_000,
      requestTimeout: deps.timeouts?.requestMs ?? 20_000,
      throwOnRequestTimeout: true,
    },
  };
}

/**
 * Trades a GitHub OIDC token for an AWS session of `options.roleArn`, proven by GetCallerIdentity.
 * Permanent failures (AccessDenied, an invalid or expired token, validation errors…) throw at once;
 * transient ones are retried with a fresh token. Every failure is an `ActionError` saying what to do.
 */
export async function assumeRoleWithWebIdentity(
  mint: MintIdToken,
  options: AwsLoginOptions & { readonly audience: string },
  deps: AssumeRoleDeps = {},
): Promise<AwsSession> {
  const timing = deps.timing ?? realTiming;
  const ctx: StsContext = {
    roleArn: options.roleArn,
    region: options.region,
    endpoint: options.stsEndpoint,
    audience: options.audience,
  };
  const config = clientConfig(options, deps);
  const sts = new STSClient(config);

  const attempt = async (): Promise<AwsSession> => {
    let token: string;
    try {
      token = await mint(options.audience);
    } catch (error: unknown) {
      throw new MintFailed(error);
    }
    const claims = decodeClaims(token);
    let assumed;
    try {
      assumed = await sts.send(
        new AssumeRoleWithWebIdentityCommand({
          RoleArn: options.roleArn,
          RoleSessionName: options.sessionName,
          WebIdentityToken: token,
          ...(options.durationSeconds === undefined ? {} : { DurationSeconds: options.durationSeconds }),
          ...(options.policy === undefined ? {} : { Policy: options.policy }),
        }),
      );
    } catch (error: unknown) {
      throw failed('assume', error, [token], claims);
    }
    const c = assumed.Credentials;
    const {
      AccessKeyId: accessKeyId,
      SecretAccessKey: secretAccessKey,
      SessionToken: sessionToken,
    } = c ?? {};
    if (!accessKeyId || !secretAccessKey || !sessionToken || c?.Expiration === undefined) {
      throw new ActionError(
        `${sentence(stsWhere(ctx))} answered AssumeRoleWithWebIdentity for role ${options.roleArn} without complete credentials; check the STS endpoint.`,
      );
    }
    const prover = new STSClient({ ...config, credentials: { accessKeyId, secretAccessKey, sessionToken } });
    let identity;
    try {
      identity = await prover.send(new GetCallerIdentityCommand({}));
    } catch (error: unknown) {
      throw failed('identity', error, [token, secretAccessKey, sessionToken], claims);
    } finally {
      prover.destroy();
    }
    if (!identity.Arn || !identity.Account) {
      throw new ActionError(
        `${sentence(stsWhere(ctx))} answered GetCallerIdentity without an ARN or an account.`,
      );
    }
    return {
      accessKeyId,
      secretAccessKey,
      sessionToken,
      expiresAt: c.Expiration.getTime(),
      arn: identity.Arn,
      account: identity.Account,
    };
  };

  try {
    return await withRetry(
      `AssumeRoleWithWebIdentity for role ${options.roleArn}`,
      attempt,
      (error) =>
        error instanceof StsCallFailed ? classifySts(error.original, timing.now()) : { retry: false },
      {
        timing,
        ...(deps.policy === undefined ? {} : { policy: deps.policy }),
        onRetry: (n, delayMs, error) => deps.onRetry?.(n, delayMs, safeReason(error)),
      },
    );
  } catch (error: unknown) {
    throw loginError(error, ctx);
  } finally {
    sts.destroy();
  }
}
