#!/usr/bin/env node
// Keeps README.md's inputs and outputs tables in sync with action.yml: the text between
// `<!-- inputs:start -->` and `<!-- inputs:end -->` (and the same for outputs) is generated.
// `node .ci/readme.mjs` rewrites them; `--check` fails when they are out of date. An optional
// directory argument points at another checkout (used by the tests).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { format, resolveConfig } from 'prettier';
import { parse } from 'yaml';

const args = process.argv.slice(2);
const check = args.includes('--check');
const root = args.find((a) => !a.startsWith('--')) ?? new URL('..', import.meta.url).pathname;
const action = parse(readFileSync(join(root, 'action.yml'), 'utf8'));
const readmePath = join(root, 'README.md');
const readme = readFileSync(readmePath, 'utf8');

const cell = (text) =>
  String(text ?? '')
    .trim()
    .replace(/\s*\n\s*/g, ' ')
    .replace(/\|/g, '\\|');
const inputs = [
  '| Input | Default | Description |',
  '| --- | --- | --- |',
  ...Object.entries(action.inputs ?? {}).map(
    ([name, i]) =>
      `| \`${name}\` | ${i.default === undefined || i.default === '' ? '' : `\`${i.default}\``} | ${cell(i.description)} |`,
  ),
].join('\n');
const outputs = [
  '| Output | Description |',
  '| --- | --- |',
  ...Object.entries(action.outputs ?? {}).map(([name, o]) => `| \`${name}\` | ${cell(o.description)} |`),
].join('\n');

function replaceSection(text, name, body) {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  if (a < 0 || b < a) {
    console.error(`README.md: markers ${start} … ${end} not found`);
    process.exit(1);
  }
  return `${text.slice(0, a + start.length)}\n${body}\n${text.slice(b)}`;
}

// Formatted as prettier formats the rest of the repository, so `prettier --check` and this agree.
const options = { ...(await resolveConfig(readmePath)), filepath: readmePath };
const updated = await format(
  replaceSection(replaceSection(readme, 'inputs', inputs), 'outputs', outputs),
  options,
);
if (check) {
  if (updated !== readme) {
    console.error('README.md inputs/outputs tables differ from action.yml: run `node .ci/readme.mjs`.');
    process.exit(1);
  }
  console.log('README.md inputs and outputs match action.yml.');
} else if (updated !== readme) {
  writeFileSync(readmePath, updated);
  console.log('README.md tables updated from action.yml.');
}
