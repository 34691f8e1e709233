/** The main step: detect the Nix environment, log in, configure client and daemon, save what post needs. */
import * as core from '@actions/core';
import { ownedFiles } from '../config/files.js';
import { readInputs } from '../inputs.js';
import { detectEnvironment } from '../nix/detect.js';
import { environmentOutputs, environmentRows } from '../report/environment.js';
import { logRows, writeSummaryTable } from '../report/summary.js';
import { type ConfigState, type LoginState, saveState } from '../state.js';
import { privilegedFor } from '../system/privileged.js';
import { realSystem } from '../system/real.js';
import { errorMessage } from '../util/errors.js';
import { configureStage, rootHelper } from './configure.js';
import { loginStage } from './login.js';
import { startRenewal } from './renewal.js';

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

    // What post must undo is saved before it is done, so a main step that dies half-way is undone too.
    let login: LoginState = { credentials: [] };
    let config: ConfigState | undefined;
    const save = (): void => {
      saveState(core, { startedAt, environment, login, ...(config ? { config } : {}) });
    };
    save();
    const root = privilegedFor(sys, environment.privilege, rootHelper());
    const access = { root, files: ownedFiles(root) };

    const loggedIn = await core.group('Log in', async () => {
      const result = await loginStage(sys, inputs, environment, access.files, (credentials) => {
        login = { ...login, credentials };
        save();
      });
      logRows(result.rows);
      return result;
    });
    const configured = await core.group('Configure Nix', () =>
      configureStage(
        sys,
        access,
        { ...inputs, cache: loggedIn.cache, token: loggedIn.password },
        environment,
        (c) => {
          config = c;
          save();
        },
      ),
    );
    const refresher = await startRenewal(sys, loggedIn, configured, environment);
    if (refresher) {
      login = { ...login, refresher };
      save();
    }

    if (inputs.jobSummary) {
      // One table for the job summary: the environment, the login and what was configured.
      const rows = [...environmentRows(environment), ...loggedIn.rows, ...(configured?.plan.summary ?? [])];
      await writeSummaryTable('Nix cache', rows);
    }
  } catch (error: unknown) {
    core.setFailed(errorMessage(error));
  }
}
