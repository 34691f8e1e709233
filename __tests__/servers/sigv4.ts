// Verification of AWS Signature Version 4 (header form) on a received request, with node's crypto.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export interface SigV4Credential {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

export interface SignedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** Parses `AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/aws4_request, SignedHeaders=…, Signature=…`. */
export function parseSigV4Authorization(header: string | undefined): SigV4Credential | undefined {
  const m =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-f]{64})$/.exec(
      header ?? '',
    );
  if (m === null) return undefined;
  const [, accessKeyId = '', date = '', region = '', service = '', signed = '', signature = ''] = m;
  return { accessKeyId, date, region, service, signedHeaders: signed.split(';'), signature };
}

const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');
const hmac = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data).digest();
const rfc3986 = (s: string): string =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** Why a signature is rejected, or undefined when it is valid. `maxSkewSec` bounds X-Amz-Date vs now. */
export function checkSigV4(
  req: SignedRequest,
  cred: SigV4Credential,
  secretAccessKey: string,
  maxSkewSec = 900,
): string | undefined {
  const amzDate = req.headers['x-amz-date'];
  if (typeof amzDate !== 'string' || !amzDate.startsWith(cred.date))
    return 'X-Amz-Date is missing or not the credential date';
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  if (m === null) return 'X-Amz-Date is not in ISO 8601 basic format';
  const signedAt = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
  if (Math.abs(Date.now() - signedAt) > maxSkewSec * 1000)
    return `Signature expired: ${amzDate} is outside the allowed skew`;
  if (!cred.signedHeaders.includes('host')) return "'Host' must be a signed header";

  const canonicalHeaders = cred.signedHeaders
    .map((name) => {
      const value = req.headers[name];
      const joined = Array.isArray(value) ? value.join(',') : (value ?? '');
      return `${name}:${joined.trim().replace(/\s+/g, ' ')}\n`;
    })
    .join('');
  const canonicalQuery = [...req.query.entries()]
    .map(([k, v]) => [rfc3986(k), rfc3986(v)] as const)
    .sort(([a, av], [b, bv]) => (a === b ? (av < bv ? -1 : 1) : a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  // Non-S3 services encode each path segment twice (the SDK's default `uriEscapePath`); S3 once, and
  // S3 signs the payload hash its client put in X-Amz-Content-Sha256.
  const s3 = cred.service === 's3';
  const canonicalPath = req.path
    .split('/')
    .map((seg) => (s3 ? rfc3986(decodeURIComponent(seg)) : rfc3986(rfc3986(decodeURIComponent(seg)))))
    .join('/');
  const payloadHash = s3 ? req.headers['x-amz-content-sha256'] : sha256(req.body);
  if (s3 && payloadHash !== sha256(req.body) && payloadHash !== 'UNSIGNED-PAYLOAD')
    return 'X-Amz-Content-Sha256 does not match the payload';
  const canonicalRequest = [
    req.method,
    canonicalPath,
    canonicalQuery,
    canonicalHeaders,
    cred.signedHeaders.join(';'),
    payloadHash,
  ].join('\n');
  const scope = `${cred.date}/${cred.region}/${cred.service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n');
  let key = hmac(`AWS4${secretAccessKey}`, cred.date);
  for (const part of [cred.region, cred.service, 'aws4_request']) key = hmac(key, part);
  const expected = Buffer.from(hmac(key, stringToSign).toString('hex'));
  const given = Buffer.from(cred.signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    return 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.';
  }
  return undefined;
}
