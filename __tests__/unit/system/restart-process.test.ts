/**
 * restartProcess on real processes of this user (Linux): stand-ins for a bare daemon, started in the
 * background by a shell that exits (so they are not children of the test, as a daemon would not be).
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseEnviron, parseProcStat } from '../../../src/system/proc.js';
import { restartProcess } from '../../../src/system/restart-process.js';

const linux = process.platform === 'linux' ? describe : describe.skip;
const SLEEP = execFileSync('sh', ['-c', 'command -v sleep'], { encoding: 'utf8' }).trim();

let dir = '';
let records = '';
const started: number[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'nca-restart-'));
  records = join(dir, 'records');
  mkdirSync(join(dir, 'bin'));
});
afterEach(() => {
  for (const pid of started.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Starts `script` (bash, ending in `exec`: the pid is the background subshell's) in the background
 * from a shell that exits at once; returns that pid.
 */
function background(script: string, env: Record<string, string>, output = join(dir, 'log')): number {
  const out = execFileSync(
    'bash',
    // --norc: bash sources ~/.bashrc when its stdin is a socket, as node's pipes are.
    ['--norc', '--noprofile', '-c', `cd /tmp && { ${script}; } </dev/null >>'${output}' 2>&1 & echo $!`],
    {
      env,
      encoding: 'utf8',
    },
  );
  const pid = Number(out.trim());
  started.push(pid);
  return pid;
}

const cmdline = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, -1);
const environ = (pid: number) => parseEnviron(readFileSync(`/proc/${pid}/environ`, 'utf8'));
const stat = (pid: number) => parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
const alive = (pid: number) => {
  const s = existsSync(`/proc/${pid}/stat`) ? stat(pid) : undefined;
  return s !== undefined && s.state !== 'Z' && s.state !== 'X';
};

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(20);
  }
}

linux('restartProcess', () => {
  it('starts the same argv (name found on its own PATH) with the same environment, in a new session, cwd /', async () => {
    symlinkSync(SLEEP, join(dir, 'bin', 'fake-daemon'));
    const env = { PATH: `${dir}/bin:/usr/bin:/bin`, FOO: 'bar baz', SECRETISH: 'x=y' };
    const old = background('exec -a fake-daemon sleep 300', env);
    await until(() => cmdline(old)[0] === 'fake-daemon');
    const oldEnv = environ(old);
    expect(oldEnv).toMatchObject(env);
    const restarted = await restartProcess(
      old,
      { stopTimeoutMs: 5000 },
      { recordDir: records, logFile: join(dir, 'restarted.log') },
    );
    started.push(restarted.pid);
    expect(restarted.pid).not.toBe(old);
    expect(restarted.argv).toEqual(['fake-daemon', '300']);
    expect(alive(old)).toBe(false);
    expect(cmdline(restarted.pid)).toEqual(['fake-daemon', '300']);
    expect(environ(restarted.pid)).toEqual(oldEnv);
    expect(stat(restarted.pid)?.sid).toBe(restarted.pid);
    expect(readlinkSync(`/proc/${restarted.pid}/cwd`)).toBe('/');
    expect(readlinkSync(`/proc/${restarted.pid}/fd/0`)).toBe('/dev/null');
    // Its output went to a regular file: so does the new process's; nothing holds our pipes.
    expect(readlinkSync(`/proc/${restarted.pid}/fd/1`)).toBe(join(dir, 'log'));
    expect(readlinkSync(`/proc/${restarted.pid}/fd/2`)).toBe(join(dir, 'log'));
    expect(existsSync(join(records, `${old}.json`))).toBe(false);
  }, 20_000);

  it('kills a process that ignores SIGTERM after the stop timeout; finds a renamed binary through /proc/PID/exe; output kept', async () => {
    const old = background(
      `trap '' TERM; exec -a stubborn-nonexistent-name ${SLEEP} 300`,
      { PATH: '/usr/bin:/bin' },
      '/dev/null',
    );
    await until(() => cmdline(old)[0] === 'stubborn-nonexistent-name');
    const t0 = Date.now();
    const restarted = await restartProcess(
      old,
      { stopTimeoutMs: 400, settleMs: 100 },
      { recordDir: records, logFile: join(dir, 'restarted.log') },
    );
    started.push(restarted.pid);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(400);
    expect(alive(old)).toBe(false);
    expect(cmdline(restarted.pid)).toEqual(['stubborn-nonexistent-name', '300']);
    expect(readlinkSync(`/proc/${restarted.pid}/exe`)).toBe(realpathSync(SLEEP));
    // Its output went to /dev/null: the new one's goes to a private log, so a failed start can say why.
    expect(readlinkSync(`/proc/${restarted.pid}/fd/1`)).toBe(join(dir, 'restarted.log'));
    expect(readlinkSync(`/proc/${restarted.pid}/fd/2`)).toBe(join(dir, 'restarted.log'));
    expect(statSync(join(dir, 'restarted.log')).mode & 0o777).toBe(0o600);
  }, 20_000);

  it('a start that fails: the exit code and the output it wrote; the record lets a second call start it again', async () => {
    const wrapper = join(dir, 'bin', 'flaky-daemon');
    writeFileSync(
      wrapper,
      `#!/bin/bash\nif [[ -e ${dir}/fail ]]; then echo "flaky-daemon: refusing to start" >&2; exit 3; fi\nexec -a "$0" ${SLEEP} "$@"\n`,
    );
    chmodSync(wrapper, 0o755);
    const old = background(`exec ${wrapper} 300`, { PATH: '/usr/bin:/bin', KEEP: 'me' });
    await until(() => cmdline(old)[0] === wrapper);
    writeFileSync(join(dir, 'fail'), '');

    const failure = await restartProcess(
      old,
      { stopTimeoutMs: 5000 },
      { recordDir: records, logFile: join(dir, 'restarted.log') },
    ).then(
      () => new Error('restarted although the start fails'),
      (e: unknown) => e as Error,
    );
    expect(failure.message).toMatch(
      new RegExp(
        `^\`${wrapper} 300\`, started again in place of pid ${old}, exited with code 3 within \\d+ ms; `,
      ),
    );
    expect(failure.message).toContain(`pid ${old} is stopped and nothing runs in its place.`);
    expect(failure.message).toContain(`Its output (${dir}/log):\nflaky-daemon: refusing to start`);
    expect(alive(old)).toBe(false);
    // The record of what was stopped: root-only (here: this user only), with the environment.
    const record = join(records, `${old}.json`);
    expect(statSync(record).mode & 0o777).toBe(0o600);
    expect(statSync(records).mode & 0o777).toBe(0o700);
    expect(readFileSync(record, 'utf8')).toContain('"KEEP":"me"');

    unlinkSync(join(dir, 'fail'));
    const again = await restartProcess(
      old,
      { stopTimeoutMs: 5000 },
      { recordDir: records, logFile: join(dir, 'restarted.log') },
    );
    started.push(again.pid);
    expect(cmdline(again.pid)).toEqual([wrapper, '300']);
    expect(environ(again.pid)['KEEP']).toBe('me');
    expect(existsSync(record)).toBe(false);
  }, 20_000);

  it('refuses a pid that is not running and was not stopped here; leaves a process whose binary is gone running', async () => {
    const old = background('exec -a gone-daemon sleep 300', { PATH: '/usr/bin:/bin' });
    await until(() => cmdline(old)[0] === 'gone-daemon');
    process.kill(old, 'SIGKILL');
    await until(() => !alive(old));
    await expect(
      restartProcess(
        old,
        { stopTimeoutMs: 100 },
        { recordDir: records, logFile: join(dir, 'restarted.log') },
      ),
    ).rejects.toThrow(
      `process ${old} is not running (and was not stopped by this action): nothing to restart`,
    );

    const copy = join(dir, 'bin', 'vanishing');
    copyFileSync(SLEEP, copy);
    chmodSync(copy, 0o755);
    const pid = background(`exec -a vanishing-name ${copy} 300`, { PATH: '/usr/bin:/bin' });
    await until(() => cmdline(pid)[0] === 'vanishing-name');
    unlinkSync(copy);
    await expect(
      restartProcess(
        pid,
        { stopTimeoutMs: 100 },
        { recordDir: records, logFile: join(dir, 'restarted.log') },
      ),
    ).rejects.toThrow(
      /cannot find the executable of process \d+ \(argv\[0\] vanishing-name, PATH \/usr\/bin:\/bin\); not stopping it/,
    );
    expect(alive(pid)).toBe(true);
  }, 20_000);
});
