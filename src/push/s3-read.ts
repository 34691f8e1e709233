/**
 * Reading an object of an s3:// binary cache the way Nix's S3 store does: the same bucket, region,
 * endpoint, scheme and addressing-style from the store URL (path-style when an endpoint is given,
 * virtual-hosted otherwise), and the session of the profile the URL names, read from the AWS files by the AWS SDK and
 * signed with its Signature V4 signer. Used to read pushed narinfos back.
 */
import { createHash, createHmac } from 'node:crypto';
import { cachedFor } from '../util/cached.js';

export interface S3Location {
  readonly bucket: string;
  readonly region: string;
  readonly profile: string | undefined;
  /** The object URL of `key`. */
  objectUrl(key: string): string;
}

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/u;

/** Where an s3:// store's objects are; throws on a URL Nix would not take either. */
export function s3Location(storeUrl: string): S3Location {
  const url = new URL(storeUrl);
  if (url.protocol !== 's3:') throw new Error(`not an s3:// store URL`);
  const bucket = url.hostname;
  if (!BUCKET.test(bucket)) throw new Error(`'${bucket}' is not an S3 bucket name`);
  const q = url.searchParams;
  const region = q.get('region') ?? 'us-east-1';
  if (!/^[a-z0-9-]{1,40}$/u.test(region)) throw new Error(`'${region}' is not an AWS region`);
  const endpoint = q.get('endpoint') ?? '';
  const scheme = q.get('scheme') ?? '';
  if (scheme !== '' && scheme !== 'http' && scheme !== 'https')
    throw new Error(`scheme '${scheme}' is not http(s)`);
  const style = q.get('addressing-style') ?? 'auto';
  if (style !== 'auto' && style !== 'path' && style !== 'virtual')
    throw new Error(`addressing-style '${style}' is not auto, path or virtual`);
  // An endpoint as a host (with the URL's scheme) or as a whole URL, whose path is kept.
  const server = new URL(
    endpoint === ''
      ? `${scheme === '' ? 'https' : scheme}://s3.${region}.amazonaws.com`
      : /^https?:\/\//iu.test(endpoint)
        ? endpoint
        : `${scheme === '' ? 'https' : scheme}://${endpoint}`,
  );
  const prefix = server.pathname.replace(/\/+$/u, '');
  // Nix: path-style with an endpoint unless told otherwise; virtual-hosted on AWS, except for a dotted
  // name, which cannot be a virtual host under TLS (the wildcard certificate has one label).
  const virtual = style === 'virtual' || (style === 'auto' && endpoint === '' && !bucket.includes('.'));
  const base = virtual
    ? `${server.protocol}//${bucket}.${server.host}${prefix}`
    : `${server.protocol}//${server.host}${prefix}/${bucket}`;
  return {
    bucket,
    region,
    profile: q.get('profile') ?? undefined,
    objectUrl: (key) => `${base}/${key.split('/').map(encodeURIComponent).join('/')}`,
  };
}

type SourceData = string | ArrayBuffer | ArrayBufferView;
const bytes = (data: SourceData): Buffer =>
  typeof data === 'string'
    ? Buffer.from(data, 'utf8')
    : ArrayBuffer.isView(data)
      ? Buffer.from(data.buffer, data.byteOffset, data.byteLength)
      : Buffer.from(data);

/** SHA-256 and HMAC-SHA-256 for the signer, from node's crypto. */
class NodeSha256 {
  private readonly hash: ReturnType<typeof createHash> | ReturnType<typeof createHmac>;
  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: SourceData): void {
    this.hash.update(bytes(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }
}

/** Signed request headers for a GET of `url`. */
export type S3Signer = (url: string) => Promise<Record<string, string>>;

/** A signer for GETs of `location`'s objects with the session of its profile in these AWS files. */
export async function s3Signer(
  location: S3Location,
  files: { readonly credentials: string; readonly config: string },
): Promise<S3Signer> {
  const [{ fromIni }, { SignatureV4 }] = await Promise.all([
    import('@aws-sdk/credential-provider-ini'),
    import('@smithy/signature-v4'),
  ]);
  const signer = new SignatureV4({
    // Read from the files again after a few seconds, not for every signature: a renewed session is
    // picked up, and thousands of reads do not mean thousands of file reads.
    credentials: cachedFor(
      fromIni({
        ...(location.profile === undefined ? {} : { profile: location.profile }),
        filepath: files.credentials,
        configFilepath: files.config,
        ignoreCache: true,
      }),
    ),
    region: location.region,
    service: 's3',
    sha256: NodeSha256,
    uriEscapePath: false, // S3 keys are escaped once
  });
  return async (target) => {
    const url = new URL(target);
    const signed = await signer.sign({
      method: 'GET',
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port === '' ? {} : { port: Number(url.port) }),
      path: url.pathname,
      query: {},
      headers: { host: url.host, 'x-amz-content-sha256': createHash('sha256').update('').digest('hex') },
    });
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(signed.headers)) if (k !== 'host') headers[k] = v;
    return headers;
  };
}

/** The `<Code>` of an S3 error document, if the body is one. */
export function s3ErrorCode(body: string): string | undefined {
  return /<Error>[\s\S]*?<Code>([A-Za-z]+)<\/Code>/u.exec(body)?.[1];
}
