// `describeE2E`: `describe` for the e2e tests, or `describe.skip` (saying why) when global-setup
// decided they cannot run here (not root, outside CI).
import { describe } from '@jest/globals';

const skipReason = process.env.NCA_E2E_SKIP;
if (skipReason) console.warn(`e2e tests skipped: ${skipReason}`);

export const describeE2E: typeof describe.skip = skipReason ? describe.skip : describe;
