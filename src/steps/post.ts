/** The post step: runs after the job's steps (always, see action.yml), from what main saved. */
import * as core from '@actions/core';
import { type OwnedFiles, ownedFiles } from '../config/files.js';
import { removeCredentials, restoreBackups } from '../config/restore.js';
import { restartDaemon } from '../daemon/restart.js';
import { readInputs } from '../inputs.js';
import { probeDaemon } from '../nix/detect/manager.js';
import { describeDaemon, describeNix } from '../report/environment.js';
import { type MainState, loadState } from '../state.js';
import { type Privileged, privilegedFor } from '../system/privileged.js';
import type { System } from '../system/types.js';
import { realSystem } from '../system/real.js';
import { errorMessage } from '../util/errors.js';
import { rootHelper } from './configure.js';
import { runPush } from './push.js';
import { stopRenewal } from './renewal.js';

export async function run(): Promise<void> {
  try {
    const state = loadState(core);
    if (state === undefined) {
      core.info('The main step saved no state (it failed early or did not run): nothing to do.');
      return;
    }
    await core.group('Nix environment (from the main step)', () => {
      const env = state.environment;
      core.info(`${describeNix(env)}, store mode ${env.store.mode}, daemon: ${describeDaemon(env.daemon)}`);
      core.info(`Main step started at ${state.startedAt}.`);
      return Promise.resolve();
    });
    const sys = realSystem();
    const root = privilegedFor(sys, state.environment.privilege, rootHelper());
    const access = { sys, root, files: ownedFiles(root) };
    if (state.push) {
      try {
        // Main validated the same inputs; post reads them again (GitHub gives post the same INPUT_*).
        const inputs = readInputs((name) => core.getInput(name));
        await runPush(sys, state, inputs, access.files);
      } catch (error: unknown) {
        // The credentials are removed below whatever happened to the push.
        core.warning(`Push to the cache: ${errorMessage(error)}`);
      }
    }
    if (state.login || state.config) {
      await core.group('Remove credentials and restore the Nix configuration', () => undo(state, access));
    }
  } catch (error: unknown) {
    core.setFailed(errorMessage(error));
  }
}

async function undo(
  state: MainState,
  { sys, root, files }: { sys: System; root: Privileged | undefined; files: OwnedFiles },
): Promise<void> {
  const env = state.environment;
  if (state.login) {
    // The refresher first, so that it does not write a credential again after it is removed.
    if (state.login.refresher) await stopRenewal(state.login.refresher);
    await removeCredentials(files, state.login.credentials);
    if (state.login.credentials.length > 0)
      core.info(`Removed ${state.login.credentials.length} login credential file(s).`);
  }
  const config = state.config;
  if (config === undefined) return;
  if (!config.restore) {
    await removeCredentials(files, config.credentials);
    core.info(
      `Removed ${config.credentials.length} credential file(s); configuration left as it is (hosted runner).`,
    );
    return;
  }
  await restoreBackups(files, config.backups, config.credentials);
  core.info(
    `Restored ${config.backups.length} file(s) byte for byte and removed ${config.credentials.length} credential file(s).`,
  );
  if (config.daemonRestarted && root) {
    // Main restarted the daemon since it was detected: find it as it runs now (main's record if it is down).
    const now = await probeDaemon(sys);
    const daemon = await restartDaemon(
      { sys, root },
      now.manager === 'none' ? env.daemon : now,
      env.store.socket,
    );
    core.info(`Daemon restarted with the restored configuration (${describeDaemon(daemon)}).`);
  }
}
