/**
 * AWS STS failures as the SDK throws them: which are worth another attempt (throttling, the identity
 * provider out of reach, 5xx, the network), and what each means for the user. Nothing here ever puts
 * the GitHub token or a credential in a message.
 */
import { retryAfterMs, type Verdict } from '../retry.js';

/** The parts of an SDK error the policy looks at (service errors and network errors alike). */
export interface SdkFailure {
  /** The error code without the SDK's `Exception` suffix (`InvalidIdentityToken`), or a Node code (`ECONNRESET`). */
  readonly code: string;
  readonly message: string;
  readonly status: number | undefined;
  readonly retryAfter: string | undefined;
}

const THROTTLING = new Set(['Throttling', 'RequestLimitExceeded', 'RequestThrottled', 'TooManyRequests']);
const TIMEOUTS = new Set(['TimeoutError', 'RequestTimeout']);
/** Node's codes for a request that never got an answer (the SDK's own list, plus ECONNABORTED). */
export const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
const VERIFICATION_KEY = /couldn't retrieve verification key/iu;

const field = (value: unknown, key: string): unknown =>
  typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

const WRAPPER = /^AWS SDK error wrapper for (?:([A-Za-z]\w*): )?([\s\S]*)$/u;

/**
 * Reads an SDK error (`name`, `message`, `$metadata.httpStatusCode`, `$response.headers`, `code`). A
 * Node error from another realm (a VM context) reaches us as the SDK's "AWS SDK error wrapper for
 * <name>: <message>", without its `code`: the name and the code are read back from the text.
 */
export function sdkFailure(error: unknown): SdkFailure {
  const status = field(field(error, '$metadata'), 'httpStatusCode');
  const headers = field(field(error, '$response'), 'headers');
  let name = str(field(error, 'name')) ?? '';
  let nodeCode = str(field(error, 'code'));
  let message = str(field(error, 'message')) ?? '';
  const wrapped = WRAPPER.exec(message);
  if (wrapped !== null) {
    [, name = 'Error', message = ''] = wrapped;
    nodeCode = /\b(E[A-Z]{3,}(?:_[A-Z]+)?)\b/u.exec(message)?.[1];
  }
  const code = name === '' || name === 'Error' ? (nodeCode ?? name) : name.replace(/(.)Exception$/u, '$1');
  // The SDK's message for a body that is not STS's XML is long, multi-line and about the SDK.
  const unreadable = /Deserialization error|XML parse error/u.test(message);
  return {
    code: unreadable ? 'UnreadableResponse' : code === '' ? 'Error' : code,
    message: unreadable ? 'the answer is not an STS answer' : message,
    status: typeof status === 'number' ? status : undefined,
    retryAfter: str(field(headers, 'retry-after')),
  };
}

/** Transient or permanent, per the STS error catalogue; a server's Retry-After is kept. */
export function classifySts(error: unknown, now: number = Date.now()): Verdict {
  const f = sdkFailure(error);
  const transient =
    (f.status !== undefined && (f.status >= 500 || f.status === 429)) ||
    THROTTLING.has(f.code) ||
    TIMEOUTS.has(f.code) ||
    f.code === 'IDPCommunicationError' ||
    (f.code === 'InvalidIdentityToken' && VERIFICATION_KEY.test(f.message)) ||
    (f.status === undefined && NETWORK_CODES.has(f.code));
  if (!transient) return { retry: false };
  const afterMs = retryAfterMs(f.retryAfter, now);
  return afterMs === undefined ? { retry: true } : { retry: true, afterMs };
}

/** Replaces every secret, and anything shaped like a JWT, with a placeholder. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length >= 8) out = out.split(secret).join('[redacted]');
  return out.replace(/eyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*/gu, '[token]');
}

/** `Code: message (HTTP 403)` for a message, already scrubbed by the caller. */
export function summary(f: SdkFailure, message: string): string {
  const http = f.status === undefined ? '' : ` (HTTP ${f.status})`;
  return `${f.code}${message === '' ? '' : `: ${message}`}${http}`;
}

export interface StsContext {
  readonly roleArn: string;
  readonly region: string;
  readonly endpoint: string | undefined;
  readonly audience: string;
}

const where = (ctx: StsContext): string =>
  ctx.endpoint === undefined ? `AWS STS in ${ctx.region}` : `the STS endpoint ${ctx.endpoint}`;

/** What a failed AssumeRoleWithWebIdentity means (AccessDenied has its own, richer message). */
export function assumeAdvice(f: SdkFailure, ctx: StsContext): string {
  switch (f.code) {
    case 'InvalidIdentityToken':
      if (/no openidconnect provider/iu.test(f.message)) {
        return `Create an IAM OIDC identity provider for the token's issuer with the audience '${ctx.audience}' in the role's account, and let the role trust it.`;
      }
      if (/audience/iu.test(f.message)) {
        return `Add '${ctx.audience}' to the audiences (client IDs) of the IAM OIDC identity provider, or ask for the audience it has.`;
      }
      if (VERIFICATION_KEY.test(f.message)) {
        return "AWS could not fetch GitHub's signing keys, usually for a moment: re-run the job.";
      }
      return "Check that the IAM OIDC identity provider's URL is the token's issuer and that the role trusts that provider.";
    case 'ExpiredToken':
      return "The action mints a fresh token right before each call: the runner's clock is probably wrong (check its time synchronisation).";
    case 'IDPRejectedClaim':
      return "Check the conditions of the role's trust policy against the token's claims.";
    case 'IDPCommunicationError':
      return 'AWS could not reach the identity provider to verify the token; this is usually brief: re-run the job.';
    case 'ValidationError':
      if (/duration/iu.test(f.message)) {
        return "Lower the session duration, or raise the role's maximum session duration in IAM (at most 43200 s).";
      }
      return "Check the role ARN, the session name (2 to 64 of letters, digits and +=,.@_-), the session duration (900 to 43200 s, within the role's maximum) and the session policy.";
    case 'MalformedPolicyDocument':
      return 'Fix the session policy: a JSON IAM policy with Version and Statement (Effect, Action, Resource).';
    case 'PackedPolicyTooLarge':
      return 'Shorten the session policy (wildcards in Action and Resource help), or attach a managed policy to the role.';
    case 'RegionDisabled':
      return `Activate STS in ${ctx.region} for the account (IAM account settings), or use another region.`;
    default:
      if (NETWORK_CODES.has(f.code) || TIMEOUTS.has(f.code)) {
        return `Could not talk to ${where(ctx)}: check the region, the endpoint and the runner's network.`;
      }
      if (THROTTLING.has(f.code) || (f.status !== undefined && f.status >= 500)) {
        return 'AWS was busy or failing: re-run the job.';
      }
      return `Check the role ARN and the region (${ctx.region}).`;
  }
}

/** What it means when the session STS just issued fails GetCallerIdentity. */
export function identityAdvice(f: SdkFailure, ctx: StsContext): string {
  switch (f.code) {
    case 'SignatureDoesNotMatch':
    case 'IncompleteSignature':
    case 'ExpiredToken':
    case 'RequestExpired':
      return "Check the runner's clock, and that the region matches the STS endpoint.";
    case 'InvalidClientTokenId':
      return `The credentials are unknown where they were used: the region (${ctx.region}) or the endpoint may belong to another AWS partition than the role.`;
    case 'AccessDenied':
      return 'An SCP or permissions boundary denies sts:GetCallerIdentity to the role; allow it.';
    default:
      return assumeAdvice(f, ctx);
  }
}

export { where as stsWhere };
