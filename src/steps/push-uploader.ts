/**
 * The during-build uploader's life: main starts it when our post-build hook is in place (with the signing
 * key written 0600 for the job), post stops it before its own push, prints its log and reads its record.
 */
import * as core from '@actions/core';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { OwnedFiles } from '../config/files.js';
import type { PushInputs } from '../push/inputs.js';
import { definedEnv } from '../util/env.js';
import { errorMessage } from '../util/errors.js';
import {
  type RecordedPush,
  UPLOADER_SPEC_VERSION,
  type UploaderSpec,
  parseRecord,
} from '../push/uploader-spec.js';
import { withStoreParams } from '../push/url.js';
import type { UploaderState } from '../state.js';
import { READY_FD, startDetached, stopDetached } from '../system/detached.js';
import type { System } from '../system/types.js';
import { namesActionProfile, s3CopyEnv } from '../login/aws/nix-s3.js';
import { actionTemp, type AwsFiles, awsFilePaths, pushCacheHome } from './paths.js';

/** Variables the uploader must not have: inputs (secrets among them) and the job's tokens. */
const DROPPED =
  /^(INPUT_|ACTIONS_ID_TOKEN_REQUEST_|ACTIONS_RUNTIME_TOKEN$|GITHUB_TOKEN$|ACTIONS_RESULTS_URL$)/u;

export function uploaderEnv(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  return definedEnv(env, DROPPED);
}

/**
 * The AWS files holding an s3:// cache's session when the action's login made it (the job user's copy,
 * twin of the daemon's); none for a bucket reached with the job's own AWS setup, which is left as it is.
 */
export function cacheAwsFiles(sys: System, cache: string): AwsFiles | undefined {
  return namesActionProfile(cache) ? awsFilePaths(sys).user : undefined;
}

/**
 * Extra environment `nix copy` needs for our cache: a narinfo disk cache of the job's own (not what Nix
 * remembered from earlier jobs), and the AWS files of the login's session for an s3:// store.
 */
export function cacheEnv(sys: System, cache: string): Record<string, string> {
  const aws = cacheAwsFiles(sys, cache);
  return {
    // Nix ≥ 2.15 reads NIX_CACHE_HOME before XDG_CACHE_HOME: a job's own setting must not win either.
    XDG_CACHE_HOME: pushCacheHome(sys),
    NIX_CACHE_HOME: `${pushCacheHome(sys)}/nix`,
    ...(aws === undefined ? {} : s3CopyEnv(aws)),
  };
}

export async function removePushCacheHome(sys: System): Promise<void> {
  await rm(pushCacheHome(sys), { recursive: true, force: true });
}

/** Where the signing key lives while it is needed (0600, the job user's). */
export const signingKeyPath = (sys: System): string => `${actionTemp(sys)}/push/signing-key`;

export async function writeSigningKey(sys: System, secret: string): Promise<string> {
  const path = signingKeyPath(sys);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFile(path, secret, { mode: 0o600 });
  await chmod(path, 0o600);
  return path;
}

export async function removeSigningKey(sys: System): Promise<void> {
  await rm(signingKeyPath(sys), { force: true });
}

/** The cache URL `nix copy` is given: compression and signing added, the user's own parameters kept. */
export function pushUrl(cache: string, push: PushInputs, keyFile: string | undefined): string {
  return withStoreParams(cache, { compression: push.compression, 'secret-key': keyFile });
}

export async function startUploader(
  sys: System,
  push: PushInputs,
  cache: string,
  queue: string,
  netrcFiles: readonly string[],
): Promise<UploaderState> {
  const temp = actionTemp(sys);
  const keyFile =
    push.signingKey === undefined ? undefined : await writeSigningKey(sys, push.signingKey.secret);
  const log = `${temp}/uploader.log`;
  const record = `${temp}/uploader.record`;
  await writeFile(record, '', { mode: 0o644 });
  const spec: UploaderSpec = {
    version: UPLOADER_SPEC_VERSION,
    queue,
    url: pushUrl(cache, push, keyFile),
    env: cacheEnv(sys, cache),
    exclude: push.filters.exclude?.source,
    include: push.filters.include?.source,
    derivations: push.filters.derivations,
    upstream: push.upstream.map((u) => u.url),
    netrcFiles,
    jobs: push.jobs,
    logFile: log,
    recordFile: record,
    lifeline: log,
    readyFd: READY_FD,
  };
  const pid = await startDetached({
    what: 'the during-build uploader',
    node: process.execPath,
    script: join(dirname(fileURLToPath(import.meta.url)), '..', 'upload', 'index.js'),
    spec,
    logFile: log,
    env: uploaderEnv(sys.env),
  });
  core.info(`Paths the daemon builds are pushed while the job runs (uploader pid ${pid}).`);
  return { pid, log, record, queue };
}

/**
 * Stops the uploader (its current copy is cut; post pushes what is missing) and reads what it pushed.
 * The queue goes too: the hook, which stays configured where the configuration is not restored, then
 * queues nothing more.
 */
export async function stopUploader(uploader: UploaderState, files: OwnedFiles): Promise<RecordedPush[]> {
  const result = await stopDetached(uploader.pid, 'upload', { timeoutMs: 10_000 });
  await files.remove('root', uploader.queue).catch((error: unknown) => {
    core.warning(`Could not remove the post-build hook's queue ${uploader.queue}: ${errorMessage(error)}`);
  });
  const text = await readFile(uploader.log, 'utf8').catch(() => '');
  core.info(`During-build uploader ${result}.${text === '' ? '' : ` Its log:\n${text.trimEnd()}`}`);
  return parseRecord(await readFile(uploader.record, 'utf8').catch(() => ''));
}
