/**
 * Keeping credentials valid for the whole job: main starts the detached refresher with what to renew
 * and where it goes; post stops it (before removing the credentials) and prints its log.
 */
import * as core from '@actions/core';
import { readFile } from 'node:fs/promises';
import type { Configured } from '../config/apply.js';
import { DEFAULT_NETRC_LOGIN } from '../config/plan.js';
import { startRefresher, stopRefresher } from '../login/refresh/process.js';
import type { AwsTarget, NetrcSpec, RenewalSpec } from '../login/refresh/spec.js';
import { ID_TOKEN_TOKEN_VAR, ID_TOKEN_URL_VAR } from '../login/oidc.js';
import type { NixEnvironment } from '../nix/environment.js';
import type { System } from '../system/types.js';
import type { LoggedIn } from './login.js';
import type { AwsFiles } from './paths.js';
import { actionTemp } from './paths.js';

export interface RunningRenewal {
  readonly pid: number;
  readonly log: string;
}

const NETRC_ROLES = new Set(['root-netrc', 'daemon-netrc', 'user-netrc']);

/** The netrc files the configuration wrote for the cache host: the refresher rewrites the same ones. */
function netrcSpec(configured: Configured | undefined, machine: string): NetrcSpec | undefined {
  const files = (configured?.plan.writes ?? [])
    .filter((w) => NETRC_ROLES.has(w.role))
    .map((w) => ({ owner: w.owner, path: w.path, mode: w.mode }));
  return files.length === 0 ? undefined : { machine, login: DEFAULT_NETRC_LOGIN, files };
}

/**
 * The AWS session again, as main assumed it, into the files main wrote: the job user's, and root's when
 * main could write them. Variables exported to later steps cannot be renewed (see login/refresh/aws.ts).
 */
function awsSpec(loggedIn: LoggedIn): RenewalSpec | undefined {
  const mode = loggedIn.decision.mode;
  if (mode.kind !== 'aws' || loggedIn.aws === undefined) return undefined;
  const { aws } = mode;
  const { user, root } = loggedIn.aws;
  const target = (owner: AwsTarget['owner'], f: AwsFiles): AwsTarget => ({
    owner,
    credentials: f.credentials,
    config: f.config,
    mode: 0o600,
  });
  const files = [target('user', user), ...(root === undefined ? [] : [target('root', root)])];
  return {
    kind: 'aws',
    audience: mode.audience,
    role: {
      roleArn: aws.roleArn,
      region: aws.region,
      sessionName: aws.sessionName,
      ...(aws.durationSeconds === undefined ? {} : { durationSeconds: aws.durationSeconds }),
      ...(aws.policy === undefined ? {} : { policy: aws.policy }),
      ...(aws.stsEndpoint === undefined ? {} : { stsEndpoint: aws.stsEndpoint }),
    },
    files,
  };
}

/** What the refresher renews after this login; undefined: nothing. */
export function renewalSpec(loggedIn: LoggedIn, configured: Configured | undefined): RenewalSpec | undefined {
  const mode = loggedIn.decision.mode;
  if (mode.kind === 'aws') return awsSpec(loggedIn);
  const machine = loggedIn.cache?.host;
  if (machine === undefined) return undefined;
  const netrc = netrcSpec(configured, machine);
  if (netrc === undefined) return undefined;
  if (mode.kind === 'github-jwt') return { kind: 'github-jwt', audience: mode.audience, netrc };
  if (mode.kind === 'token-exchange') {
    return { kind: 'token-exchange', audience: mode.audience, endpoint: mode.endpoint, netrc };
  }
  return undefined;
}

/** Starts the refresher when the credential expires; undefined when there is nothing to renew. */
export async function startRenewal(
  sys: System,
  loggedIn: LoggedIn,
  configured: Configured | undefined,
  env: NixEnvironment,
): Promise<RunningRenewal | undefined> {
  const renewal = renewalSpec(loggedIn, configured);
  if (renewal === undefined || loggedIn.expiresAt === undefined) return undefined;
  const log = `${actionTemp(sys)}/refresher.log`;
  const pid = await startRefresher({
    renewal,
    idTokenRequest: { url: sys.env[ID_TOKEN_URL_VAR] ?? '', token: sys.env[ID_TOKEN_TOKEN_VAR] ?? '' },
    issuedAt: Date.now(),
    expiresAt: loggedIn.expiresAt,
    logFile: log,
    // The job is over when the runner cleans RUNNER_TEMP (it may empty the folder rather than remove it).
    lifeline: log,
    privilege: env.privilege,
  });
  core.info(`Credentials are renewed before they expire by a refresher (pid ${pid}) until the post step.`);
  return { pid, log };
}

/** Stops the refresher and prints its log (renewals and expiries; it never holds a token). */
export async function stopRenewal(running: RunningRenewal): Promise<void> {
  const result = await stopRefresher(running.pid);
  const text = await readFile(running.log, 'utf8').catch(() => '');
  core.info(`Credential refresher ${result}.${text === '' ? '' : ` Its log:\n${text.trimEnd()}`}`);
}
