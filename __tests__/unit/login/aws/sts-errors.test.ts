import { describe, expect, it } from '@jest/globals';
import {
  ExpiredTokenException,
  IDPCommunicationErrorException,
  IDPRejectedClaimException,
  InvalidIdentityTokenException,
  MalformedPolicyDocumentException,
  PackedPolicyTooLargeException,
  RegionDisabledException,
  STSServiceException,
} from '@aws-sdk/client-sts';
import {
  assumeAdvice,
  classifySts,
  identityAdvice,
  scrub,
  sdkFailure,
  summary,
} from '../../../../src/login/aws/sts-errors.js';

const $metadata = (httpStatusCode: number) => ({
  httpStatusCode,
  requestId: 'r-1',
  attempts: 1,
  totalRetryDelay: 0,
});

/** An error the SDK throws for a code it has no class for (AccessDenied, Throttling…). */
const unmodeled = (name: string, httpStatusCode: number, message: string) =>
  new STSServiceException({
    name,
    $fault: httpStatusCode >= 500 ? 'server' : 'client',
    $metadata: $metadata(httpStatusCode),
    message,
  });

/** What node-http-handler throws when no answer came: a Node error with `code`, and `$metadata` added. */
const network = (code: string) =>
  Object.assign(new Error(`connect ${code} 127.0.0.1:9`), {
    code,
    errno: -1,
    $metadata: { attempts: 1, totalRetryDelay: 0 },
  });

/** The SDK's wrapper for a thrown value that is not an Error of its realm. */
const wrapped = (text: string) =>
  Object.assign(new Error(`AWS SDK error wrapper for ${text}`), {
    $metadata: { attempts: 1, totalRetryDelay: 0 },
  });

const VERIFICATION =
  "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements";

describe('classifySts: what is retried', () => {
  it.each([
    ['Throttling', unmodeled('Throttling', 400, 'Rate exceeded')],
    ['ThrottlingException', unmodeled('ThrottlingException', 400, 'Rate exceeded')],
    ['RequestLimitExceeded', unmodeled('RequestLimitExceeded', 400, 'Request limit exceeded.')],
    [
      'IDPCommunicationErrorException',
      new IDPCommunicationErrorException({ message: 'IdP unreachable', $metadata: $metadata(400) }),
    ],
    ['IDPCommunicationError (unmodeled name)', unmodeled('IDPCommunicationError', 400, 'IdP unreachable')],
    [
      'InvalidIdentityToken: no verification key',
      new InvalidIdentityTokenException({ message: VERIFICATION, $metadata: $metadata(400) }),
    ],
    ['InternalFailure 500', unmodeled('InternalFailure', 500, 'An internal error occurred.')],
    ['ServiceUnavailable 503', unmodeled('ServiceUnavailable', 503, 'Service is unable to handle request.')],
    ['an unknown code with 502', unmodeled('BadGateway', 502, '')],
    ['429', unmodeled('TooManyRequests', 429, '')],
    ['a timeout', Object.assign(new Error('Connection timed out after 5000 ms'), { name: 'TimeoutError' })],
    // a Node error from another realm, as the SDK wraps it (seen under jest's VM modules)
    ['a wrapped refused connection', wrapped('Error: connect ECONNREFUSED 127.0.0.1:1')],
    ['a wrapped reset', wrapped('TimeoutError: socket hang up')],
    ...[
      'ECONNRESET',
      'ECONNREFUSED',
      'EPIPE',
      'ETIMEDOUT',
      'ENOTFOUND',
      'EAI_AGAIN',
      'EHOSTUNREACH',
      'ENETUNREACH',
    ].map((code) => [code, network(code)] as const),
  ])('%s is transient', (_what, error) => {
    expect(classifySts(error)).toEqual({ retry: true });
  });

  it.each([
    [
      'AccessDenied',
      unmodeled('AccessDenied', 403, 'Not authorized to perform sts:AssumeRoleWithWebIdentity'),
    ],
    [
      'InvalidIdentityToken (bad signature)',
      new InvalidIdentityTokenException({
        message: 'The web identity token could not be validated',
        $metadata: $metadata(400),
      }),
    ],
    [
      'InvalidIdentityToken (no provider)',
      new InvalidIdentityTokenException({
        message: 'No OpenIDConnect provider found in your account for https://x',
        $metadata: $metadata(400),
      }),
    ],
    [
      'ExpiredTokenException',
      new ExpiredTokenException({ message: 'Token expired', $metadata: $metadata(400) }),
    ],
    ['ValidationError', unmodeled('ValidationError', 400, '1 validation error detected')],
    [
      'MalformedPolicyDocument',
      new MalformedPolicyDocumentException({ message: 'not JSON', $metadata: $metadata(400) }),
    ],
    [
      'PackedPolicyTooLarge',
      new PackedPolicyTooLargeException({ message: 'too big', $metadata: $metadata(400) }),
    ],
    ['RegionDisabled', new RegionDisabledException({ message: 'not active', $metadata: $metadata(403) })],
    ['IDPRejectedClaim', new IDPRejectedClaimException({ message: 'rejected', $metadata: $metadata(403) })],
    [
      'InvalidClientTokenId',
      unmodeled('InvalidClientTokenId', 403, 'The security token included in the request is invalid.'),
    ],
    ['SignatureDoesNotMatch', unmodeled('SignatureDoesNotMatch', 403, 'signature')],
    ['ExpiredToken (session)', unmodeled('ExpiredToken', 403, 'expired')],
    ['a plain Error', new Error('something else')],
    ['a TypeError (bad endpoint)', new TypeError('Invalid URL')],
    ['a string', 'nope'],
    ['undefined', undefined],
    ['a wrapped error that is not a network one', wrapped('TypeError: Invalid URL')],
    [
      'ECONNRESET on an answered request',
      Object.assign(network('ECONNRESET'), { $metadata: { httpStatusCode: 400 } }),
    ],
  ])('%s is permanent', (_what, error) => {
    expect(classifySts(error)).toEqual({ retry: false });
  });

  it("keeps the server's Retry-After", () => {
    const error = Object.assign(unmodeled('ServiceUnavailable', 503, ''), {
      $response: { statusCode: 503, headers: { 'retry-after': '3' } },
    });
    expect(classifySts(error, 0)).toEqual({ retry: true, afterMs: 3000 });
    const date = Object.assign(unmodeled('Throttling', 400, ''), {
      $response: { headers: { 'retry-after': new Date(10_000).toUTCString() } },
    });
    expect(classifySts(date, 4_000)).toEqual({ retry: true, afterMs: 6000 });
    const permanent = Object.assign(unmodeled('AccessDenied', 403, ''), {
      $response: { headers: { 'retry-after': '3' } },
    });
    expect(classifySts(permanent)).toEqual({ retry: false });
  });
});

describe('sdkFailure and summary', () => {
  it('names modeled errors without the Exception suffix, network errors by their Node code', () => {
    expect(
      sdkFailure(new IDPCommunicationErrorException({ message: 'm', $metadata: $metadata(400) })),
    ).toEqual({
      code: 'IDPCommunicationError',
      message: 'm',
      status: 400,
      retryAfter: undefined,
    });
    expect(sdkFailure(network('ECONNREFUSED')).code).toBe('ECONNREFUSED');
    expect(sdkFailure(wrapped('Error: connect ECONNREFUSED 127.0.0.1:1'))).toMatchObject({
      code: 'ECONNREFUSED',
      message: 'connect ECONNREFUSED 127.0.0.1:1',
    });
    expect(sdkFailure(wrapped('TimeoutError: socket hang up'))).toMatchObject({
      code: 'TimeoutError',
      message: 'socket hang up',
    });
    expect(sdkFailure(unmodeled('Exception', 500, '')).code).toBe('Exception');
    expect(sdkFailure(42).code).toBe('Error');
    // what the SDK throws for a 5xx whose body is not XML (a proxy's error page)
    const page = Object.assign(
      new Error(
        '@aws-sdk XML parse error: unexpected content.\n  Deserialization error: to see the raw response, inspect the hidden field {error}.$response on this object.',
      ),
      { $metadata: { httpStatusCode: 502 } },
    );
    expect(summary(sdkFailure(page), sdkFailure(page).message)).toBe(
      'UnreadableResponse: the answer is not an STS answer (HTTP 502)',
    );
    expect(classifySts(page)).toEqual({ retry: true });
    expect(summary(sdkFailure(unmodeled('AccessDenied', 403, 'No')), 'No')).toBe(
      'AccessDenied: No (HTTP 403)',
    );
    expect(summary(sdkFailure(network('EPIPE')), '')).toBe('EPIPE');
  });
});

describe('scrub', () => {
  it('removes the given secrets and anything shaped like a JWT', () => {
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOm8vciJ9.c2ln';
    expect(scrub(`token ${jwt} and key wJalrXUtnFEMI/K7MDENG`, ['wJalrXUtnFEMI/K7MDENG'])).toBe(
      'token [token] and key [redacted]',
    );
    expect(scrub('short', ['sh'])).toBe('short');
  });
});

describe('advice', () => {
  const ctx = {
    roleArn: 'arn:aws:iam::123456789012:role/r',
    region: 'eu-west-1',
    endpoint: undefined,
    audience: 'sts.amazonaws.com',
  };
  const advice = (error: unknown) => assumeAdvice(sdkFailure(error), ctx);

  it('says what to do for each kind of failure', () => {
    const invalid = (message: string) =>
      new InvalidIdentityTokenException({ message, $metadata: $metadata(400) });
    expect(advice(invalid('No OpenIDConnect provider found in your account for https://x'))).toMatch(
      /^Create an IAM OIDC identity provider for the token's issuer with the audience 'sts.amazonaws.com'/,
    );
    expect(advice(invalid('Incorrect token audience'))).toMatch(/^Add 'sts.amazonaws.com' to the audiences/);
    expect(advice(invalid(VERIFICATION))).toMatch(/signing keys.*re-run the job/);
    expect(advice(new ExpiredTokenException({ message: 'x', $metadata: $metadata(400) }))).toMatch(
      /runner's clock/,
    );
    expect(
      advice(
        unmodeled(
          'ValidationError',
          400,
          'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
        ),
      ),
    ).toMatch(/^Lower the session duration, or raise the role's maximum session duration/);
    expect(advice(new MalformedPolicyDocumentException({ message: 'x', $metadata: $metadata(400) }))).toMatch(
      /^Fix the session policy/,
    );
    expect(advice(new RegionDisabledException({ message: 'x', $metadata: $metadata(403) }))).toMatch(
      /^Activate STS in eu-west-1/,
    );
    expect(advice(network('ENOTFOUND'))).toBe(
      "Could not talk to AWS STS in eu-west-1: check the region, the endpoint and the runner's network.",
    );
    expect(
      assumeAdvice(sdkFailure(network('ECONNREFUSED')), { ...ctx, endpoint: 'http://127.0.0.1:9' }),
    ).toMatch(/^Could not talk to the STS endpoint http:\/\/127\.0\.0\.1:9:/);
    expect(advice(unmodeled('Throttling', 400, ''))).toBe('AWS was busy or failing: re-run the job.');
    expect(identityAdvice(sdkFailure(unmodeled('SignatureDoesNotMatch', 403, '')), ctx)).toMatch(
      /runner's clock/,
    );
    expect(identityAdvice(sdkFailure(unmodeled('InvalidClientTokenId', 403, '')), ctx)).toMatch(
      /another AWS partition/,
    );
  });
});
