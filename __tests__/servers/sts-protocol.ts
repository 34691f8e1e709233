// The AWS Query protocol's answers as STS writes them: result XML, error XML and the error catalog.
import { randomUUID } from 'node:crypto';
import type { TestResponse } from './http.js';

export const STS_NAMESPACE = 'https://sts.amazonaws.com/doc/2011-06-15/';

/** Error codes this fake STS can answer with, their HTTP status and AWS's usual message. */
export const STS_ERRORS = {
  AccessDenied: [403, 'Not authorized to perform sts:AssumeRoleWithWebIdentity'],
  InvalidIdentityToken: [400, 'The web identity token that was passed could not be validated by AWS'],
  ExpiredTokenException: [400, 'Token expired: the web identity token that was passed is expired'],
  IDPCommunicationError: [
    400,
    'The request could not be fulfilled because the identity provider (IDP) that was asked to verify the incoming identity token could not be reached.',
  ],
  IDPRejectedClaim: [403, 'The identity provider (IdP) reported that authentication failed.'],
  Throttling: [400, 'Rate exceeded'],
  ValidationError: [400, '1 validation error detected'],
  MalformedPolicyDocument: [400, 'The policy document is not valid JSON'],
  PackedPolicyTooLarge: [400, 'Packed policy consumes more than 100 percent of the allotted size'],
  RegionDisabledException: [403, 'STS is not activated in this region for account'],
  InvalidClientTokenId: [403, 'The security token included in the request is invalid.'],
  ExpiredToken: [403, 'The security token included in the request is expired'],
  SignatureDoesNotMatch: [
    403,
    'The request signature we calculated does not match the signature you provided.',
  ],
  IncompleteSignature: [400, 'Request is missing Authentication Token'],
  MissingAuthenticationToken: [403, 'Request is missing Authentication Token'],
  InvalidAction: [400, 'Could not find operation for version 2011-06-15'],
  InternalFailure: [500, 'An internal error occurred. Try again.'],
  ServiceUnavailable: [503, 'Service is unable to handle request.'],
} as const satisfies Record<string, readonly [number, string]>;

export type StsErrorCode = keyof typeof STS_ERRORS;

export class StsError extends Error {
  constructor(
    readonly code: StsErrorCode,
    message?: string,
  ) {
    super(message ?? STS_ERRORS[code][1]);
    this.name = code;
  }
}

export function xmlEscape(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Renders `{A: 'x', B: {C: 'y'}}` as `<A>x</A><B><C>y</C></B>`; undefined members are left out. */
export function xmlMembers(members: Record<string, unknown>): string {
  return Object.entries(members)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => {
      const inner =
        typeof v === 'object' && v !== null ? xmlMembers(v as Record<string, unknown>) : xmlEscape(String(v));
      return `<${k}>${inner}</${k}>`;
    })
    .join('');
}

function xmlAnswer(status: number, requestId: string, body: string): TestResponse {
  return {
    status,
    headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId, date: new Date().toUTCString() },
    body: `<?xml version="1.0" encoding="UTF-8"?>\n${body}\n`,
  };
}

export function stsResult(action: string, result: Record<string, unknown>, identity?: string): TestResponse {
  const requestId = randomUUID();
  const out = xmlAnswer(
    200,
    requestId,
    `<${action}Response xmlns="${STS_NAMESPACE}"><${action}Result>${xmlMembers(result)}</${action}Result>` +
      `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`,
  );
  return identity === undefined ? out : { ...out, identity };
}

export function stsErrorResponse(code: StsErrorCode, message: string): TestResponse {
  const requestId = randomUUID();
  const status = STS_ERRORS[code][0];
  return xmlAnswer(
    status,
    requestId,
    `<ErrorResponse xmlns="${STS_NAMESPACE}"><Error><Type>${status >= 500 ? 'Receiver' : 'Sender'}</Type>` +
      `<Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error>` +
      `<RequestId>${requestId}</RequestId></ErrorResponse>`,
  );
}

/** AWS's wording for a failed parameter constraint. */
export function validationError(member: string, value: string | number | null, constraint: string): StsError {
  const shown = value === null ? 'null' : `'${String(value)}'`;
  return new StsError(
    'ValidationError',
    `1 validation error detected: Value ${shown} at '${member}' failed to satisfy constraint: ${constraint}`,
  );
}

/** `2026-01-01T00:00:00Z`, the form STS uses for Expiration. */
export const awsTimestamp = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
