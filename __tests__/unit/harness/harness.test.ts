import { describe, expect, it } from '@jest/globals';
import { evaluateCondition, readAction } from '../../harness/action.js';
import { parseCommandFile } from '../../harness/command-files.js';
import { JobLog } from '../../harness/log.js';

describe('command files', () => {
  it('reads NAME=value and heredoc values', () => {
    const values = parseCommandFile('A=1\nB<<EOF_x\nline 1\nline=2\nEOF_x\nC=x=y\n');
    expect(Object.fromEntries(values)).toEqual({ A: '1', B: 'line 1\nline=2', C: 'x=y' });
  });

  it('rejects an unterminated heredoc and a line without =', () => {
    expect(() => parseCommandFile('B<<EOF\nvalue\n')).toThrow(/no closing 'EOF'/);
    expect(() => parseCommandFile('garbage\n')).toThrow(/malformed/);
  });
});

describe('job log', () => {
  it('masks a secret from the line after ::add-mask:: on, and reports lines shown before', () => {
    const log = new JobLog();
    log.write('main', 'token is s3cr3t');
    log.write('main', '::add-mask::s3cr3t');
    log.write('main', 'token is s3cr3t again');
    expect(log.shown()).toBe('token is s3cr3t\ntoken is *** again');
    expect(log.leaks('s3cr3t')).toEqual(['[main] token is s3cr3t']);
    expect(log.leaks('never-printed')).toEqual([]);
  });

  it('records annotations and groups, decoding escapes', () => {
    const log = new JobLog();
    log.write('post', '::group::Push');
    log.write('post', '::error::bad%0Anews 100%25');
    expect(log.groups).toEqual(['Push']);
    expect(log.annotations).toEqual([{ level: 'error', message: 'bad\nnews 100%', step: 'post' }]);
  });

  it('masks each line of a multi-line secret', () => {
    const log = new JobLog();
    log.write('main', '::add-mask::first%0Asecond');
    log.write('main', 'first and second');
    expect(log.shown()).toBe('*** and ***');
  });
});

describe('conditions', () => {
  it('evaluates status functions as GitHub does', () => {
    expect(evaluateCondition('always()', 'failure')).toBe(true);
    expect(evaluateCondition('success()', 'failure')).toBe(false);
    expect(evaluateCondition('${{ failure() }}', 'failure')).toBe(true);
    expect(evaluateCondition('!cancelled()', 'success')).toBe(true);
    expect(evaluateCondition('success() || failure()', 'failure')).toBe(true);
    expect(() => evaluateCondition('github.ref == 1', 'success')).toThrow(/Unsupported/);
  });
});

describe('action.yml as the runner reads it', () => {
  it('runs node24 bundles with a post step that always runs', () => {
    const action = readAction();
    expect(action.using).toBe('node24');
    expect(action.main).toBe('dist/main/index.js');
    expect(action.post).toBe('dist/post/index.js');
    expect(evaluateCondition(action.postIf, 'failure')).toBe(true);
    expect(evaluateCondition(action.postIf, 'cancelled')).toBe(true);
  });
});
