/**
 * Reading pushed narinfos back from an s3:// cache: the store URL's bucket, region, endpoint and scheme
 * as Nix uses them, the session of the URL's profile read from the AWS files by the AWS SDK, Signature V4
 * by the SDK's signer, checked by a loopback S3 endpoint; narinfos made and signed by Nix.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AWS_PROFILE_NAME, withProfile, withProfileConfig } from '../../../src/login/aws/files.js';
import { s3Location } from '../../../src/push/s3-read.js';
import type { PathInfo, VerifyReport } from '../../../src/push/types.js';
import { verifyPushed } from '../../../src/push/verify.js';
import { type S3Server, type S3Session, startS3Server } from '../../servers/s3.js';

const KEYS = fileURLToPath(new URL('../../fixtures/keys/', import.meta.url));
const PUBLIC = readFileSync(join(KEYS, 'test-cache-1.public'), 'utf8');
const LOCAL = JSON.parse(readFileSync(join(KEYS, 'path-info.json'), 'utf8')) as PathInfo[];
const sorted = (xs: readonly string[]): string[] => [...xs].sort();

const SESSION: Required<S3Session> = {
  accessKeyId: 'ASIAVERIFYS3TEST0001',
  secretAccessKey: 'verify/s3/secret/key/0123456789abcdefABCD',
  sessionToken: 'IQoJb3JpZ2luX2VjEVerifyS3SessionToken0123456789',
  expiration: Date.now() + 3600_000,
};

type Checked = Extract<VerifyReport, { verifiable: true }>;
function checked(report: VerifyReport): Checked {
  if (!report.verifiable) throw new Error(`not verifiable: ${report.reason}`);
  return report;
}

let dir: string;
let bucketDir: string;
let s3: S3Server;
let aws: { credentials: string; config: string };

/** The AWS files as login writes them: the session in the action's profile. */
function writeSession(
  session: Pick<S3Session, 'accessKeyId' | 'secretAccessKey'> & { sessionToken: string },
): void {
  writeFileSync(aws.credentials, withProfile(undefined, AWS_PROFILE_NAME, session), { mode: 0o600 });
}

async function startBucket(extra: { listBucket?: boolean; sessions?: S3Session[] } = {}): Promise<void> {
  s3 = await startS3Server({
    bucket: 'nix-cache',
    dir: bucketDir,
    sessions: extra.sessions ?? [SESSION],
    ...extra,
  });
}

const storeUrl = (): string =>
  `s3://nix-cache?region=eu-west-1&endpoint=${s3.endpoint}&scheme=http&profile=${AWS_PROFILE_NAME}`;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'verify-s3-'));
  bucketDir = join(dir, 'bucket');
  cpSync(join(KEYS, 'cache'), bucketDir, { recursive: true });
  aws = { credentials: join(dir, 'credentials'), config: join(dir, 'config') };
  writeSession(SESSION);
  writeFileSync(aws.config, withProfileConfig(undefined, AWS_PROFILE_NAME, 'eu-west-1'));
});
afterEach(async () => {
  await s3.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('verifyPushed for an s3:// cache', () => {
  it('reads every narinfo with the profile’s session, signed, and verifies its Nix-made signature', async () => {
    await startBucket();
    const report = checked(
      await verifyPushed({ cacheUrl: storeUrl(), paths: LOCAL, publicKeys: [PUBLIC], aws }),
    );
    expect(report.checks).toBe('signatures');
    expect(sorted(report.ok)).toEqual(sorted(LOCAL.map((p) => p.path)));
    expect([report.missing, report.badSignature, report.mismatch, report.unreadable]).toEqual([
      [],
      [],
      [],
      [],
    ]);
    expect(s3.readers).toEqual(LOCAL.map(() => SESSION.accessKeyId));
    for (const r of s3.http.requests) {
      expect(r.path).toMatch(/^\/nix-cache\/[0-9a-z]{32}\.narinfo$/);
      expect(r.headers['x-amz-security-token']).toBe(SESSION.sessionToken);
    }
  });

  it('reports a key the bucket lacks as missing: NoSuchKey, or AccessDenied without s3:ListBucket (as Nix)', async () => {
    const gone = LOCAL[0]!;
    rmSync(join(bucketDir, `${gone.path.slice(11, 43)}.narinfo`));
    for (const listBucket of [true, false]) {
      await startBucket({ listBucket });
      const report = checked(
        await verifyPushed({ cacheUrl: storeUrl(), paths: LOCAL, publicKeys: [PUBLIC], aws }),
      );
      expect(report.missing).toEqual([gone.path]);
      expect(report.ok).toHaveLength(LOCAL.length - 1);
      await s3.close();
    }
  });

  it('names what is wrong when the URL is: another bucket, another region', async () => {
    await startBucket();
    const paths = LOCAL.slice(0, 1);
    const wrongBucket = storeUrl().replace('s3://nix-cache?', 's3://nix-cache-2?');
    const wrongRegion = storeUrl().replace('region=eu-west-1', 'region=us-west-2');
    for (const [url, why] of [
      [wrongBucket, 'HTTP 404 NoSuchBucket'],
      [wrongRegion, 'HTTP 400 AuthorizationHeaderMalformed'],
    ] as const) {
      const report = checked(await verifyPushed({ cacheUrl: url, paths, publicKeys: [PUBLIC], aws }));
      expect(report.unreadable).toEqual([{ path: paths[0]!.path, why }]);
      expect(report.missing).toEqual([]);
    }
  });

  it('says the session cannot read when every narinfo is AccessDenied (no s3:GetObject)', async () => {
    rmSync(bucketDir, { recursive: true, force: true }); // every key "missing", and no s3:ListBucket
    await startBucket({ listBucket: false });
    const report = checked(
      await verifyPushed({ cacheUrl: storeUrl(), paths: LOCAL, publicKeys: [PUBLIC], aws }),
    );
    expect(report.missing).toEqual([]);
    expect(report.unreadable.map((u) => u.why)).toEqual(
      LOCAL.map(
        () => 'HTTP 403 AccessDenied on every narinfo (does the session have s3:GetObject on the bucket?)',
      ),
    );
  });

  it('says S3 refused the session when the signature does not match, and gives the bucket up', async () => {
    await startBucket();
    writeSession({ ...SESSION, secretAccessKey: 'not/the/secret/key/0123456789abcdefABCDEF' });
    const many = Array.from({ length: 20 }, (_, i) => ({
      ...LOCAL[0]!,
      path: LOCAL[0]!.path.replace(/-[^-]+$/, `-p${i}`),
    }));
    const report = checked(
      await verifyPushed({ cacheUrl: storeUrl(), paths: many, publicKeys: [PUBLIC], aws, retryDelayMs: 1 }),
    );
    expect(report.ok).toEqual([]);
    expect(report.unreadable).toHaveLength(20);
    expect(report.unreadable[0]!.why).toBe('HTTP 403 SignatureDoesNotMatch (S3 refused the session)');
    expect(report.unreadable.at(-1)!.why).toMatch(/^given up on the cache after 5 narinfos in a row/);
    expect(s3.readers).toEqual([]);
  });

  it('reads the session from the files again: a renewed session is used by the next read-back', async () => {
    const renewed: Required<S3Session> = {
      ...SESSION,
      accessKeyId: 'ASIAVERIFYS3TEST0002',
      secretAccessKey: 'renewed/s3/secret/key/0123456789abcdefAB',
      sessionToken: 'IQoJb3JpZ2luX2VjEVerifyS3RenewedToken9876543210',
    };
    await startBucket({ sessions: [SESSION, renewed] });
    const first = LOCAL.slice(0, 2);
    const rest = LOCAL.slice(2);
    checked(await verifyPushed({ cacheUrl: storeUrl(), paths: first, publicKeys: [PUBLIC], aws }));
    writeSession(renewed);
    const report = checked(
      await verifyPushed({ cacheUrl: storeUrl(), paths: rest, publicKeys: [PUBLIC], aws }),
    );
    expect(report.ok).toHaveLength(rest.length);
    expect(s3.readers).toEqual([
      ...first.map(() => SESSION.accessKeyId),
      ...rest.map(() => renewed.accessKeyId),
    ]);
  });

  it('says an expired session could not read, and why', async () => {
    await startBucket({ sessions: [{ ...SESSION, expiration: Date.now() - 1000 }] });
    const report = checked(
      await verifyPushed({
        cacheUrl: storeUrl(),
        paths: LOCAL.slice(0, 1),
        publicKeys: [PUBLIC],
        aws,
        retryDelayMs: 1,
      }),
    );
    expect(report.unreadable).toEqual([{ path: LOCAL[0]!.path, why: 'HTTP 400 ExpiredToken' }]);
  });

  it('is not verifiable without the AWS files, or for a bucket name S3 would not take', async () => {
    await startBucket();
    expect(await verifyPushed({ cacheUrl: storeUrl(), paths: LOCAL, publicKeys: [] })).toEqual({
      verifiable: false,
      reason: "the bucket is read back with the action's AWS session only (aws-role-arn)",
    });
    expect(
      await verifyPushed({ cacheUrl: 's3://No_Such?region=eu-west-1', paths: LOCAL, publicKeys: [], aws }),
    ).toEqual({
      verifiable: false,
      reason: "'No_Such' is not an S3 bucket name",
    });
  });
});

describe('s3Location: where Nix reads an s3:// store', () => {
  it('uses the endpoint path-style, with the scheme the URL gives (https by default)', () => {
    expect(s3Location('s3://b-1?endpoint=minio.example.org:9000&scheme=http').objectUrl('abc.narinfo')).toBe(
      'http://minio.example.org:9000/b-1/abc.narinfo',
    );
    expect(s3Location('s3://b-1?endpoint=r2.example.com').objectUrl('nar/x.nar.zst')).toBe(
      'https://r2.example.com/b-1/nar/x.nar.zst',
    );
    expect(s3Location('s3://b-1?endpoint=https://r2.example.com/').objectUrl('k')).toBe(
      'https://r2.example.com/b-1/k',
    );
  });

  it('uses the bucket’s virtual host in its region without an endpoint (us-east-1 by default)', () => {
    expect(s3Location('s3://my-cache?region=eu-central-1').objectUrl('k.narinfo')).toBe(
      'https://my-cache.s3.eu-central-1.amazonaws.com/k.narinfo',
    );
    expect(s3Location('s3://cache.example.org?region=eu-west-2').objectUrl('k')).toBe(
      'https://s3.eu-west-2.amazonaws.com/cache.example.org/k', // dotted: path-style, as the SDKs do under TLS
    );
    const plain = s3Location('s3://my-cache');
    expect([plain.region, plain.profile, plain.objectUrl('k')]).toEqual([
      'us-east-1',
      undefined,
      'https://my-cache.s3.us-east-1.amazonaws.com/k',
    ]);
  });

  it('keeps an endpoint URL’s path, and follows addressing-style and scheme as Nix does', () => {
    expect(s3Location('s3://b-1?endpoint=https://gw.example.org/s3/').objectUrl('k')).toBe(
      'https://gw.example.org/s3/b-1/k',
    );
    expect(s3Location('s3://b-1?endpoint=oss.example.com&addressing-style=virtual').objectUrl('k')).toBe(
      'https://b-1.oss.example.com/k',
    );
    expect(s3Location('s3://b-1?region=eu-west-3&addressing-style=path').objectUrl('k')).toBe(
      'https://s3.eu-west-3.amazonaws.com/b-1/k',
    );
    expect(s3Location('s3://b-1?scheme=http').objectUrl('k')).toBe('http://b-1.s3.us-east-1.amazonaws.com/k');
    expect(() => s3Location('s3://b-1?addressing-style=dns')).toThrow(/addressing-style 'dns'/);
  });

  it('refuses what is not an s3:// store Nix would read', () => {
    expect(() => s3Location('s3://my-cache?scheme=ftp')).toThrow(/scheme 'ftp' is not http/);
    expect(() => s3Location('s3://my-cache?region=eu%0Awest')).toThrow(/not an AWS region/);
    expect(() => s3Location('https://my-cache')).toThrow(/not an s3:\/\/ store URL/);
  });
});
