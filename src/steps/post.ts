/** The post step: runs after the job's steps (always, see action.yml), from what main saved. */
import * as core from '@actions/core';
import { describeDaemon, describeNix } from '../report/environment.js';
import { loadState } from '../state.js';
import { errorMessage } from '../util/errors.js';

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
  } catch (error: unknown) {
    core.setFailed(errorMessage(error));
  }
}
