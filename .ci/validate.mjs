#!/usr/bin/env node
// Validates the action metadata and the workflows of a repository tree:
//   node .ci/validate.mjs [DIR] [--json]
// DIR defaults to the repository this script lives in. Checked:
//   - action.yml (or action.yaml) against the action schema, every file in .github/workflows/ against the
//     workflow schema, with @action-validator/core (the JSON schemas of SchemaStore, compiled to WASM);
//   - what the schemas cannot see: every `uses:` is a local path or pinned to a version tag or a full commit
//     SHA (never a branch), local `uses: ./x` targets exist, `runs.pre`/`runs.main`/`runs.post` exist;
//   - .github/dependabot.yml, when present, for the few fields Dependabot needs (no schema in the validator).
// Prints one line per file; exits 1 when any file fails (with the validator's errors and YAML line numbers),
// 2 when the validator itself cannot be loaded or does not reject a known-bad document.
// `--json` also prints the validator's raw results to stderr.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LineCounter, parseDocument, isMap, isSeq, isScalar, isPair } from 'yaml';

const args = process.argv.slice(2);
const json = args.includes('--json');
const positional = args.filter((a) => !a.startsWith('--'));
if (positional.length > 1 || args.some((a) => a.startsWith('--') && a !== '--json')) {
  console.error('usage: node .ci/validate.mjs [DIR] [--json]');
  process.exit(2);
}
const root = resolve(positional[0] ?? join(dirname(fileURLToPath(import.meta.url)), '..'));

// The newest `runs.using` the bundled schema knows, and runtimes GitHub runs that the schema predates.
// @action-validator/core 0.6.0 (the newest release) enumerates node12/node16/node20 only, while GitHub
// runners also run node24 actions (actions/runner#3940). Such a file is validated a second time with `using` set to the newest
// known runtime, so that every other field is still checked against the schema.
const SCHEMA_NODE = 'node20';
const NEWER_NODE = new Set(['node24']);

// ---------------------------------------------------------------------------------------------------------
// Loading the validator (npm 11 may skip install scripts; this package has none, but check the WASM anyway).

function loadValidator() {
  const require = createRequire(import.meta.url);
  let entry;
  try {
    entry = require.resolve('@action-validator/core');
  } catch {
    fatal('@action-validator/core is not installed (run `npm ci`).');
  }
  const wasm = join(dirname(entry), 'action_validator_bg.wasm');
  if (!existsSync(wasm)) fatal(`${wasm} is missing: the @action-validator/core install is incomplete.`);
  const magic = readFileSync(wasm).subarray(0, 4);
  if (!magic.equals(Buffer.from([0x00, 0x61, 0x73, 0x6d]))) {
    fatal(`${wasm} is not a WebAssembly module (a Git LFS pointer or a truncated download?).`);
  }
  const validator = require('@action-validator/core');
  if (typeof validator.validateAction !== 'function' || typeof validator.validateWorkflow !== 'function') {
    fatal('@action-validator/core does not export validateAction/validateWorkflow.');
  }
  // A validator that accepts everything would make this script pass silently: prove it rejects and accepts.
  const bad = validator.validateWorkflow('on: push\njobs:\n  a:\n    runs-on: x\n    stepz: []\n');
  const good = validator.validateWorkflow(
    'on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: "true"\n',
  );
  if (
    !Array.isArray(bad?.errors) ||
    bad.errors.length === 0 ||
    !Array.isArray(good?.errors) ||
    good.errors.length
  ) {
    fatal('@action-validator/core self-check failed: it does not tell a broken workflow from a valid one.');
  }
  return validator;
}

function fatal(message) {
  console.error(`validate: ${message}`);
  process.exit(2);
}

// ---------------------------------------------------------------------------------------------------------
// YAML helpers: parse with positions, find the line of a JSON pointer.

function parseYaml(text) {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  return { doc, lineCounter };
}

function lineOf(lineCounter, node) {
  const offset = node?.range?.[0];
  return typeof offset === 'number' ? lineCounter.linePos(offset).line : undefined;
}

/** The line of the deepest node on `pointer` that exists (a missing property points at its parent). */
function lineOfPointer({ doc, lineCounter }, pointer) {
  const tokens = pointer
    .split('/')
    .slice(1)
    .map((t) => t.replaceAll('~1', '/').replaceAll('~0', '~'));
  let node = doc.contents;
  let line = lineOf(lineCounter, node);
  for (const token of tokens) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === token);
      if (!pair) break;
      line = lineOf(lineCounter, pair.key) ?? line;
      node = pair.value;
    } else if (isSeq(node)) {
      const item = node.items[Number(token)];
      if (item === undefined) break;
      line = lineOf(lineCounter, item) ?? line;
      node = item;
    } else break;
  }
  return line;
}

function yamlError({ lineCounter }, error) {
  return `  line ${lineCounter.linePos(error.pos[0]).line}: YAML: ${error.message}`;
}

/** The plain JS value at `path` and the line of that node (undefined when absent). */
function at({ doc, lineCounter }, path) {
  const node = doc.getIn(path, true);
  const value = node === undefined || node === null ? node : isScalar(node) ? node.value : node.toJS(doc);
  return { value, line: lineOf(lineCounter, node) };
}

// ---------------------------------------------------------------------------------------------------------
// Formatting the validator's errors.

/** Lines for a list of validator errors. For one_of/any_of, only the closest alternative is expanded. */
function formatErrors(errors, parsed, indent = '  ') {
  const out = [];
  for (const e of errors) {
    const where = e.location
      ? `line ${e.location.line}`
      : `line ${lineOfPointer(parsed, e.path ?? '') ?? '?'}`;
    const path = e.code === 'parse_error' ? '' : `${e.path || '(top level)'}: `;
    out.push(`${indent}${where}: ${path}${e.title}${e.detail ? ` (${e.detail})` : ''}`);
    if (Array.isArray(e.states) && e.states.length > 0) {
      const closest = [...e.states].sort((a, b) => a.errors.length - b.errors.length)[0];
      out.push(`${indent}  closest of ${e.states.length} alternatives:`);
      out.push(...formatErrors(closest.errors, parsed, `${indent}    `));
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Checks the schema cannot do.

const SHA = /^[0-9a-f]{40}$/;
const VERSION_TAG = /^v?\d+(\.\d+){0,2}([-+][0-9A-Za-z.-]+)?$/;

/** Problems with one `uses:` value, or [] when it is local or pinned. */
function checkUses(uses, dir) {
  if (typeof uses !== 'string' || uses.trim() === '') return ['`uses:` is empty or not a string'];
  if (uses.includes('${{')) return [`\`uses: ${uses}\` contains an expression; pin a literal reference`];
  if (uses.startsWith('./')) {
    const target = join(dir, uses);
    const isWorkflow = /\.ya?ml$/.test(uses);
    const ok = isWorkflow
      ? existsSync(target) && statSync(target).isFile()
      : ['action.yml', 'action.yaml'].some((f) => existsSync(join(target, f)));
    return ok ? [] : [`\`uses: ${uses}\`: no ${isWorkflow ? 'such workflow file' : 'action.yml there'}`];
  }
  if (uses.startsWith('docker://')) {
    const image = uses.slice('docker://'.length);
    if (/@sha256:[0-9a-f]{64}$/.test(image)) return [];
    const tag = /:([^/:@]+)$/.exec(image)?.[1];
    return tag && tag !== 'latest' ? [] : [`\`uses: ${uses}\` is not pinned to an image tag or digest`];
  }
  const m = /^[^/@\s]+\/[^@\s]+@([^@\s]+)$/.exec(uses);
  if (!m) return [`\`uses: ${uses}\` is not OWNER/REPO[/PATH]@REF`];
  const ref = m[1];
  if (SHA.test(ref) || VERSION_TAG.test(ref)) return [];
  return [
    `\`uses: ${uses}\` is not pinned: \`${ref}\` is neither a version tag (v1, v1.2.3) nor a full commit SHA`,
  ];
}

function checkWorkflowUses(parsed, root) {
  const problems = [];
  const jobs = parsed.doc.get('jobs', true);
  if (!isMap(jobs)) return problems;
  for (const pair of jobs.items) {
    const id = String(pair.key?.value);
    const job = at(parsed, ['jobs', id, 'uses']);
    if (job.value !== undefined) {
      for (const p of checkUses(job.value, root)) problems.push(`  line ${job.line}: jobs.${id}: ${p}`);
    }
    const steps = parsed.doc.getIn(['jobs', id, 'steps'], true);
    if (!isSeq(steps)) continue;
    steps.items.forEach((_, i) => {
      const step = at(parsed, ['jobs', id, 'steps', i, 'uses']);
      if (step.value === undefined) return;
      for (const p of checkUses(step.value, root))
        problems.push(`  line ${step.line}: jobs.${id}.steps[${i}]: ${p}`);
    });
  }
  return problems;
}

function checkActionRuns(parsed, actionDir) {
  const problems = [];
  for (const key of ['pre', 'main', 'post']) {
    const { value, line } = at(parsed, ['runs', key]);
    if (value === undefined) continue;
    const file = join(actionDir, String(value));
    if (!existsSync(file) || !statSync(file).isFile()) {
      problems.push(`  line ${line}: runs.${key}: ${value} does not exist (run \`npm run build\`)`);
    }
  }
  const steps = parsed.doc.getIn(['runs', 'steps'], true);
  if (isSeq(steps)) {
    steps.items.forEach((_, i) => {
      const { value, line } = at(parsed, ['runs', 'steps', i, 'uses']);
      if (value === undefined) return;
      for (const p of checkUses(value, actionDir)) problems.push(`  line ${line}: runs.steps[${i}]: ${p}`);
    });
  }
  return problems;
}

const DEPENDABOT_INTERVALS = new Set([
  'daily',
  'weekly',
  'monthly',
  'quarterly',
  'semiannually',
  'yearly',
  'cron',
]);

function checkDependabot(parsed) {
  const problems = [];
  const { value: version, line: versionLine } = at(parsed, ['version']);
  if (version !== 2) problems.push(`  line ${versionLine ?? 1}: version must be 2`);
  const updates = parsed.doc.get('updates', true);
  if (!isSeq(updates) || updates.items.length === 0) {
    problems.push('  updates: must be a non-empty list');
    return problems;
  }
  updates.items.forEach((_, i) => {
    const entry = at(parsed, ['updates', i]);
    const u = entry.value ?? {};
    const where = `  line ${entry.line}: updates[${i}]`;
    if (typeof u['package-ecosystem'] !== 'string') problems.push(`${where}: package-ecosystem is missing`);
    if (typeof u.directory !== 'string' && !Array.isArray(u.directories)) {
      problems.push(`${where}: directory (or directories) is missing`);
    }
    if (!DEPENDABOT_INTERVALS.has(u.schedule?.interval)) {
      problems.push(`${where}: schedule.interval must be one of ${[...DEPENDABOT_INTERVALS].join(', ')}`);
    }
  });
  return problems;
}

// ---------------------------------------------------------------------------------------------------------
// Per-file validation.

function validateFile(validator, file, kind) {
  const text = readFileSync(file, 'utf8');
  const parsed = parseYaml(text);
  const notes = [];
  const schemaRun = (src) =>
    kind === 'action' ? validator.validateAction(src) : validator.validateWorkflow(src);
  let result = schemaRun(text);
  if (json) console.error(JSON.stringify({ file: relative(root, file), result }, null, 2));

  if (kind === 'action' && result.errors.length > 0 && isMap(parsed.doc.contents)) {
    const using = parsed.doc.getIn(['runs', 'using']);
    if (NEWER_NODE.has(using)) {
      const copy = parsed.doc.clone();
      copy.setIn(['runs', 'using'], SCHEMA_NODE);
      // Same layout, so the line numbers of the copy's errors are those of the file.
      result = schemaRun(String(copy));
      notes.push(`runs.using ${using} checked as ${SCHEMA_NODE}: the validator's schema predates ${using}`);
    }
  }

  const problems = formatErrors(result.errors, parsed);
  // YAML errors the validator's parser accepts (a duplicate key, for one) still fail the file.
  if (!result.errors.some((e) => e.code === 'parse_error')) {
    for (const e of parsed.doc.errors) problems.push(yamlError(parsed, e));
  }
  if (parsed.doc.errors.length === 0 && isMap(parsed.doc.contents)) {
    if (kind === 'action') problems.push(...checkActionRuns(parsed, dirname(file)));
    else problems.push(...checkWorkflowUses(parsed, root));
  }
  return { problems, notes };
}

function validateDependabot(file) {
  const parsed = parseYaml(readFileSync(file, 'utf8'));
  if (parsed.doc.errors.length > 0) {
    return {
      problems: parsed.doc.errors.map((e) => yamlError(parsed, e)),
      notes: [],
    };
  }
  return {
    problems: checkDependabot(parsed),
    notes: ['structure only: the validator has no Dependabot schema'],
  };
}

// ---------------------------------------------------------------------------------------------------------

const validator = loadValidator();
const results = [];
const report = (file, kind, { problems, notes }) => {
  const name = relative(root, file) || file;
  const note = notes.length ? ` (${notes.join('; ')})` : '';
  if (problems.length === 0) console.log(`ok    ${name}: ${kind}${note}`);
  else {
    console.log(`FAIL  ${name}: ${kind}${note}`);
    for (const p of problems) console.log(p);
  }
  results.push(problems.length === 0);
};

if (!existsSync(root) || !statSync(root).isDirectory()) fatal(`${root} is not a directory`);

const actions = ['action.yml', 'action.yaml'].map((f) => join(root, f)).filter((f) => existsSync(f));
if (actions.length === 0) report(join(root, 'action.yml'), 'action', { problems: ['  missing'], notes: [] });
if (actions.length > 1) {
  report(root, 'action', { problems: ['  both action.yml and action.yaml exist; keep one'], notes: [] });
}
for (const file of actions) report(file, 'action', validateFile(validator, file, 'action'));

const workflowsDir = join(root, '.github', 'workflows');
const entries = existsSync(workflowsDir) ? readdirSync(workflowsDir).sort() : [];
const workflows = entries.filter((f) => /\.ya?ml$/.test(f));
if (workflows.length === 0) {
  report(workflowsDir, 'workflows', {
    problems: ['  no .yml/.yaml workflow files: nothing to validate'],
    notes: [],
  });
}
for (const name of entries) {
  const file = join(workflowsDir, name);
  if (!statSync(file).isFile()) continue;
  if (!/\.ya?ml$/.test(name)) {
    console.log(`skip  ${relative(root, file)}: not .yml/.yaml, GitHub ignores it`);
    continue;
  }
  report(file, 'workflow', validateFile(validator, file, 'workflow'));
}

for (const name of ['dependabot.yml', 'dependabot.yaml']) {
  const file = join(root, '.github', name);
  if (existsSync(file)) report(file, 'dependabot', validateDependabot(file));
}

const failed = results.filter((ok) => !ok).length;
console.log(
  failed === 0
    ? `validate: ${results.length} files valid.`
    : `validate: ${failed} of ${results.length} files failed.`,
);
process.exit(failed === 0 ? 0 : 1);
