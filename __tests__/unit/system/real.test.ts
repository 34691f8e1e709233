/** The real System on this machine: commands, timeouts, missing commands, files. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NOT_FOUND_EXIT_CODE, realSystem, TIMEOUT_EXIT_CODE } from '../../../src/system/real.js';

const sys = realSystem();

describe('realSystem().exec', () => {
  it('returns exit code, stdout and stderr without throwing on failure', async () => {
    const out = await sys.exec.run('sh', ['-c', 'echo out; echo err >&2; exit 3']);
    expect(out).toEqual({ code: 3, stdout: 'out\n', stderr: 'err\n' });
  });

  it('writes input to stdin and passes the given environment and cwd', async () => {
    const out = await sys.exec.run('sh', ['-c', 'cat; printf "%s|%s" "$ONLY" "$(pwd)"'], {
      input: 'secret\n',
      env: { ONLY: 'this', PATH: process.env['PATH'] ?? '/usr/bin:/bin' },
      cwd: '/',
    });
    expect(out.stdout).toBe('secret\nthis|/');
  });

  it('answers 127 for a command that cannot be found, with or without a timeout', async () => {
    const plain = await sys.exec.run('no-such-command-nca', []);
    expect(plain.code).toBe(NOT_FOUND_EXIT_CODE);
    expect(plain.stderr).toMatch(/no-such-command-nca/);
    const timed = await sys.exec.run('no-such-command-nca', [], { timeoutMs: 5000 });
    expect(timed.code).toBe(NOT_FOUND_EXIT_CODE);
  });

  it('kills a command that outlives its timeout, children included, and answers 124', async () => {
    const started = Date.now();
    const out = await sys.exec.run('sh', ['-c', 'echo started; sleep 30 & sleep 30; echo never'], {
      timeoutMs: 500,
    });
    expect(out.code).toBe(TIMEOUT_EXIT_CODE);
    expect(out.stdout).toBe('started\n');
    expect(out.stderr).toMatch(/timed out after 500 ms/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('passes the exit code and output through when a timeout is set', async () => {
    const out = await sys.exec.run('sh', ['-c', 'cat; echo e >&2; exit 5'], {
      timeoutMs: 10_000,
      input: 'in\n',
    });
    expect(out).toEqual({ code: 5, stdout: 'in\n', stderr: 'e\n' });
  });
});

describe('realSystem().files', () => {
  let dir: string;
  let server: Server;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nca-real-'));
    writeFileSync(join(dir, 'a.conf'), 'x = 1\n');
    mkdirSync(join(dir, 'sub'));
    server = createServer();
    await new Promise<void>((resolve) => {
      server.listen(join(dir, 'sock'), resolve);
    });
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => {
      server.close(() => {
        resolve();
      });
    });
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads files and gives undefined for what is not there', async () => {
    expect(await sys.files.read(join(dir, 'a.conf'))).toBe('x = 1\n');
    expect(await sys.files.read(join(dir, 'missing'))).toBeUndefined();
    expect(await sys.files.read(join(dir, 'sub'))).toBeUndefined();
  });

  it('lists directories, [] for missing ones', async () => {
    expect((await sys.files.list(dir)).sort()).toEqual(['a.conf', 'sock', 'sub']);
    expect(await sys.files.list(join(dir, 'missing'))).toEqual([]);
  });

  it('tells files, directories and sockets apart', async () => {
    expect(await sys.files.kind(join(dir, 'a.conf'))).toBe('file');
    expect(await sys.files.kind(join(dir, 'sub'))).toBe('directory');
    expect(await sys.files.kind(join(dir, 'sock'))).toBe('socket');
    expect(await sys.files.kind(join(dir, 'missing'))).toBeUndefined();
    expect(await sys.files.exists(join(dir, 'sock'))).toBe(true);
    expect(await sys.files.exists(join(dir, 'missing'))).toBe(false);
  });
});

describe('realSystem().host', () => {
  it('describes this process', () => {
    expect(sys.host.platform).toBe(process.platform);
    expect(sys.host.arch).toBe(process.arch);
    expect(sys.host.uid).toBe(process.getuid?.() ?? -1);
    expect(sys.host.user).not.toBe('');
    expect(sys.host.home).not.toBe('');
  });
});
