/**
 * What Nix needs to use the AWS session, for both of its readers: the store URL names the action's
 * profile (Nix ≤ 2.32 then reads the profile and ignores AWS_* variables, nix #5525; ≥ 2.33 re-reads the
 * profile files on every request), and `nix copy` runs as the job's user with the environment pointing at
 * that user's copy of the files. Only paths travel on the command line and in the environment.
 */
import * as path from 'node:path';
import { NIX_COMMAND_FLAGS } from '../../nix/detect/nix-cli.js';
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

export interface NixCopyRequest {
  /** The s3:// store URL as configured (the profile is added here). */
  readonly storeUrl: string;
  /** Absolute store paths to push. */
  readonly paths: readonly string[];
  /** The job user's credentials and config files (absolute paths). */
  readonly credentialsFile: string;
  readonly configFile: string;
}

export interface NixCopyInvocation {
  readonly command: 'nix';
  readonly args: string[];
  /** Variables to add to the job's environment for this command: file paths and the profile name only. */
  readonly env: Record<string, string>;
}

/** `nix copy --to <store with profile> <paths…>` and the environment that points the AWS chain at the files. */
export function nixCopyInvocation(request: NixCopyRequest): NixCopyInvocation {
  for (const [what, file] of [
    ['credentials file', request.credentialsFile],
    ['config file', request.configFile],
  ] as const) {
    if (!path.isAbsolute(file) || /[\0\n]/u.test(file))
      throw new Error(`the AWS ${what} path must be absolute`);
  }
  if (request.paths.length === 0) throw new Error('nix copy needs at least one store path');
  for (const p of request.paths) {
    if (!path.isAbsolute(p) || /[\0\n]/u.test(p))
      throw new Error(`not an absolute store path: ${JSON.stringify(p)}`);
  }
  return {
    command: 'nix',
    args: [...NIX_COMMAND_FLAGS, 'copy', '--to', storeUrlWithProfile(request.storeUrl), ...request.paths],
    env: {
      AWS_SHARED_CREDENTIALS_FILE: request.credentialsFile,
      AWS_CONFIG_FILE: request.configFile,
      AWS_PROFILE: AWS_PROFILE_NAME,
    },
  };
}
