// jest globalSetup of the e2e project: brings the real-Nix test bed up (as root), or explains why
// the e2e tests are skipped (not root, outside CI). In CI they must run: not being root is an error.

/** Set when this jest run brought the test bed up, so that global-teardown.ts takes it down again. */
const STARTED_BY_RUN = 'NCA_TESTBED_STARTED_BY_RUN';

export default async function globalSetup(): Promise<void> {
  if (process.getuid?.() !== 0) {
    const reason =
      'the e2e tests drive a real nix-daemon and create users, so they need root ' +
      '(run them with sudo, e.g. `sudo -E npm run test:e2e`)';
    if (process.env.CI) throw new Error(`${reason}; CI is set, where they must run, never skip`);
    process.env.NCA_E2E_SKIP = reason;
    return;
  }
  // jest loads this file with Node's own TypeScript support, outside its module system: the `.js`
  // mapping of the test files does not apply here, hence the import of the `.ts` file by URL.
  const { testbed } = (await import(
    new URL('./run-as.ts', import.meta.url).href
  )) as typeof import('./run-as.js');
  const before = await testbed('status');
  const up = await testbed('up');
  if (before.code !== 0) process.env[STARTED_BY_RUN] = '1';
  console.log(`\n${up.stderr.trim().split('\n').pop() ?? ''}`);
}
