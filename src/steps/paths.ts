/** Where the action keeps its own files for the job: RUNNER_TEMP (emptied by the runner after the job). */
import type { System } from '../system/types.js';

export function actionTemp(sys: System): string {
  return `${sys.env['RUNNER_TEMP'] ?? `${sys.host.home}/.cache`}/nix-cache-action`;
}

/**
 * The push's own narinfo disk cache (its XDG_CACHE_HOME). Nix remembers a cache's "present" answers
 * for 30 days in `~/.cache/nix`; on a self-hosted runner that outlives a cache emptied since, and a
 * `nix copy` trusting it skips what the cache lost. Fresh for each job, removed by post.
 */
export function pushCacheHome(sys: System): string {
  return `${actionTemp(sys)}/push/xdg-cache`;
}

/** Where an AWS session's shared files are. */
export interface AwsFiles {
  readonly credentials: string;
  readonly config: string;
}

/** Root's and the job user's AWS shared files. */
export function awsFilePaths(sys: System): { root: AwsFiles; user: AwsFiles } {
  const rootHome = sys.host.platform === 'darwin' ? '/var/root' : '/root';
  const temp = actionTemp(sys);
  return {
    // The daemon runs as root and reads root's own AWS files (the profile is named in the store URL).
    root: { credentials: `${rootHome}/.aws/credentials`, config: `${rootHome}/.aws/config` },
    // The job user's copy, for `nix copy` run as that user (its environment names these paths).
    user: {
      credentials: `${temp}/aws/credentials`,
      config: `${temp}/aws/config`,
    },
  };
}
