// Every end-to-end test: two minutes at most, and a test bed in its own known state when it starts
// (a job on a "hosted" runner leaves its configuration in place on purpose, as GitHub-hosted runners are
// discarded after the job; `testbed.sh up` puts the test configuration back and clears the leftovers).
// Jest reads `testTimeout` only from the top-level configuration, not from a project's.
import { beforeEach, jest } from '@jest/globals';
import { testbed } from './run-as.js';

jest.setTimeout(120_000);

beforeEach(async () => {
  if (process.env['NCA_E2E_SKIP'] === undefined) await testbed('up');
});
