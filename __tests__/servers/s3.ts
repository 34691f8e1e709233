// A loopback S3 endpoint for reading objects, path-style (`/<bucket>/<key>`), as an S3 client configured
// with an `endpoint` addresses it: Signature V4 checked against known sessions (session token and region),
// S3's XML errors (NoSuchKey, AccessDenied, SignatureDoesNotMatch, InvalidAccessKeyId, ExpiredToken),
// objects served from a directory, and the request log and faults of the shared test server.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type ServerOptions, type TestResponse, type TestServer, startServer } from './http.js';
import { checkSigV4, parseSigV4Authorization } from './sigv4.js';

export interface S3Session {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  /** Epoch ms after which the session is refused (ExpiredToken). */
  readonly expiration?: number;
}

export interface S3ServerOptions extends ServerOptions {
  readonly bucket: string;
  /** The bucket's region: a signature scoped to another is refused, as S3 does (default eu-west-1). */
  readonly region?: string;
  /** The bucket's objects: `<dir>/<key>`. */
  readonly dir: string;
  readonly sessions: readonly S3Session[];
  /** Without s3:ListBucket a missing key answers 403 AccessDenied instead of 404 NoSuchKey. */
  readonly listBucket?: boolean;
}

export interface S3Server {
  readonly http: TestServer;
  /** `host:port`, for a store URL's `endpoint=` (with `scheme=http`). */
  readonly endpoint: string;
  /** Access key ids of the requests that were let through. */
  readonly readers: string[];
  close(): Promise<void>;
}

function s3Error(status: number, code: string, message: string): TestResponse {
  return {
    status,
    headers: { 'content-type': 'application/xml' },
    body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>0</RequestId></Error>`,
  };
}

export async function startS3Server(opts: S3ServerOptions): Promise<S3Server> {
  const readers: string[] = [];
  const http = await startServer(async (req) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return s3Error(405, 'MethodNotAllowed', 'read only');
    const cred = parseSigV4Authorization(req.headers.authorization);
    if (cred === undefined) return s3Error(403, 'AccessDenied', 'Anonymous access is forbidden');
    const session = opts.sessions.find((s) => s.accessKeyId === cred.accessKeyId);
    if (session === undefined)
      return s3Error(403, 'InvalidAccessKeyId', 'The AWS Access Key Id does not exist');
    if (req.headers['x-amz-security-token'] !== session.sessionToken) {
      return s3Error(400, 'InvalidToken', 'The provided token is malformed or otherwise invalid.');
    }
    if (session.expiration !== undefined && Date.now() >= session.expiration) {
      return s3Error(400, 'ExpiredToken', 'The provided token has expired.');
    }
    if (cred.service !== 's3') return s3Error(403, 'SignatureDoesNotMatch', `signed for ${cred.service}`);
    const region = opts.region ?? 'eu-west-1';
    if (cred.region !== region) {
      return s3Error(
        400,
        'AuthorizationHeaderMalformed',
        `the region '${cred.region}' is wrong; expecting '${region}'`,
      );
    }
    const bad = checkSigV4(req, cred, session.secretAccessKey);
    if (bad !== undefined) return s3Error(403, 'SignatureDoesNotMatch', bad);
    const [, bucket = '', ...rest] = req.path.split('/');
    if (bucket !== opts.bucket) return s3Error(404, 'NoSuchBucket', 'The specified bucket does not exist');
    readers.push(cred.accessKeyId);
    const key = rest.map(decodeURIComponent).join('/');
    if (key === '' || key.split('/').includes('..')) return s3Error(400, 'InvalidArgument', 'bad key');
    try {
      return { status: 200, body: await readFile(join(opts.dir, key)) };
    } catch {
      return opts.listBucket === false
        ? s3Error(403, 'AccessDenied', 'Access Denied')
        : s3Error(404, 'NoSuchKey', 'The specified key does not exist.');
    }
  }, opts);
  return {
    http,
    endpoint: new URL(http.url).host,
    readers,
    close: () => http.close(),
  };
}
