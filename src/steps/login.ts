/**
 * The login stage of main: from the inputs and what the job may do (mint a GitHub OIDC token or not) to
 * a credential for the cache — a static token, the GitHub token itself, an exchanged token, or an AWS
 * session written for the daemon (root's AWS files, under a profile of ours) and for the job's user.
 */
import * as core from '@actions/core';
import { readFile } from 'node:fs/promises';
import type { OwnedFiles } from '../config/files.js';
import type { StoreUrl } from '../config/types.js';
import type { Inputs } from '../inputs.js';
import { AWS_PROFILE_NAME, withProfile, withProfileConfig } from '../login/aws/files.js';
import { storeUrlWithProfile } from '../login/aws/nix-s3.js';
import { sessionName } from '../login/aws/session-name.js';
import { exchangeToken, jwtCredential } from '../login/exchange.js';
import { type LoginDecision, decideLogin } from '../login/mode.js';
import { forkNotice, idTokenAccess, missingPermissionMessage, mintIdToken } from '../login/oidc.js';
import type { AwsSession, LoginMode } from '../login/types.js';
import type { NixEnvironment } from '../nix/environment.js';
import type { Row } from '../report/environment.js';
import type { CredentialRecord } from '../state.js';
import type { System } from '../system/types.js';
import { type AwsFiles, awsFilePaths } from './paths.js';

export interface LoggedIn {
  readonly decision: LoginDecision;
  /** The cache as Nix should use it (an s3:// store gets our profile). */
  readonly cache: StoreUrl | undefined;
  /** The HTTP cache password for the netrc entry (static, GitHub token or exchanged token). */
  readonly password: string | undefined;
  /** When the credential stops working (epoch ms); undefined for a static token. */
  readonly expiresAt: number | undefined;
  readonly aws:
    | { readonly session: AwsSession; readonly root: AwsFiles | undefined; readonly user: AwsFiles }
    | undefined;
  /** Credential files written here (AWS), for post to remove. */
  readonly credentials: readonly CredentialRecord[];
  readonly rows: readonly Row[];
}

async function readEvent(path: string | undefined): Promise<unknown> {
  if (path === undefined || path === '') return undefined;
  try {
    return JSON.parse(await readFile(path, 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Writes our profile into AWS files (others' profiles kept byte for byte). `record` is told what post
 * must take out again before anything is written.
 */
export async function writeAwsProfile(
  files: OwnedFiles,
  owner: 'root' | 'user',
  paths: AwsFiles,
  session: AwsSession,
  region: string,
  record: (credentials: readonly CredentialRecord[]) => void,
): Promise<CredentialRecord[]> {
  const [credentials, config] = await Promise.all([
    files.read(owner, paths.credentials),
    files.read(owner, paths.config),
  ]);
  const entry = (path: string, existed: boolean): CredentialRecord =>
    existed ? { path, owner, kind: 'aws-profile', machine: AWS_PROFILE_NAME } : { path, owner, kind: 'file' };
  const records = [
    entry(paths.credentials, credentials !== undefined),
    entry(paths.config, config !== undefined),
  ];
  record(records);
  await files.write(owner, paths.credentials, withProfile(credentials, AWS_PROFILE_NAME, session), 0o600);
  await files.write(owner, paths.config, withProfileConfig(config, AWS_PROFILE_NAME, region), 0o600);
  return records;
}

function maskSession(session: AwsSession): void {
  for (const secret of [session.accessKeyId, session.secretAccessKey, session.sessionToken])
    core.setSecret(secret);
}

function describeMode(mode: LoginMode): string {
  switch (mode.kind) {
    case 'none':
      return 'none (public caches)';
    case 'static-token':
      return 'static token (netrc)';
    case 'github-jwt':
      return `GitHub OIDC token as the cache password (audience ${mode.audience})`;
    case 'token-exchange':
      return `GitHub OIDC token exchanged at ${mode.endpoint} (audience ${mode.audience})`;
    case 'aws':
      return `AWS STS AssumeRoleWithWebIdentity as ${mode.aws.roleArn} (audience ${mode.audience})`;
  }
}

export async function loginStage(
  sys: System,
  inputs: Inputs,
  env: NixEnvironment,
  files: OwnedFiles,
  record: (credentials: readonly CredentialRecord[]) => void,
): Promise<LoggedIn> {
  const access = idTokenAccess(sys.env, await readEvent(sys.env['GITHUB_EVENT_PATH']));
  const decided = decideLogin(inputs.login, access, missingPermissionMessage);
  // The AWS session name is settled here once (the refresher reuses it as it stands).
  const decision: LoginDecision =
    decided.mode.kind === 'aws' && decided.mode.aws.sessionName === ''
      ? {
          ...decided,
          mode: { ...decided.mode, aws: { ...decided.mode.aws, sessionName: sessionName(sys.env) } },
        }
      : decided;
  const mode = decision.mode;
  if ('pullOnly' in decision) core.notice(forkNotice());
  const rows: Row[] = [['Login', describeMode(mode)]];
  const base = {
    decision,
    cache: inputs.cache,
    password: undefined,
    expiresAt: undefined,
    aws: undefined,
    credentials: [],
    rows,
  };
  switch (mode.kind) {
    case 'none':
      return base;
    case 'static-token':
      return { ...base, password: inputs.token };
    case 'github-jwt': {
      const cred = await jwtCredential(mintIdToken, mode.audience);
      core.setSecret(cred.password);
      rows.push(['Credential valid until', new Date(cred.expiresAt).toISOString()]);
      return { ...base, password: cred.password, expiresAt: cred.expiresAt };
    }
    case 'token-exchange': {
      const cred = await exchangeToken(mintIdToken, { endpoint: mode.endpoint, audience: mode.audience });
      core.setSecret(cred.password);
      rows.push(['Credential valid until', new Date(cred.expiresAt).toISOString()]);
      return { ...base, password: cred.password, expiresAt: cred.expiresAt };
    }
    case 'aws': {
      const options = {
        ...mode.aws,
        sessionName: mode.aws.sessionName,
        audience: mode.audience,
      };
      // Loaded only for an AWS login: the AWS SDK would add ~180 ms to every main step's start-up.
      const { assumeRoleWithWebIdentity } = await import('../login/aws/sts.js');
      const session = await assumeRoleWithWebIdentity(mintIdToken, options);
      maskSession(session);
      const paths = awsFilePaths(sys);
      const credentials: CredentialRecord[] = [];
      const keep = (more: readonly CredentialRecord[]): void => {
        credentials.push(...more);
        record(credentials);
      };
      await writeAwsProfile(files, 'user', paths.user, session, options.region, keep);
      const rootFiles = env.privilege.canWriteRootFiles ? paths.root : undefined;
      if (rootFiles) await writeAwsProfile(files, 'root', rootFiles, session, options.region, keep);
      if (mode.aws.exportCredentials) {
        core.exportVariable('AWS_ACCESS_KEY_ID', session.accessKeyId);
        core.exportVariable('AWS_SECRET_ACCESS_KEY', session.secretAccessKey);
        core.exportVariable('AWS_SESSION_TOKEN', session.sessionToken);
        core.exportVariable('AWS_REGION', options.region);
      }
      rows.push(
        ['AWS identity', `${session.arn} (account ${session.account})`],
        ['Session valid until', new Date(session.expiresAt).toISOString()],
        [
          'AWS profile',
          `${AWS_PROFILE_NAME} in ${[paths.user.credentials, rootFiles?.credentials].filter(Boolean).join(' and ')}`,
        ],
      );
      const cache = inputs.cache
        ? { ...inputs.cache, url: storeUrlWithProfile(inputs.cache.url) }
        : undefined;
      return {
        ...base,
        cache,
        expiresAt: session.expiresAt,
        aws: { session, root: rootFiles, user: paths.user },
        credentials,
      };
    }
  }
}
