/** The shapes shared by the logins (GitHub OIDC → AWS STS, HTTP cache credentials) and their refresher. */

/** How the action gets cache credentials, decided from the inputs given. */
export type LoginMode =
  /** Nothing to log in to (a public cache, or none). */
  | { readonly kind: 'none' }
  /** A static token from the `token` input (configure issue). */
  | { readonly kind: 'static-token' }
  /** The GitHub JWT itself is the HTTP cache's password. */
  | { readonly kind: 'github-jwt'; readonly audience: string }
  /** The GitHub JWT traded for an access token at an RFC 8693 endpoint. */
  | { readonly kind: 'token-exchange'; readonly audience: string; readonly endpoint: string }
  /** The GitHub JWT traded for an AWS session (AssumeRoleWithWebIdentity), for an s3:// cache. */
  | { readonly kind: 'aws'; readonly audience: string; readonly aws: AwsLoginOptions };

export interface AwsLoginOptions {
  readonly roleArn: string;
  readonly region: string;
  readonly sessionName: string;
  readonly durationSeconds: number | undefined;
  /** An inline session policy (JSON text). */
  readonly policy: string | undefined;
  /** An STS endpoint override (tests, GovCloud/China, S3-compatible stores). */
  readonly stsEndpoint: string | undefined;
  /** Export the session to later steps through GITHUB_ENV (off by default). */
  readonly exportCredentials: boolean;
}

/** A credential for an HTTP cache: the netrc password, and when it stops working. */
export interface HttpCredential {
  readonly password: string;
  /** Epoch milliseconds. */
  readonly expiresAt: number;
}

/** An AWS session as STS issued it. */
export interface AwsSession {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  /** Epoch milliseconds. */
  readonly expiresAt: number;
  /** The assumed role's ARN, as GetCallerIdentity reports it. */
  readonly arn: string;
  readonly account: string;
}

/** Mints a fresh GitHub OIDC token for an audience (each token lives about five minutes). */
export type MintIdToken = (audience: string) => Promise<string>;
