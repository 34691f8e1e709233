/** The main step: detect the Nix environment, log in, configure client and daemon, save what post needs. */
import * as core from '@actions/core';
import { ownedFiles } from '../config/files.js';
import { readInputs } from '../inputs.js';
import { detectEnvironment } from '../nix/detect.js';
import { environmentOutputs, environmentRows } from '../report/environment.js';
import { logRows, writeSummaryTable } from '../report/summary.js';
import { type ConfigState, type LoginState, type PushState, saveState } from '../state.js';
import { privilegedFor } from '../system/privileged.js';
import { realSystem } from '../system/real.js';
import { errorMessage } from '../util/errors.js';
import { configureStage, rootHelper } from './configure.js';
import { loginStage } from './login.js';
import { maskSigningKey, pushAfterLogin, snapshotStore } from './push-prepare.js';
import { startUploader } from './push-uploader.js';
import { renewalSpec, startRenewal } from './renewal.js';

/** Inputs that hold secrets: masked before anything can print them. */
const SECRET_INPUTS = new Set(['token', 'signing-key']);

export async function run(): Promise<void> {
  try {
    const startedAt = new Date().toISOString();
    const inputs = readInputs((name) => {
      const value = core.getInput(name);
      if (SECRET_INPUTS.has(name) && value !== '') core.setSecret(value);
      return value;
    });
    maskSigningKey(inputs.push);
    const sys = realSystem();
    let push: PushState = await snapshotStore(sys, inputs.push, inputs.cache);
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
      saveState(core, { startedAt, environment, login, push, ...(config ? { config } : {}) });
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
    push = pushAfterLogin(push, loggedIn.decision, loggedIn.cache);
    save();
    const signingKey = inputs.push.signingKey?.publicKey;
    const configured = await core.group('Configure Nix', () =>
      configureStage(
        sys,
        access,
        {
          ...inputs,
          // No hook when post will not push (pull-only mode, push off).
          push: { ...inputs.push, enabled: push.skip === undefined },
          cache: loggedIn.cache,
          token: loggedIn.password,
          // The signing key's public half stands in for `public-keys`: what this job pushes, Nix accepts.
          publicKeys:
            signingKey === undefined || inputs.publicKeys.includes(signingKey)
              ? inputs.publicKeys
              : [...inputs.publicKeys, signingKey],
        },
        environment,
        (c) => {
          config = c;
          save();
        },
      ),
    );
    const refresher = await startRenewal(sys, loggedIn, configured, environment);
    if (refresher) {
      // Post renews once more right before the push (the spec names files, never a secret).
      const renewal = renewalSpec(loggedIn, configured);
      login = { ...login, refresher, ...(renewal ? { renewal } : {}) };
      save();
    }

    const hook = configured?.plan.postBuildHook;
    if (hook !== undefined && push.cache !== undefined) {
      // The uploader runs as the job's user: its own copy first (root's cannot be read without sudo).
      const netrcFiles = (configured?.state.credentials ?? [])
        .filter((c) => c.kind !== 'aws-profile')
        .sort((a, b) => Number(a.owner === 'root') - Number(b.owner === 'root'))
        .map((c) => c.path);
      const uploader = await startUploader(sys, inputs.push, push.cache, hook.queue, netrcFiles);
      push = { ...push, uploader };
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
