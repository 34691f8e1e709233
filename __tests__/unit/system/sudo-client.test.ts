/**
 * Root operations through sudo, with the System's exec faked at the seam: one `sudo -n node helper`
 * per operation, the request on stdin (never on argv), answers decoded, failures explained. The fake
 * sudo hands the request to the real `serve`, so the client and the helper's protocol meet for real.
 */
import { describe, expect, it } from '@jest/globals';
import { privileged, privilegedFor } from '../../../src/system/privileged.js';
import type { RootOperations } from '../../../src/system/privileged.js';
import { serve } from '../../../src/system/root-protocol.js';
import type { ExecOptions, ExecResult, System } from '../../../src/system/types.js';

const HELPER = { node: '/opt/node24/bin/node', script: '/home/runner/work/_actions/x/dist/root/index.js' };
const SECRET = 'machine cache.example.org login ci password s3cr3t-t0ken';

interface Sudo extends System {
  readonly calls: { argv: string[]; options: ExecOptions | undefined }[];
}

function sudoSystem(answer: (input: string) => Promise<ExecResult>): Sudo {
  const calls: Sudo['calls'] = [];
  return {
    calls,
    env: {},
    host: { platform: 'linux', arch: 'x64', uid: 1001, user: 'runner', home: '/home/runner' },
    files: {
      read: () => Promise.resolve(undefined),
      exists: () => Promise.resolve(false),
      list: () => Promise.resolve([]),
      kind: () => Promise.resolve(undefined),
    },
    exec: {
      run: (command, args, options) => {
        calls.push({ argv: [command, ...args], options });
        return answer(options?.input ?? '');
      },
    },
  };
}

function helperOps(): RootOperations & { written: Map<string, { content: Buffer; mode: number }> } {
  const written = new Map<string, { content: Buffer; mode: number }>();
  return {
    written,
    readFile: (path) => Promise.resolve(written.get(path)?.content.toString('utf8')),
    statFile: (path) => {
      const file = written.get(path);
      return Promise.resolve(file ? { mode: file.mode, uid: 0, gid: 0 } : undefined);
    },
    writeFile: (path, content, mode) => {
      written.set(path, { content: Buffer.from(content), mode });
      return Promise.resolve();
    },
    removeFile: (path) => (written.delete(path), Promise.resolve()),
    run: (command, args) =>
      Promise.resolve({ code: 3, stdout: `${command} ${args.join(' ')}`, stderr: 'inactive' }),
    restartProcess: (pid) => Promise.resolve({ pid: pid + 1, argv: ['nix-daemon', '--daemon'] }),
  };
}

const throughHelper = (ops: RootOperations) => async (input: string) => ({
  code: 0,
  stdout: JSON.stringify(await serve(ops, input)),
  stderr: '',
});

describe('privileged(sys, "sudo", helper)', () => {
  it('writes, stats, reads and removes through one sudo call each; contents only on stdin', async () => {
    const ops = helperOps();
    const sys = sudoSystem(throughHelper(ops));
    const root = privileged(sys, 'sudo', HELPER);
    expect(root.via).toBe('sudo');
    await root.writeFile('/root/.config/nix/netrc', `${SECRET}\n`, 0o600);
    expect(await root.statFile('/root/.config/nix/netrc')).toEqual({ mode: 0o600, uid: 0, gid: 0 });
    expect(await root.readFile('/root/.config/nix/netrc')).toBe(`${SECRET}\n`);
    await root.removeFile('/root/.config/nix/netrc');
    expect(await root.readFile('/root/.config/nix/netrc')).toBeUndefined();
    expect(await root.statFile('/root/.config/nix/netrc')).toBeUndefined();

    expect(sys.calls).toHaveLength(6);
    for (const call of sys.calls) {
      expect(call.argv).toEqual(['sudo', '-n', HELPER.node, HELPER.script]);
      expect(call.options?.timeoutMs).toBe(60_000);
    }
    expect(sys.calls.map((c) => c.argv.join(' ')).join('\n')).not.toContain('s3cr3t');
    expect(sys.calls[0]?.options?.input).toContain(Buffer.from(`${SECRET}\n`).toString('base64'));
  });

  it('writes binary contents byte for byte', async () => {
    const ops = helperOps();
    const root = privileged(sudoSystem(throughHelper(ops)), 'sudo', HELPER);
    const bytes = Buffer.from([0, 255, 10, 13, 0xe2, 0x82]);
    await root.writeFile('/etc/nix/blob', bytes, 0o644);
    expect(ops.written.get('/etc/nix/blob')?.content.equals(bytes)).toBe(true);
  });

  it('runs commands and restarts processes, with bounds that cover the operation', async () => {
    const sys = sudoSystem(throughHelper(helperOps()));
    const root = privileged(sys, 'sudo', HELPER);
    expect(
      await root.run('systemctl', ['is-active', 'nix-daemon.socket'], { timeoutMs: 5000, input: 'x' }),
    ).toEqual({
      code: 3,
      stdout: 'systemctl is-active nix-daemon.socket',
      stderr: 'inactive',
    });
    expect(JSON.parse(sys.calls[0]?.options?.input ?? '')).toEqual({
      op: 'run',
      command: 'systemctl',
      args: ['is-active', 'nix-daemon.socket'],
      input: 'x',
      timeoutMs: 5000,
    });
    expect(sys.calls[0]?.options?.timeoutMs).toBe(35_000);
    expect(await root.restartProcess(41, { stopTimeoutMs: 10_000 })).toEqual({
      pid: 42,
      argv: ['nix-daemon', '--daemon'],
    });
    expect(sys.calls[1]?.options?.timeoutMs).toBe(50_000);
  });

  it("throws the helper's error as is", async () => {
    const root = privileged(
      sudoSystem(() =>
        Promise.resolve({ code: 0, stdout: '{"ok":false,"error":"EACCES: permission denied"}', stderr: '' }),
      ),
      'sudo',
      HELPER,
    );
    await expect(root.readFile('/etc/shadow')).rejects.toThrow(/^EACCES: permission denied$/);
  });

  it('explains a sudo that wants a password, and a helper that crashed', async () => {
    const password = privileged(
      sudoSystem(() => Promise.resolve({ code: 1, stdout: '', stderr: 'sudo: a password is required\n' })),
      'sudo',
      HELPER,
    );
    await expect(password.writeFile('/etc/nix/nix.conf', 'x', 0o644)).rejects.toThrow(
      `writeFile as root failed: \`sudo -n ${HELPER.node} ${HELPER.script}\` exited with code 1: sudo: a password is required. ` +
        'The action needs passwordless sudo (as on GitHub-hosted runners) or to run as root for this.',
    );
    const crashed = privileged(
      sudoSystem(() => Promise.resolve({ code: 1, stdout: '', stderr: 'SyntaxError: Unexpected token\n' })),
      'sudo',
      HELPER,
    );
    await expect(crashed.readFile('/etc/nix/nix.conf')).rejects.toThrow(
      /exited with code 1: SyntaxError: Unexpected token\.$/,
    );
  });

  it('rejects malformed answers', async () => {
    const root = privileged(
      sudoSystem(() => Promise.resolve({ code: 0, stdout: '{"ok":true,"value":{"pid":"7"}}', stderr: '' })),
      'sudo',
      HELPER,
    );
    await expect(root.restartProcess(6, { stopTimeoutMs: 1 })).rejects.toThrow(/malformed answer/);
    await expect(root.readFile('/x')).rejects.toThrow(/malformed answer/);
  });
});

describe('privilegedFor', () => {
  const sys = sudoSystem(() => Promise.reject(new Error('no command expected')));
  it('in-process as root, sudo when passwordless, else nothing', () => {
    const base = { user: 'runner', canWriteRootFiles: true };
    expect(privilegedFor(sys, { ...base, root: true, passwordlessSudo: false }, HELPER)?.via).toBe('root');
    expect(privilegedFor(sys, { ...base, root: false, passwordlessSudo: true }, HELPER)?.via).toBe('sudo');
    expect(
      privilegedFor(sys, { ...base, root: false, passwordlessSudo: false, canWriteRootFiles: false }, HELPER),
    ).toBeUndefined();
  });
});
