/** The main step: detect the Nix environment, report it, and save what post needs. */
import * as core from '@actions/core';
import { readInputs } from '../inputs.js';
import { detectEnvironment } from '../nix/detect.js';
import { environmentOutputs, environmentRows } from '../report/environment.js';
import { logRows, writeSummaryTable } from '../report/summary.js';
import { saveState } from '../state.js';
import { realSystem } from '../system/real.js';
import { errorMessage } from '../util/errors.js';

export async function run(): Promise<void> {
  try {
    const startedAt = new Date().toISOString();
    const inputs = readInputs((name) => core.getInput(name));
    const environment = await core.group('Detect the Nix environment', async () => {
      const env = await detectEnvironment(realSystem());
      logRows(environmentRows(env));
      return env;
    });
    for (const [name, value] of Object.entries(environmentOutputs(environment))) core.setOutput(name, value);
    saveState(core, { startedAt, environment });
    if (inputs.jobSummary) await writeSummaryTable('Nix environment', environmentRows(environment));
  } catch (error: unknown) {
    core.setFailed(errorMessage(error));
  }
}
