// .ci/validate.mjs on the real tree and on temporary copies with one thing broken: every broken copy must be
// rejected with the validator's message for that file, and the unbroken copy must pass (so a rejection comes
// from the breakage, not from the copy).
import { afterAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';

const root = fileURLToPath(new URL('../..', import.meta.url));
const script = join(root, '.ci', 'validate.mjs');
const temps: string[] = [];

afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

interface Run {
  status: number | null;
  out: string;
}

function validate(dir: string): Run {
  const r = spawnSync(process.execPath, [script, dir], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/** A copy of action.yml and .github/, with stand-ins for the bundles action.yml names. */
function copyTree(): string {
  const dir = mkdtempSync(join(tmpdir(), 'nca-validate-'));
  temps.push(dir);
  cpSync(join(root, 'action.yml'), join(dir, 'action.yml'));
  cpSync(join(root, '.github'), join(dir, '.github'), { recursive: true });
  const action = parseDocument(readFileSync(join(root, 'action.yml'), 'utf8')).toJS() as {
    runs: Record<string, unknown>;
  };
  for (const key of ['pre', 'main', 'post']) {
    const file = action.runs[key];
    if (typeof file !== 'string') continue;
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), '');
  }
  return dir;
}

function editAction(dir: string, edit: (doc: ReturnType<typeof parseDocument>) => void): void {
  const file = join(dir, 'action.yml');
  const doc = parseDocument(readFileSync(file, 'utf8'));
  edit(doc);
  writeFileSync(file, String(doc));
}

function addWorkflow(dir: string, name: string, text: string): void {
  writeFileSync(join(dir, '.github', 'workflows', name), text);
}

const job = (steps: string): string =>
  `name: t\non: push\njobs:\n  t:\n    runs-on: ubuntu-24.04\n    steps:\n${steps}`;

describe('.ci/validate.mjs', () => {
  it('passes the real tree, one line per file', () => {
    const r = validate(root);
    expect(r.out).toMatch(/^ok +action\.yml: action/m);
    expect(r.out).toMatch(/^ok +\.github\/workflows\/ci\.yml: workflow/m);
    expect(r.out).not.toMatch(/^FAIL/m);
    expect(r.status).toBe(0);
  });

  it('passes an unbroken copy of the tree', () => {
    const r = validate(copyTree());
    expect(r.out).toMatch(/files valid/);
    expect(r.status).toBe(0);
  });

  it('rejects an action.yml with an unknown runtime', () => {
    const dir = copyTree();
    editAction(dir, (doc) => {
      doc.setIn(['runs', 'using'], 'node99');
    });
    const r = validate(dir);
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/^FAIL +action\.yml/m);
    expect(r.out).toMatch(/\/runs\/using: Enum conditions are not met/);
  });

  it('still checks the rest of a node24 action.yml against the schema', () => {
    const dir = copyTree();
    editAction(dir, (doc) => {
      doc.setIn(['runs', 'using'], 'node24');
      doc.delete('description');
    });
    const r = validate(dir);
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/^FAIL +action\.yml/m);
    expect(r.out).toMatch(/\/description: This property is required/);
  });

  it('rejects an action.yml whose runs.post file does not exist', () => {
    const dir = copyTree();
    editAction(dir, (doc) => {
      doc.setIn(['runs', 'post'], 'dist/missing/index.js');
    });
    const r = validate(dir);
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/runs\.post: dist\/missing\/index\.js does not exist/);
  });

  it('rejects a workflow that breaks the schema, and names the file and line', () => {
    const dir = copyTree();
    addWorkflow(
      dir,
      'broken.yml',
      job('      - run: "true"\n').replace('runs-on:', 'timeout-minutez: 5\n    runs-on:'),
    );
    const r = validate(dir);
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/^ok +\.github\/workflows\/ci\.yml/m);
    expect(r.out).toMatch(/^FAIL +\.github\/workflows\/broken\.yml/m);
    expect(r.out).toMatch(/line 4: \/jobs\/t: .*Additional property 'timeout-minutez' is not allowed/s);
  });

  it('rejects a workflow that is not YAML', () => {
    const dir = copyTree();
    addWorkflow(dir, 'syntax.yaml', 'on: [push\njobs: {}\n');
    const r = validate(dir);
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/^FAIL +\.github\/workflows\/syntax\.yaml/m);
    expect(r.out).toMatch(/Parse Error/);
  });

  it('rejects actions pinned to a branch, and accepts tags, SHAs and local actions', () => {
    const dir = copyTree();
    addWorkflow(
      dir,
      'pinned.yml',
      job(
        [
          '      - uses: actions/checkout@v5',
          '      - uses: actions/setup-node@v5.0.1',
          '      - uses: actions/cache/restore@0400d5f644dc74513175e3cd8d07132dd4860809',
          '      - uses: docker://alpine:3.22',
          '      - uses: ./',
          '',
        ].join('\n'),
      ),
    );
    addWorkflow(
      dir,
      'branch.yml',
      job('      - uses: actions/checkout@main\n      - uses: cachix/install-nix-action@releases/v31\n'),
    );
    const r = validate(dir);
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/^ok +\.github\/workflows\/pinned\.yml/m);
    expect(r.out).toMatch(/^FAIL +\.github\/workflows\/branch\.yml/m);
    expect(r.out).toMatch(/line 7: jobs\.t\.steps\[0\]: `uses: actions\/checkout@main` is not pinned/);
    expect(r.out).toMatch(/steps\[1\]: `uses: cachix\/install-nix-action@releases\/v31` is not pinned/);
  });

  it('rejects a local action that does not exist', () => {
    const dir = copyTree();
    addWorkflow(dir, 'local.yml', job('      - uses: ./actions/nowhere\n'));
    const r = validate(dir);
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/`uses: \.\/actions\/nowhere`: no action\.yml there/);
  });

  it('fails when there is no workflow to validate', () => {
    const dir = copyTree();
    rmSync(join(dir, '.github', 'workflows'), { recursive: true });
    mkdirSync(join(dir, '.github', 'workflows'));
    const r = validate(dir);
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/nothing to validate/);
  });

  it('fails when action.yml is missing', () => {
    const dir = copyTree();
    unlinkSync(join(dir, 'action.yml'));
    const r = validate(dir);
    expect(r.status).toBe(1);
    expect(r.out).toMatch(/^FAIL +action\.yml: action\n +missing/m);
  });
});
