/**
 * What Nix needs to use the AWS session, for both of its readers: the store URL names the action's
 * profile (Nix ≤ 2.32 then reads the profile and ignores AWS_* variables, nix #5525; ≥ 2.33 re-reads the
 * profile files on every request), and `nix copy` runs as the job's user with the environment pointing at
 * that user's copy of the files. Only paths travel on the command line and in the environment.
 */
import * as path from 'node:path';
import { ActionError } from '../../util/errors.js';
import { AWS_PROFILE_NAME } from './files.js';

/** `s3://bucket?…` with `profile=nix-cache-action` in its query; other parameters kept as written. */
export function storeUrlWithProfile(url: string): string {
  const m = /^(s3:\/\/[^?#]+)(?:\?([^#]*))?$/iu.exec(url);
  if (m === null) throw new ActionError(`Only an s3:// store URL can name an AWS profile; this one is not.`);
  const [, base = '', query = ''] = m;
  const params = query.split('&').filter((p) => p !== '');
  const profiles = params.filter((p) => /^profile=/u.test(p));
  if (profiles.some((p) => p !== `profile=${AWS_PROFILE_NAME}`)) {
    throw new ActionError(
      `The s3:// store URL names another AWS profile, but the role's session is in the profile '${AWS_PROFILE_NAME}': remove the 'profile' parameter from the URL.`,
    );
  }
  if (profiles.length === 1) return url;
  const kept = params.filter((p) => !/^profile=/u.test(p));
  return `${base}?${[...kept, `profile=${AWS_PROFILE_NAME}`].join('&')}`;
}

/** Whether an s3:// store URL names the action's profile (the cache's session is ours, from login). */
export function namesActionProfile(url: string): boolean {
  const m = /^s3:\/\/[^?#]+\?([^#]*)$/iu.exec(url);
  return m?.[1]?.split('&').includes(`profile=${AWS_PROFILE_NAME}`) === true;
}

/**
 * The environment `nix copy` (run as the job's user) gets for an s3:// cache: where the job user's copy
 * of the AWS files is, and the profile's name. Only paths and a name: never a secret.
 */
export function s3CopyEnv(files: {
  readonly credentials: string;
  readonly config: string;
}): Record<string, string> {
  for (const [what, file] of [
    ['credentials file', files.credentials],
    ['config file', files.config],
  ] as const) {
    if (!path.isAbsolute(file) || /[\0\n]/u.test(file))
      throw new Error(`the AWS ${what} path must be absolute`);
  }
  return {
    AWS_SHARED_CREDENTIALS_FILE: files.credentials,
    AWS_CONFIG_FILE: files.config,
    AWS_PROFILE: AWS_PROFILE_NAME,
  };
}
