import { describe, expect, it } from '@jest/globals';
import { uploaderEnv } from '../../../src/steps/push-uploader.js';
import { definedEnv } from '../../../src/util/env.js';

describe('definedEnv', () => {
  it('leaves out unset variables, and those the pattern names', () => {
    const env = { PATH: '/bin', EMPTY: '', UNSET: undefined, INPUT_TOKEN: 's3cr3t' };
    expect(definedEnv(env)).toEqual({ PATH: '/bin', EMPTY: '', INPUT_TOKEN: 's3cr3t' });
    expect(definedEnv(env, /^INPUT_/u)).toEqual({ PATH: '/bin', EMPTY: '' });
  });
});

describe('uploaderEnv: what the detached uploader inherits', () => {
  it('keeps the job’s environment but no input and no token of the job', () => {
    const env = uploaderEnv({
      PATH: '/usr/bin',
      HOME: '/home/runner',
      RUNNER_TEMP: '/tmp/r',
      INPUT_SIGNING_KEY: 'cache-1:secret',
      INPUT_TOKEN: 'tok',
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'oidc',
      ACTIONS_ID_TOKEN_REQUEST_URL: 'https://token.example',
      ACTIONS_RUNTIME_TOKEN: 'rt',
      GITHUB_TOKEN: 'gh',
      ACTIONS_RESULTS_URL: 'https://results.example',
      GITHUB_TOKEN_EXTRA: 'kept: not the token',
    });
    expect(env).toEqual({
      PATH: '/usr/bin',
      HOME: '/home/runner',
      RUNNER_TEMP: '/tmp/r',
      GITHUB_TOKEN_EXTRA: 'kept: not the token',
    });
  });
});
