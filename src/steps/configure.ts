/** The configuration stage of main: from inputs and the detected environment to a configured Nix. */
import * as core from '@actions/core';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Configured, configureNix } from '../config/apply.js';
import type { OwnedFiles } from '../config/files.js';
import { dirOf } from '../config/plan-types.js';
import type { PlanInputs } from '../config/plan.js';
import { HOOK_QUEUE, hookScriptPath } from '../push/hook.js';
import type { Inputs, Tristate } from '../inputs.js';
import type { NixEnvironment } from '../nix/environment.js';
import type { ConfigState } from '../state.js';
import type { Privileged } from '../system/privileged.js';
import type { System } from '../system/types.js';
import { actionTemp } from './paths.js';
import { logRows } from '../report/summary.js';

const resolve = (value: Tristate, auto: boolean): boolean => (value === 'auto' ? auto : value === 'true');

/** The root helper bundle beside this one (dist/root/index.js next to dist/main/index.js). */
export const rootHelper = (): { node: string; script: string } => ({
  node: process.execPath,
  // Built from the bundle's own folder: `new URL(…, import.meta.url)` would make the bundler copy an asset.
  script: join(dirname(fileURLToPath(import.meta.url)), '..', 'root', 'index.js'),
});

/** The plan's inputs, or undefined when the inputs ask for nothing to configure. */
export function planInputs(
  sys: System,
  inputs: Inputs,
  env: NixEnvironment,
  managed: boolean,
): PlanInputs | undefined {
  const hosted = env.runner.kind === 'github-hosted';
  // The planner leaves out what is already so (root, a user the daemon trusts already).
  const trustedUser = resolve(inputs.trustedUser, hosted);
  const wanted =
    inputs.cache !== undefined ||
    inputs.extraSubstituters.length > 0 ||
    inputs.publicKeys.length > 0 ||
    inputs.token !== undefined ||
    trustedUser ||
    inputs.acceptFlakeConfig;
  if (!wanted) return undefined;
  const home = sys.host.home;
  return {
    ...(inputs.cache ? { cache: inputs.cache } : {}),
    extraSubstituters: inputs.extraSubstituters,
    publicKeys: inputs.publicKeys,
    ...(inputs.token ? { token: inputs.token } : {}),
    trustedUser,
    acceptFlakeConfig: inputs.acceptFlakeConfig,
    environment: env,
    user: env.privilege.user,
    home,
    globalConfManaged: managed,
    rootNetrcPath: `${dirOf(env.config.globalFile)}/nix-cache-action/netrc`,
    userNetrcPath: `${actionTemp(sys)}/netrc`,
    ...(inputs.push.enabled && inputs.push.duringBuild && inputs.cache !== undefined
      ? {
          postBuildHook: {
            script: hookScriptPath(dirOf(env.config.globalFile)),
            queue: HOOK_QUEUE,
          },
        }
      : {}),
  };
}

/** Runs the configuration; `record` persists the undo record before any file is written. */
export async function configureStage(
  sys: System,
  access: { readonly root: Privileged | undefined; readonly files: OwnedFiles },
  inputs: Inputs,
  env: NixEnvironment,
  record: (state: ConfigState) => void,
): Promise<Configured | undefined> {
  const { root, files } = access;
  const stat = await files.stat(root ? 'root' : 'user', env.config.globalFile).catch(() => undefined);
  const target = stat?.symlinkTarget;
  const managed = target !== undefined && /^\/(nix\/store|etc\/static)\//.test(target);
  const plan = planInputs(sys, inputs, env, managed);
  if (plan === undefined) {
    core.info('No cache, key, token or trust setting given: the Nix configuration is left as it is.');
    return undefined;
  }
  const restore = resolve(inputs.restoreConfig, env.runner.kind === 'self-hosted');
  // Copies of what is replaced, 0600, beside our other files: root's in the configuration directory,
  // the user's in RUNNER_TEMP (emptied by the runner after the job).
  const backupDir = {
    root: `${dirOf(env.config.globalFile)}/nix-cache-action/backup`,
    user: `${actionTemp(sys)}/backup`,
  };
  const configured = await configureNix({ sys, root, files, record, backupDir }, plan, restore);
  logRows(configured.plan.summary);
  for (const w of configured.plan.writes) {
    core.info(
      `wrote ${w.path} (${w.role}, ${w.owner === 'root' ? 'root' : env.privilege.user}, ${w.mode.toString(8)})`,
    );
  }
  for (const note of configured.plan.notes) core.info(note);
  // One annotation: what the daemon goes without, why, and how to fix it.
  if (configured.plan.warnings.length > 0) core.warning(configured.plan.warnings.join('\n'));
  const s = configured.state;
  core.info(
    `Daemon ${s.daemonRestarted ? `restarted (pid ${configured.daemon.pid ?? '?'})` : 'not restarted'}; ` +
      `post will ${s.restore ? 'restore the configuration and ' : ''}remove the credentials.`,
  );
  return configured;
}
