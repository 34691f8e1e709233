/**
 * Renewing the AWS session: a fresh GitHub token (the refresher's own mint), AssumeRoleWithWebIdentity
 * again, and our profile rewritten in each pair of AWS shared files (root's for the daemon, the job
 * user's for `nix copy`), every other profile kept byte for byte.
 *
 * Exported credentials: with `aws-export-credentials`, later steps got main's session as
 * AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN through GITHUB_ENV. The runner reads that
 * file only from the step that writes it, so a detached process cannot update those variables: they keep
 * the first session until it expires. Only the profile in the files is renewed; that is left as it is.
 */
import { ActionError } from '../../util/errors.js';
import { AWS_PROFILE_NAME, withProfile, withProfileConfig } from '../aws/files.js';
import { type AssumeRoleDeps, assumeRoleWithWebIdentity } from '../aws/sts.js';
import { CredentialError } from '../oidc.js';
import type { RetryPolicy } from '../retry.js';
import type { AwsSession, MintIdToken } from '../types.js';
import type { CredentialWrite, Renewal } from './renewal.js';
import type { AwsRoleSpec, AwsTarget } from './spec.js';

export type AssumeRole = typeof assumeRoleWithWebIdentity;

export interface AwsRenewalDeps {
  /** The STS exchange (default: assumeRoleWithWebIdentity). */
  readonly assumeRole?: AssumeRole;
  readonly timeouts?: AssumeRoleDeps['timeouts'];
}

/**
 * The refresher's loop does the retrying (until the current session expires), so each renewal makes one
 * STS attempt. Two attempts are allowed only so that a transient failure reaches `onRetry`, which ends
 * the call there with a transient CredentialError (see below) before any wait or second attempt.
 */
const ONE_ROUND: RetryPolicy = { baseMs: 0, maxDelayMs: 0, totalMs: Number.MAX_SAFE_INTEGER, maxAttempts: 2 };

/**
 * Our profile with the new session in each credentials file, and its region in each config file (put
 * back only if a step removed it: the text is otherwise unchanged).
 */
export function awsWrites(
  files: readonly AwsTarget[],
  region: string,
  session: Pick<AwsSession, 'accessKeyId' | 'secretAccessKey' | 'sessionToken'>,
): CredentialWrite[] {
  return files.flatMap((file) => [
    {
      owner: file.owner,
      path: file.credentials,
      mode: file.mode,
      render: (current: string | undefined) => withProfile(current, AWS_PROFILE_NAME, session),
    },
    {
      owner: file.owner,
      path: file.config,
      mode: file.mode,
      render: (current: string | undefined) => withProfileConfig(current, AWS_PROFILE_NAME, region),
    },
  ]);
}

/**
 * One STS exchange, its failure as the loop needs it: a CredentialError that is transient (throttling,
 * 5xx, the network, the identity provider out of reach: try again) or not (AccessDenied after a trust
 * policy change, an invalid token, a validation error: give up at once). Messages never hold a secret.
 */
async function assumeOnce(
  mint: MintIdToken,
  audience: string,
  role: AwsRoleSpec,
  deps: AwsRenewalDeps,
): Promise<AwsSession> {
  const assume = deps.assumeRole ?? assumeRoleWithWebIdentity;
  try {
    return await assume(
      mint,
      {
        roleArn: role.roleArn,
        region: role.region,
        sessionName: role.sessionName,
        durationSeconds: role.durationSeconds,
        policy: role.policy,
        stsEndpoint: role.stsEndpoint,
        exportCredentials: false,
        audience,
      },
      {
        policy: ONE_ROUND,
        ...(deps.timeouts === undefined ? {} : { timeouts: deps.timeouts }),
        // Told only about failures worth another try (`reason` is safe to log): thrown from here, the
        // error leaves the exchange as it stands (an ActionError passes the login's error mapping).
        onRetry: (_n, _delay, reason) => {
          throw new CredentialError(`${reason} (role ${role.roleArn})`, true);
        },
      },
    );
  } catch (error: unknown) {
    // A token that could not be minted keeps the minter's own verdict; any other ActionError is the
    // exchange failing permanently. Anything else is unexpected: the loop tries again.
    if (error instanceof CredentialError || !(error instanceof ActionError)) throw error;
    throw new CredentialError(error.message, false);
  }
}

/** The renewal of an AWS session of `role` into `files`. */
export function awsRenewal(
  audience: string,
  role: AwsRoleSpec,
  files: readonly AwsTarget[],
  mint: MintIdToken,
  deps: AwsRenewalDeps = {},
): Renewal {
  return {
    what: `AWS session of role ${role.roleArn}`,
    async renew() {
      const session = await assumeOnce(mint, audience, role, deps);
      return { writes: awsWrites(files, role.region, session), expiresAt: session.expiresAt };
    },
  };
}
