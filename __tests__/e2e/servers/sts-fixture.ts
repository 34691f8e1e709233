// Shared set-up for the STS tests: an OIDC server for the suite, a fresh STS per test, SDK clients.
import { afterAll, afterEach, beforeAll, beforeEach } from '@jest/globals';
import { getIDToken } from '@actions/core';
import {
  AssumeRoleWithWebIdentityCommand,
  STSClient,
  type AssumeRoleWithWebIdentityCommandInput,
  type Credentials,
} from '@aws-sdk/client-sts';
import { withEnv } from '../../servers/env.js';
import { startOidcServer, type OidcServer } from '../../servers/oidc.js';
import { startStsServer, type StsServer } from '../../servers/sts.js';

export const ROLE = 'arn:aws:iam::123456789012:role/nix-cache';
export const WRITER = 'arn:aws:iam::123456789012:role/path/nix-cache-writer';

export let oidc: OidcServer;
export let sts: StsServer;

beforeAll(async () => {
  oidc = await startOidcServer();
});
afterAll(async () => {
  await oidc.close();
});
beforeEach(async () => {
  sts = await startStsServer({
    providers: [oidc.issuer],
    roles: [
      { arn: ROLE, subject: 'repo:octo-org/*', maxSessionDuration: 7200 },
      {
        arn: WRITER,
        subject: ['repo:octo-org/octo-repo:ref:refs/heads/main'],
        conditions: { actor: 'octo?at' },
      },
    ],
    idpTimeoutMs: 500,
  });
});
afterEach(async () => {
  await sts.close();
});

export const client = (maxAttempts = 1, credentials?: Credentials): STSClient =>
  new STSClient({
    endpoint: sts.url,
    region: 'us-east-1',
    maxAttempts,
    ...(credentials === undefined
      ? {}
      : {
          credentials: {
            accessKeyId: credentials.AccessKeyId!,
            secretAccessKey: credentials.SecretAccessKey!,
            sessionToken: credentials.SessionToken!,
          },
        }),
  });

export const githubToken = (audience = 'sts.amazonaws.com'): Promise<string> =>
  withEnv(oidc.env(), () => getIDToken(audience));

export const assume = (
  token: string,
  input: Partial<AssumeRoleWithWebIdentityCommandInput> = {},
  attempts = 1,
) =>
  client(attempts).send(
    new AssumeRoleWithWebIdentityCommand({
      RoleArn: ROLE,
      RoleSessionName: 'gh-42',
      WebIdentityToken: token,
      ...input,
    }),
  );

export interface SdkError {
  name: string;
  message: string;
  Code?: string;
  $metadata: { httpStatusCode?: number; requestId?: string; attempts?: number };
}
export async function failure(p: Promise<unknown>): Promise<SdkError> {
  try {
    await p;
  } catch (err) {
    return err as SdkError;
  }
  throw new Error('expected the call to fail');
}
