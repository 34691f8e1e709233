#!/usr/bin/env node
// Runs the benchmarks: `npm run bench` runs every bench/*.bench.mjs, `npm run bench -- startup` (or
// `startup.bench.mjs`, or a path) only the named ones. A benchmark module exports a default async function
// that receives `{ root, log }` and prints its own tables through `log`.
import { existsSync, readdirSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { machineInfo } from './lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const available = readdirSync(here)
  .filter((f) => f.endsWith('.bench.mjs'))
  .sort();

function pick(name) {
  const candidates = [resolve(name), join(here, name), join(here, `${name}.bench.mjs`)];
  const file = candidates.find((f) => f.endsWith('.bench.mjs') && existsSync(f));
  if (!file) {
    console.error(
      `bench: no benchmark "${name}" (available: ${available.map((f) => f.replace('.bench.mjs', '')).join(', ')})`,
    );
    process.exit(2);
  }
  return file;
}

const names = process.argv.slice(2);
const files = names.length > 0 ? names.map(pick) : available.map((f) => join(here, f));
if (files.length === 0) {
  console.error('bench: no bench/*.bench.mjs files');
  process.exit(2);
}

console.log(`machine: ${machineInfo()}`);
const started = performance.now();
let failed = 0;
for (const file of files) {
  const name = basename(file, '.bench.mjs');
  console.log(`\n== ${name} ==`);
  const t0 = performance.now();
  try {
    const mod = await import(pathToFileURL(file).href);
    if (typeof mod.default !== 'function') throw new Error(`${file} has no default export function`);
    await mod.default({ root, log: (line = '') => console.log(line) });
    console.log(`(${name}: ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  } catch (error) {
    failed++;
    console.error(
      `bench ${name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
  }
}
console.log(
  `\n${files.length - failed} of ${files.length} benchmarks ran in ${((performance.now() - started) / 1000).toFixed(1)} s.`,
);
process.exit(failed === 0 ? 0 : 1);
