import { describe, expect, it } from '@jest/globals';
import { firstRecognised, isUnrecognised, nixArgs } from '../../../src/nix/detect/nix-cli.js';
import type { ExecResult, System } from '../../../src/system/types.js';

// What Debian's nix-bin 2.8 printed here for a flag and a subcommand it does not have (exit status 1).
const UNKNOWN_FLAG = "error: unrecognised flag '--json'\nTry 'nix --help' for more information.\n";
const UNKNOWN_COMMAND = "error: 'info' is not a recognised command\nTry 'nix --help' for more information.\n";

function scripted(answers: Record<string, ExecResult>): System & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    env: {},
    host: { platform: 'linux', arch: 'x64', uid: 1000, user: 'u', home: '/home/u' },
    files: {
      read: () => Promise.resolve(undefined),
      exists: () => Promise.resolve(false),
      list: () => Promise.resolve([]),
      kind: () => Promise.resolve(undefined),
    },
    exec: {
      run(command, args) {
        const line = [command, ...args].join(' ');
        calls.push(line);
        const answer = answers[line];
        return answer ? Promise.resolve(answer) : Promise.reject(new Error(`unexpected ${line}`));
      },
    },
  };
}

describe('isUnrecognised', () => {
  it("tells 'this nix does not know that' from a command that ran and failed", () => {
    expect(isUnrecognised({ code: 1, stdout: '', stderr: UNKNOWN_FLAG })).toBe(true);
    expect(isUnrecognised({ code: 1, stdout: '', stderr: UNKNOWN_COMMAND })).toBe(true);
    expect(isUnrecognised({ code: 1, stdout: '', stderr: "error: cannot connect to socket at '/s'\n" })).toBe(
      false,
    );
    expect(isUnrecognised({ code: 0, stdout: '', stderr: UNKNOWN_FLAG })).toBe(false);
  });
});

describe('firstRecognised', () => {
  const flags = nixArgs().join(' ');

  it('always passes the nix-command feature flag', () => {
    expect(nixArgs('store', 'ping')).toEqual([
      '--extra-experimental-features',
      'nix-command',
      'store',
      'ping',
    ]);
  });

  it('moves on past commands this nix does not know', async () => {
    const sys = scripted({
      [`nix ${flags} store info --json`]: { code: 1, stdout: '', stderr: UNKNOWN_COMMAND },
      [`nix ${flags} store ping --json`]: { code: 1, stdout: '', stderr: UNKNOWN_FLAG },
      [`nix ${flags} store ping`]: { code: 0, stdout: '', stderr: 'Store URL: daemon\n' },
    });
    const attempt = await firstRecognised(sys, [
      ['store', 'info', '--json'],
      ['store', 'ping', '--json'],
      ['store', 'ping'],
    ]);
    expect(attempt.args).toEqual(['store', 'ping']);
    expect(sys.calls).toHaveLength(3);
  });

  it('stops at a known command that failed (the failure is the answer)', async () => {
    const sys = scripted({
      [`nix ${flags} store info --json`]: {
        code: 1,
        stdout: '{"url":"daemon"}',
        stderr: 'error: Connection refused\n',
      },
    });
    const attempt = await firstRecognised(sys, [
      ['store', 'info', '--json'],
      ['store', 'ping'],
    ]);
    expect(attempt.result.code).toBe(1);
    expect(sys.calls).toHaveLength(1);
  });

  it('returns the last attempt when none is known', async () => {
    const sys = scripted({ [`nix ${flags} config show`]: { code: 1, stdout: '', stderr: UNKNOWN_COMMAND } });
    expect((await firstRecognised(sys, [['config', 'show']])).result.stderr).toBe(UNKNOWN_COMMAND);
    await expect(firstRecognised(sys, [])).rejects.toThrow(/no candidate/);
  });
});
