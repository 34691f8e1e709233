/**
 * One renewal: a fresh credential and the files that carry it. Generic, so that any login (the HTTP
 * cache's netrc, an AWS session in the AWS shared files) plugs into the same refresher loop.
 */
import type { OwnedFiles, Owner } from '../../config/files.js';
import { mergeNetrc } from '../../config/netrc.js';
import { type ExchangeDeps, exchangeToken, jwtCredential } from '../exchange.js';
import type { HttpCredential, MintIdToken } from '../types.js';
import { type AwsRenewalDeps, awsRenewal } from './aws.js';
import type { NetrcSpec, RenewalSpec } from './spec.js';

/** A credential file to rewrite: its new text from the current one (undefined when it is missing). */
export interface CredentialWrite {
  readonly owner: Owner;
  readonly path: string;
  readonly mode: number;
  readonly render: (current: string | undefined) => string;
}

export interface Renewed {
  readonly writes: readonly CredentialWrite[];
  /** Epoch ms. */
  readonly expiresAt: number;
}

export interface Renewal {
  /** For the log: what is renewed (never a secret). */
  readonly what: string;
  renew(): Promise<Renewed>;
}

/** The cache's entry in each netrc file, every other machine's entry kept. */
export function netrcWrites(netrc: NetrcSpec, password: string): CredentialWrite[] {
  return netrc.files.map((file) => ({
    ...file,
    render: (current) => mergeNetrc(current, { machine: netrc.machine, login: netrc.login, password }),
  }));
}

/** Writes each file atomically (read, render, write), in order. */
export async function applyWrites(files: OwnedFiles, writes: readonly CredentialWrite[]): Promise<void> {
  for (const w of writes) {
    const current = await files.read(w.owner, w.path);
    await files.write(w.owner, w.path, w.render(current), w.mode);
  }
}

export interface RenewalDeps {
  readonly mint: MintIdToken;
  readonly exchange?: ExchangeDeps;
  readonly aws?: AwsRenewalDeps;
}

function httpRenewal(what: string, netrc: NetrcSpec, obtain: () => Promise<HttpCredential>): Renewal {
  return {
    what,
    async renew() {
      const credential = await obtain();
      return { writes: netrcWrites(netrc, credential.password), expiresAt: credential.expiresAt };
    },
  };
}

/** The renewal the spec asks for. */
export function renewalFor(spec: RenewalSpec, deps: RenewalDeps): Renewal {
  switch (spec.kind) {
    case 'github-jwt':
      return httpRenewal(`GitHub OIDC token for ${spec.netrc.machine}`, spec.netrc, () =>
        jwtCredential(deps.mint, spec.audience),
      );
    case 'token-exchange':
      return httpRenewal(`exchanged token for ${spec.netrc.machine}`, spec.netrc, () =>
        exchangeToken(deps.mint, { endpoint: spec.endpoint, audience: spec.audience }, deps.exchange),
      );
    case 'aws':
      return awsRenewal(spec.audience, spec.role, spec.files, deps.mint, deps.aws);
  }
}

/** For the refresher's first log line: the files it rewrites (never their contents). */
export function describeTargets(spec: RenewalSpec): string {
  switch (spec.kind) {
    case 'github-jwt':
    case 'token-exchange':
      return `${spec.netrc.files.length} netrc file(s)`;
    case 'aws':
      return `${spec.files.length} pair(s) of AWS credentials and config files`;
  }
}
