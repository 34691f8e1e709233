// jest globalTeardown of the e2e project: takes the test bed down only if this run brought it up,
// and not when NCA_TESTBED_KEEP is set (to look around after a run).

/** Set by global-setup.ts when this jest run brought the test bed up. */
const STARTED_BY_RUN = 'NCA_TESTBED_STARTED_BY_RUN';

export default async function globalTeardown(): Promise<void> {
  if (process.env[STARTED_BY_RUN] !== '1') return;
  if (process.env.NCA_TESTBED_KEEP) {
    console.log('\ntestbed: kept up (NCA_TESTBED_KEEP is set); take it down with testbed.sh down');
    return;
  }
  // Loaded by Node itself, like global-setup.ts: hence the import of the `.ts` file by URL.
  const { testbed } = (await import(
    new URL('./run-as.ts', import.meta.url).href
  )) as typeof import('./run-as.js');
  await testbed('down');
}
