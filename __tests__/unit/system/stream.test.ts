/** The streaming command runner on real processes: lines as they come, stdin, the group stopped on abort and timeout. */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { NOT_FOUND_EXIT_CODE, TIMEOUT_EXIT_CODE } from '../../../src/system/exec.js';
import { streamCommand } from '../../../src/system/stream.js';

const PATH = process.env['PATH'] ?? '/usr/bin:/bin';

/** Whether a process with this pid still runs (a zombie waiting for its reaper does not). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) [ZX]/.test(stat);
  } catch {
    return false;
  }
}

const waitFor = async (check: () => boolean, ms = 5000): Promise<boolean> => {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return check();
};

describe('streamCommand', () => {
  it('calls back per line of stdout and stderr, the unterminated last line included', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const res = await streamCommand(
      'sh',
      ['-c', 'printf "a\\nb\\r\\n"; printf "e1\\ne2" >&2; printf "c"; exit 3'],
      {
        onStdoutLine: (l) => out.push(l),
        onStderrLine: (l) => err.push(l),
      },
    );
    expect(res).toEqual({ code: 3, timedOut: false, aborted: false, stderrTail: 'e1\ne2\n' });
    expect(out).toEqual(['a', 'b', 'c']);
    expect(err).toEqual(['e1', 'e2']);
  });

  it('delivers lines while the command still runs', async () => {
    const seen: number[] = [];
    const started = Date.now();
    await streamCommand('sh', ['-c', 'echo first >&2; sleep 1; echo second >&2'], {
      onStderrLine: () => seen.push(Date.now() - started),
    });
    expect(seen).toHaveLength(2);
    expect(seen[1]! - seen[0]!).toBeGreaterThan(700);
  });

  it('keeps multi-byte characters split across chunks whole', async () => {
    const lines: string[] = [];
    const text = 'é'.repeat(70_000);
    await streamCommand('sh', ['-c', 'cat >&2'], { input: `${text}\n`, onStderrLine: (l) => lines.push(l) });
    expect(lines).toEqual([text]);
  });

  it('writes input to stdin and passes the environment and cwd', async () => {
    const out: string[] = [];
    const res = await streamCommand('sh', ['-c', 'cat; printf "%s|%s\\n" "$ONLY" "$(pwd)"'], {
      input: 'secret\n',
      env: { ONLY: 'this', PATH },
      cwd: '/',
      onStdoutLine: (l) => out.push(l),
    });
    expect(res.code).toBe(0);
    expect(out).toEqual(['secret', 'this|/']);
  });

  it('keeps only the last lines of stderr in the tail', async () => {
    const res = await streamCommand('sh', ['-c', 'for i in 1 2 3 4 5; do echo line$i >&2; done'], {
      tailLines: 2,
    });
    expect(res.stderrTail).toBe('line4\nline5\n');
  });

  it('answers 127 for a command that cannot be started', async () => {
    const res = await streamCommand('no-such-command-nca', []);
    expect(res.code).toBe(NOT_FOUND_EXIT_CODE);
    expect(res.stderrTail).toMatch(/no-such-command-nca/);
  });

  it('survives a line callback that throws', async () => {
    const res = await streamCommand('sh', ['-c', 'echo a >&2; echo b >&2'], {
      onStderrLine: () => {
        throw new Error('caller bug');
      },
    });
    expect(res).toMatchObject({ code: 0, stderrTail: 'a\nb\n' });
  });

  it('stops the whole process group at the timeout and answers 124', async () => {
    const lines: string[] = [];
    const started = Date.now();
    const res = await streamCommand('sh', ['-c', 'sleep 30 & echo $! >&2; sleep 30'], {
      timeoutMs: 300,
      onStderrLine: (l) => lines.push(l),
    });
    expect(res).toMatchObject({ code: TIMEOUT_EXIT_CODE, timedOut: true, aborted: false });
    expect(Date.now() - started).toBeLessThan(5000);
    const child = Number(lines[0]);
    expect(await waitFor(() => !alive(child))).toBe(true);
  });

  it('stops the whole process group when the signal is aborted', async () => {
    const controller = new AbortController();
    const lines: string[] = [];
    const res = await streamCommand('sh', ['-c', 'sleep 30 & echo $! >&2; sleep 30'], {
      signal: controller.signal,
      onStderrLine: (l) => {
        lines.push(l);
        controller.abort();
      },
    });
    expect(res).toMatchObject({ timedOut: false, aborted: true, code: 128 + 15 });
    const child = Number(lines[0]);
    expect(await waitFor(() => !alive(child))).toBe(true);
  });

  it('sends SIGKILL after the grace to a command that ignores SIGTERM', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const res = await streamCommand(
      'sh',
      ['-c', 'trap "" TERM; echo ready >&2; while :; do sleep 0.05; done'],
      {
        signal: controller.signal,
        killGraceMs: 300,
        onStderrLine: () => {
          controller.abort();
        },
      },
    );
    expect(res).toMatchObject({ aborted: true, code: 128 + 9 });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('does not start a command whose signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    const lines: string[] = [];
    const res = await streamCommand('sh', ['-c', 'echo ran >&2'], {
      signal: controller.signal,
      onStderrLine: (l) => lines.push(l),
    });
    expect(res.aborted).toBe(true);
    expect(lines).toEqual([]);
  });
});
