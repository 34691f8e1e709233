// A fake AWS STS on loopback speaking the AWS Query protocol (form-encoded POST, XML answers) as
// @aws-sdk/client-sts sends it: AssumeRoleWithWebIdentity against a real OIDC issuer's JWKS, and
// GetCallerIdentity with the SigV4 signature of the issued session credentials checked.
import { createHash, randomBytes } from 'node:crypto';
import {
  startServer,
  type ServerOptions,
  type TestRequest,
  type TestResponse,
  type TestServer,
} from './http.js';
import type { JwtClaims } from './jwt.js';
import { checkSigV4, parseSigV4Authorization } from './sigv4.js';
import {
  awsTimestamp,
  StsError,
  stsErrorResponse,
  stsResult,
  validationError,
  type StsErrorCode,
} from './sts-protocol.js';
import { trustPolicyAllows, WebIdentityVerifier, type StsProvider, type StsRole } from './sts-trust.js';

export { STS_ERRORS, type StsErrorCode } from './sts-protocol.js';
export { stringLike, type StsProvider, type StsRole } from './sts-trust.js';

export interface StsServerOptions extends ServerOptions {
  providers?: (string | StsProvider)[];
  roles?: StsRole[];
  /** Issued credentials expire after this many seconds whatever DurationSeconds says. */
  sessionLifetimeSec?: number;
  /** How long to wait for the identity provider's discovery document and JWKS (default 5000 ms). */
  idpTimeoutMs?: number;
}

export interface StsSession {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  /** ms since the epoch */
  expiration: number;
  roleArn: string;
  sessionName: string;
  assumedRoleArn: string;
  assumedRoleId: string;
  account: string;
  provider: string;
  claims: JwtClaims;
  durationSeconds: number;
  policy?: string;
}

export interface StsServer {
  readonly url: string;
  readonly http: TestServer;
  readonly sessions: StsSession[];
  readonly roles: StsRole[];
  readonly providers: StsProvider[];
  /** Answer the next `times` matching calls with this AWS error (message defaults to AWS's). */
  failNext(code: StsErrorCode, times?: number, opts?: { action?: string; message?: string }): void;
  /** Make a session's credentials expired now. */
  expireSession(accessKeyId: string): void;
  close(): Promise<void>;
}

const ROLE_ARN = /^arn:aws:iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]{1,64})$/;
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

const randomId = (n: number): string => [...randomBytes(n)].map((b) => BASE32[b % 32]).join('');
const asList = (v: string | string[]): string[] => (typeof v === 'string' ? [v] : v);

export async function startStsServer(opts: StsServerOptions = {}): Promise<StsServer> {
  const providers = (opts.providers ?? []).map((p) => (typeof p === 'string' ? { issuer: p } : p));
  const roles = [...(opts.roles ?? [])];
  const sessions: StsSession[] = [];
  const failures: { code: StsErrorCode; left: number; action?: string; message?: string }[] = [];

  const verifier = new WebIdentityVerifier(providers, opts.idpTimeoutMs ?? 5000);

  const assumeRoleWithWebIdentity = async (params: URLSearchParams): Promise<TestResponse> => {
    const roleArn = params.get('RoleArn');
    const sessionName = params.get('RoleSessionName');
    const token = params.get('WebIdentityToken');
    const durationText = params.get('DurationSeconds');
    const policy = params.get('Policy');
    if (roleArn === null) throw validationError('roleArn', null, 'Member must not be null');
    if (sessionName === null) throw validationError('roleSessionName', null, 'Member must not be null');
    if (token === null) throw validationError('webIdentityToken', null, 'Member must not be null');
    const arn = ROLE_ARN.exec(roleArn);
    if (arn === null) throw validationError('roleArn', roleArn, 'Member must be a valid IAM role ARN');
    if (sessionName.length < 2 || sessionName.length > 64) {
      throw validationError('roleSessionName', sessionName, 'Member must have length between 2 and 64');
    }
    if (!SESSION_NAME.test(sessionName)) {
      throw validationError(
        'roleSessionName',
        sessionName,
        'Member must satisfy regular expression pattern: [\\w+=,.@-]*',
      );
    }
    const duration = durationText === null ? 3600 : Number(durationText);
    if (!Number.isInteger(duration) || duration < 900 || duration > 43200) {
      throw validationError('durationSeconds', durationText, 'Member must have value between 900 and 43200');
    }
    if (policy !== null) {
      if (policy.length < 1 || policy.length > 2048) {
        throw validationError('policy', policy, 'Member must have length less than or equal to 2048');
      }
      try {
        JSON.parse(policy);
      } catch {
        throw new StsError('MalformedPolicyDocument', 'The policy is not in the valid JSON format.');
      }
    }

    const { claims, provider } = await verifier.verify(token);
    const role = roles.find((r) => r.arn === roleArn);
    if (role === undefined || !trustPolicyAllows(role, claims, provider)) throw new StsError('AccessDenied');
    if (duration > (role.maxSessionDuration ?? 3600)) {
      throw new StsError(
        'ValidationError',
        'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
      );
    }

    const [, account = '', roleName = ''] = arn;
    const roleId = `AROA${createHash('sha256').update(roleArn).digest('hex').slice(0, 17).toUpperCase()}`;
    const providerArn = `arn:aws:iam::${account}:oidc-provider/${provider.issuer.replace(/^https?:\/\//, '')}`;
    const session: StsSession = {
      accessKeyId: `ASIA${randomId(16)}`,
      secretAccessKey: randomBytes(30).toString('base64'),
      sessionToken: `IQoJb3JpZ2luX2VjE${randomBytes(300).toString('base64')}`,
      expiration: Date.now() + (opts.sessionLifetimeSec ?? duration) * 1000,
      roleArn,
      sessionName,
      assumedRoleArn: `arn:aws:sts::${account}:assumed-role/${roleName}/${sessionName}`,
      assumedRoleId: `${roleId}:${sessionName}`,
      account,
      provider: providerArn,
      claims,
      durationSeconds: duration,
      ...(policy === null ? {} : { policy }),
    };
    sessions.push(session);
    return stsResult(
      'AssumeRoleWithWebIdentity',
      {
        Credentials: {
          AccessKeyId: session.accessKeyId,
          SecretAccessKey: session.secretAccessKey,
          SessionToken: session.sessionToken,
          Expiration: awsTimestamp(session.expiration),
        },
        SubjectFromWebIdentityToken: claims.sub,
        AssumedRoleUser: { AssumedRoleId: session.assumedRoleId, Arn: session.assumedRoleArn },
        PackedPolicySize: policy === null ? undefined : Math.ceil((policy.length * 100) / 2048),
        SessionTokenUtilization: policy === null ? undefined : Math.ceil((policy.length * 100) / 2048),
        SessionTokenSize: session.sessionToken.length,
        Provider: providerArn,
        Audience: claims.aud === undefined ? undefined : asList(claims.aud)[0],
      },
      `oidc:${String(claims.sub)}`,
    );
  };

  const getCallerIdentity = (req: TestRequest): TestResponse => {
    const auth = req.headers.authorization;
    if (auth === undefined) throw new StsError('MissingAuthenticationToken');
    const cred = parseSigV4Authorization(auth);
    if (cred === undefined)
      throw new StsError('IncompleteSignature', 'Authorization header is not a valid SigV4 header');
    const session = sessions.find((s) => s.accessKeyId === cred.accessKeyId);
    if (session === undefined || req.headers['x-amz-security-token'] !== session.sessionToken) {
      throw new StsError('InvalidClientTokenId');
    }
    if (Date.now() >= session.expiration) throw new StsError('ExpiredToken');
    const bad = checkSigV4(req, cred, session.secretAccessKey);
    if (bad !== undefined) throw new StsError('SignatureDoesNotMatch', bad);
    return stsResult(
      'GetCallerIdentity',
      { Arn: session.assumedRoleArn, UserId: session.assumedRoleId, Account: session.account },
      session.assumedRoleArn,
    );
  };

  const http = await startServer(async (req) => {
    if (req.headers['x-amz-target'] !== undefined) {
      return {
        status: 400,
        body: 'this fake STS speaks the AWS Query protocol only (got an x-amz-target JSON call)\n',
      };
    }
    const params = new URLSearchParams(req.query);
    const contentType = req.headers['content-type'] ?? '';
    if (req.method === 'POST' && contentType.startsWith('application/x-www-form-urlencoded')) {
      for (const [k, v] of new URLSearchParams(req.body.toString('utf8'))) params.append(k, v);
    }
    const action = params.get('Action') ?? '';
    try {
      const failure = failures.find((f) => f.action === undefined || f.action === action);
      if (failure !== undefined) {
        if (--failure.left <= 0) failures.splice(failures.indexOf(failure), 1);
        throw new StsError(failure.code, failure.message);
      }
      if (params.get('Version') !== '2011-06-15') {
        throw new StsError(
          'InvalidAction',
          `Could not find operation ${action} for version ${String(params.get('Version'))}`,
        );
      }
      if (action === 'AssumeRoleWithWebIdentity') return await assumeRoleWithWebIdentity(params);
      if (action === 'GetCallerIdentity') return getCallerIdentity(req);
      throw new StsError('InvalidAction', `Could not find operation ${action} for version 2011-06-15`);
    } catch (err) {
      if (err instanceof StsError) return stsErrorResponse(err.code, err.message);
      throw err;
    }
  }, opts);

  return {
    url: http.url,
    http,
    sessions,
    roles,
    providers,
    failNext(code, times = 1, o = {}) {
      failures.push({ code, left: times, ...o });
    },
    expireSession(accessKeyId) {
      const session = sessions.find((s) => s.accessKeyId === accessKeyId);
      if (session === undefined) throw new Error(`no session ${accessKeyId}`);
      session.expiration = Date.now() - 1000;
    },
    close: () => http.close(),
  };
}
