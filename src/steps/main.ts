/** The main step: detect the Nix environment, configure client and daemon, save what post needs. */
import * as core from '@actions/core';
import { readInputs } from '../inputs.js';
import { detectEnvironment } from '../nix/detect.js';
import { environmentOutputs, environmentRows } from '../report/environment.js';
import { logRows, writeSummaryTable } from '../report/summary.js';
import { type ConfigState, saveState } from '../state.js';
import { realSystem } from '../system/real.js';
import { errorMessage } from '../util/errors.js';
import { configureStage } from './configure.js';

/** Inputs that hold secrets: masked before anything can print them. */
const SECRET_INPUTS = new Set(['token']);

export async function run(): Promise<void> {
  try {
    const startedAt = new Date().toISOString();
    const inputs = readInputs((name) => {
      const value = core.getInput(name);
      if (SECRET_INPUTS.has(name) && value !== '') core.setSecret(value);
      return value;
    });
    const sys = realSystem();
    const environment = await core.group('Detect the Nix environment', async () => {
      const env = await detectEnvironment(sys);
      logRows(environmentRows(env));
      return env;
    });
    for (const [name, value] of Object.entries(environmentOutputs(environment))) core.setOutput(name, value);
    saveState(core, { startedAt, environment });
    const record = (config: ConfigState): void => {
      saveState(core, { startedAt, environment, config });
    };
    const configured = await core.group('Configure Nix', () =>
      configureStage(sys, inputs, environment, record),
    );
    if (inputs.jobSummary) {
      await writeSummaryTable('Nix environment', environmentRows(environment));
      if (configured) await writeSummaryTable('Nix configuration', configured.plan.summary);
    }
  } catch (error: unknown) {
    core.setFailed(errorMessage(error));
  }
}
