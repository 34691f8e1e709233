/**
 * Root operations for real: the built root helper (dist/root/index.js under node 24) through sudo as
 * runner, and in-process as root; restarts of the test bed's bare nix-daemon, through sudo and through
 * restartDaemon in a process that exits, with the failing-start knob and the rollback. Every test
 * leaves the daemon up (other suites share it).
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, readlink, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { NixDaemon } from '../../src/nix/environment.js';
import { probeDaemon } from '../../src/nix/detect/manager.js';
import { privileged } from '../../src/system/privileged.js';
import { parseEnviron, parseProcStat } from '../../src/system/proc.js';
import { realSystem } from '../../src/system/real.js';
import { describeE2E } from '../testbed/e2e.js';
import {
  DAEMON_LOG,
  DAEMON_PID_FILE,
  DAEMON_WRAPPER,
  RUNNER,
  SOCKET_PATH,
  failNextDaemonStarts,
  runAs,
  testbed,
  userInfo,
} from '../testbed/run-as.js';

const ROOT_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const NODE24 = path.join(ROOT_DIR, 'node_modules/node/bin/node');
const HELPER = path.join(ROOT_DIR, 'dist/root/index.js');
const TSX = path.join(ROOT_DIR, 'node_modules/.bin/tsx');
const DRIVER = path.join(ROOT_DIR, '__tests__/e2e/drivers/restart-daemon.ts');
const PING = ['nix', '--extra-experimental-features', 'nix-command', 'store', 'ping'];

interface Answer {
  ok: boolean;
  value?: unknown;
  error?: string;
}

/** The built helper with one request: as runner through `sudo -n`, or as root directly. */
async function helper(as: 'runner' | 'root', request: object): Promise<Answer> {
  const argv = as === 'runner' ? ['sudo', '-n', NODE24, HELPER] : [NODE24, HELPER];
  const out = await runAs(as === 'runner' ? RUNNER : 'root', argv, {
    input: JSON.stringify(request),
    timeoutMs: 60_000,
  });
  if (out.code !== 0) throw new Error(`helper exited ${out.code}: ${out.stderr}`);
  return JSON.parse(out.stdout) as Answer;
}

const procText = (pid: number, file: string) =>
  readFile(`/proc/${pid}/${file}`, 'utf8').catch(() => undefined);
async function running(pid: number): Promise<boolean> {
  const s = await procText(pid, 'stat');
  const state = s === undefined ? undefined : parseProcStat(s)?.state;
  return state !== undefined && state !== 'Z' && state !== 'X';
}
const argvOf = async (pid: number) => ((await procText(pid, 'cmdline')) ?? '').split('\0').slice(0, -1);
const daemonPid = async () => Number((await readFile(DAEMON_PID_FILE, 'utf8')).trim());

/** Until `nix store ping` as runner succeeds (bounded); the time it took. */
async function pingAsRunner(timeoutMs = 30_000): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    const out = await runAs(RUNNER, PING, { timeoutMs: 10_000 });
    if (out.code === 0) return Date.now() - t0;
    if (Date.now() - t0 > timeoutMs) throw new Error(`nix store ping as runner still fails: ${out.stderr}`);
    await sleep(100);
  }
}

/** Every command line on the machine, read from /proc. */
async function allCmdlines(): Promise<string[]> {
  const pids = (await readdir('/proc')).filter((n) => /^\d+$/.test(n));
  const lines = await Promise.all(pids.map((p) => readFile(`/proc/${p}/cmdline`, 'utf8').catch(() => '')));
  return lines.filter((l) => l !== '');
}

describeE2E('root operations through the built helper and in-process', () => {
  let dir = '';
  beforeAll(async () => {
    if (!existsSync(HELPER)) throw new Error(`${HELPER} is missing: run \`npm run build\` first`);
    dir = await mkdtemp(path.join(tmpdir(), 'nca-privileged-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
    await testbed('up'); // whatever happened, the daemon is up for the next suite
  });

  it('as runner through sudo: writes root-owned with the mode asked, reads, stats, removes', async () => {
    const file = path.join(dir, 'sudo', 'etc', 'netrc');
    const content = 'machine cache.example.org login ci password p4ss-through-sudo\n';
    const write = {
      op: 'writeFile',
      path: file,
      base64: Buffer.from(content).toString('base64'),
      mode: 0o640,
    };
    expect(await helper('runner', write)).toEqual({ ok: true, value: null });
    const s = await stat(file);
    expect([s.uid, s.gid, s.mode & 0o7777]).toEqual([0, 0, 0o640]);
    expect((await stat(path.dirname(file))).mode & 0o777).toBe(0o755);
    expect(await readFile(file, 'utf8')).toBe(content);
    expect((await runAs(RUNNER, ['cat', file])).code).not.toBe(0); // 0640 root:root: not for runner
    expect(await helper('runner', { op: 'readFile', path: file })).toEqual({ ok: true, value: content });
    expect(await helper('runner', { op: 'statFile', path: file })).toEqual({
      ok: true,
      value: { mode: 0o640, uid: 0, gid: 0 },
    });
    expect(await helper('runner', { op: 'removeFile', path: file })).toEqual({ ok: true, value: null });
    expect(existsSync(file)).toBe(false);
    expect(await helper('runner', { op: 'readFile', path: file })).toEqual({ ok: true, value: null });
    expect(await helper('runner', { op: 'run', command: 'id', args: ['-u'] })).toEqual({
      ok: true,
      value: { code: 0, stdout: '0\n', stderr: '' },
    });
  });

  it('refuses to work when not run as root', async () => {
    const out = await runAs(RUNNER, [NODE24, HELPER], { input: '{"op":"readFile","path":"/etc/hostname"}' });
    expect(JSON.parse(out.stdout)).toEqual({
      ok: false,
      error: `the root helper runs as uid ${userInfo(RUNNER).uid}, not root`,
    });
  });

  it('never shows the contents on a command line while a big write runs', async () => {
    const marker = `nca-secret-${Date.now().toString(36)}`;
    const content = `${marker}\n${'x'.repeat(32 * 1024 * 1024)}\n`;
    const base64 = Buffer.from(content).toString('base64');
    const file = path.join(dir, 'big');
    const state = { done: false };
    const call = helper('runner', { op: 'writeFile', path: file, base64, mode: 0o600 }).finally(() => {
      state.done = true;
    });
    let polls = 0;
    let sawHelper = false;
    const leaks: string[] = [];
    while (!state.done) {
      for (const line of await allCmdlines()) {
        if (line.includes(HELPER)) sawHelper = true;
        if (line.includes(marker) || line.includes(base64.slice(0, 40))) leaks.push(line.slice(0, 200));
      }
      polls++;
    }
    expect(await call).toEqual({ ok: true, value: null });
    expect(leaks).toEqual([]);
    expect(sawHelper).toBe(true); // the polling did see the call under way
    expect(polls).toBeGreaterThan(1);
    expect((await readFile(file, 'utf8')).startsWith(`${marker}\n`)).toBe(true);
    expect((await stat(file)).mode & 0o7777).toBe(0o600);
  });

  it('as root in-process: the same operations through privileged(sys, "root")', async () => {
    const root = privileged(realSystem(), 'root', { node: NODE24, script: HELPER });
    expect(root.via).toBe('root');
    const file = path.join(dir, 'root', 'nix.conf');
    await root.writeFile(file, 'substituters = https://cache.example.org\n', 0o644);
    const s = await stat(file);
    expect([s.uid, s.gid, s.mode & 0o7777]).toEqual([0, 0, 0o644]);
    expect(await root.readFile(file)).toBe('substituters = https://cache.example.org\n');
    expect(await root.statFile(file)).toEqual({ mode: 0o644, uid: 0, gid: 0 });
    await root.removeFile(file);
    expect(await root.statFile(file)).toBeUndefined();
    expect(await root.run('id', ['-u'])).toEqual({ code: 0, stdout: '0\n', stderr: '' });
  });

  it('restartProcess through sudo: a new daemon with the same argv and environment that outlives the helper', async () => {
    await pingAsRunner();
    const old = await daemonPid();
    expect(await argvOf(old)).toEqual([DAEMON_WRAPPER, '--daemon']);
    const oldEnv = parseEnviron((await procText(old, 'environ')) ?? '');
    const t0 = Date.now();
    // runAs resolves when the helper's stdout closes: a daemon holding it would hang here.
    const answer = await helper('runner', { op: 'restartProcess', pid: old, stopTimeoutMs: 10_000 });
    const restartMs = Date.now() - t0;
    expect(answer).toMatchObject({ ok: true, value: { argv: [DAEMON_WRAPPER, '--daemon'] } });
    const pid = (answer.value as { pid: number }).pid;
    const readyMs = await pingAsRunner();
    console.log(
      `bare daemon restart through sudo: ${restartMs} ms (helper round trip), answering ${readyMs} ms later`,
    );

    expect(pid).not.toBe(old);
    expect(await running(old)).toBe(false);
    expect(await running(pid)).toBe(true); // the helper and sudo have exited
    expect(await argvOf(pid)).toEqual([DAEMON_WRAPPER, '--daemon']);
    expect(parseEnviron((await procText(pid, 'environ')) ?? '')).toEqual(oldEnv);
    const st = parseProcStat((await procText(pid, 'stat')) ?? '');
    expect(st?.sid).toBe(pid); // its own session
    expect(await readlink(`/proc/${pid}/cwd`)).toBe('/');
    expect(await readlink(`/proc/${pid}/fd/0`)).toBe('/dev/null');
    expect(await readlink(`/proc/${pid}/fd/2`)).toBe(DAEMON_LOG);
    expect(await daemonPid()).toBe(pid); // the wrapper recorded it: the test bed knows its daemon
    expect((await testbed('status')).stdout).toContain(`up: nix-daemon ${pid} `);
  });

  it('restartDaemon as root in a process that exits: a failing start is reported, the rollback brings it back', async () => {
    const sys = realSystem();
    const detected = await probeDaemon(sys);
    const old = await daemonPid();
    expect(detected).toMatchObject({ manager: 'process', pid: old, command: [DAEMON_WRAPPER, '--daemon'] });
    const drive = async (daemon: NixDaemon) => {
      const out = await runAs('root', [TSX, DRIVER], {
        input: JSON.stringify({ daemon, socket: SOCKET_PATH, options: { readyTimeoutMs: 30_000 } }),
        cwd: ROOT_DIR,
        timeoutMs: 90_000,
      });
      if (out.code !== 0) throw new Error(`driver exited ${out.code}: ${out.stderr}`);
      return JSON.parse(out.stdout) as {
        ok: boolean;
        name?: string;
        error?: string;
        daemon: NixDaemon;
        ms: number;
      };
    };
    try {
      await failNextDaemonStarts(1);
      const failure = await drive(detected);
      expect(failure.ok).toBe(false);
      expect(failure.name).toBe('DaemonRestartError');
      expect(failure.error).toContain(
        `the Nix daemon (bare root process ${old}: ${DAEMON_WRAPPER} --daemon)`,
      );
      expect(failure.error).toContain('(as root, in-process) did not work');
      expect(failure.error).toMatch(/exited with code 1 within \d+ ms/);
      expect(failure.error).toContain(`Its output (${DAEMON_LOG}):`);
      expect(failure.error).toContain('testbed: failing this nix-daemon start on purpose');
      expect(failure.error).toContain(`sudo setsid ${DAEMON_WRAPPER} --daemon`);
      expect(failure.daemon.pid).toBe(old);
      // Down now: nothing listens, and runner's ping says so.
      expect(await running(old)).toBe(false);
      const down = await runAs(RUNNER, PING);
      expect(down.code).not.toBe(0);
      expect(down.stderr).toMatch(/cannot connect to socket/);

      const rollback = await drive(failure.daemon);
      console.log(
        `bare daemon: failed restart ${failure.ms} ms, rollback restart until it answers ${rollback.ms} ms`,
      );
      expect(rollback).toMatchObject({
        ok: true,
        daemon: { manager: 'process', command: [DAEMON_WRAPPER, '--daemon'] },
      });
      const pid = rollback.daemon.pid ?? 0;
      expect(pid).not.toBe(old);
      expect(await running(pid)).toBe(true); // the driver has exited
      expect(await daemonPid()).toBe(pid);
      await pingAsRunner(5000);
    } finally {
      await failNextDaemonStarts(0);
      if ((await testbed('status')).code !== 0) await testbed('up');
    }
  });
});
