#!/usr/bin/env node
// The last line of `npm test`: every jest layer's counts, from the JSON results each run wrote, as one
// plain `tests: N passed, N failed, N skipped` line. Fails when a layer wrote no results or ran none.
import { existsSync, readFileSync } from 'node:fs';

const layers = ['unit', 'e2e'];
let passed = 0;
let failed = 0;
let skipped = 0;
for (const layer of layers) {
  const file = `.jest-results/${layer}.json`;
  if (!existsSync(file)) {
    console.error(`${file} is missing: the ${layer} tests did not run.`);
    process.exit(1);
  }
  const r = JSON.parse(readFileSync(file, 'utf8'));
  const layerSkipped = r.numPendingTests + r.numTodoTests;
  console.log(`${layer}: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${layerSkipped} skipped`);
  if (r.numPassedTests === 0) {
    console.error(`The ${layer} layer passed no test.`);
    process.exit(1);
  }
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  skipped += layerSkipped;
}
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 ? 1 : 0);
