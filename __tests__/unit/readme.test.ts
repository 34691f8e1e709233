import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../harness/action.js';

const script = join(PROJECT_ROOT, '.ci', 'readme.mjs');
const check = (dir: string) => spawnSync(process.execPath, [script, '--check', dir], { encoding: 'utf8' });

describe('README inputs and outputs', () => {
  it('match action.yml', () => {
    const result = check(PROJECT_ROOT);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('are caught when action.yml gains an input the README does not list', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nca-readme-'));
    try {
      cpSync(join(PROJECT_ROOT, 'README.md'), join(dir, 'README.md'));
      const action = readFileSync(join(PROJECT_ROOT, 'action.yml'), 'utf8');
      writeFileSync(
        join(dir, 'action.yml'),
        action.replace('inputs:\n', 'inputs:\n  extra:\n    description: New.\n'),
      );
      const result = check(dir);
      expect(result.status).toBe(1);
      expect(result.stderr).toMatch(/differ from action.yml/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
