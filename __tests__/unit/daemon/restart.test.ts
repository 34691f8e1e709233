/**
 * restartDaemon by manager, against recorded/transcribed systemctl and launchctl outputs: the commands
 * run (as root or as the job's user), the daemon read back with its new pid, and the errors.
 */
import { describe, expect, it } from '@jest/globals';
import { DaemonRestartError, restartDaemon } from '../../../src/daemon/restart.js';
import { systemctlShowArgs } from '../../../src/nix/detect/systemd.js';
import { ActionError } from '../../../src/util/errors.js';
import { loadCase } from '../nix/recorded-case.js';
import {
  type FakeClock,
  type ScriptedCommand,
  failed,
  fakeClock,
  fakeRoot,
  fakeSystem,
  ok,
} from './fakes.js';

const PING = ['nix', '--extra-experimental-features', 'nix-command', 'store', 'ping'];
const SOCKET = '/nix/var/nix/daemon-socket/socket';
const REFUSED = `error: cannot connect to socket at '${SOCKET}': Connection refused\n`;
const PONG = ok('', 'Store URL: daemon\nVersion: 2.31.2\n');
const SHOW = ['systemctl', ...systemctlShowArgs()];

const show = (name: string): string => loadCase(name).output(...SHOW).stdout;
const ping = (...results: ScriptedCommand['results']): ScriptedCommand => ({
  argv: PING,
  results,
  costMs: 20,
});

async function rejection(promise: Promise<unknown>): Promise<DaemonRestartError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DaemonRestartError);
  expect(error).toBeInstanceOf(ActionError);
  return error as DaemonRestartError;
}

describe('restartDaemon: systemd', () => {
  const upstream = loadCase('github-ubuntu-upstream-2.31-systemd');

  it('restarts upstream nix-daemon.service as root, waits for the ping as the user, reads the new MainPID', async () => {
    const clock = fakeClock();
    const before = show(upstream.name);
    const after = before.replace('MainPID=1882', 'MainPID=2417').replace('pid=1882', 'pid=2417');
    const sys = fakeSystem({
      platform: 'linux',
      clock,
      commands: [{ argv: SHOW, results: [ok(before), ok(after)] }, ping(failed(1, REFUSED), PONG)],
    });
    const root = fakeRoot({
      commands: [{ argv: ['systemctl', 'restart', 'nix-daemon.service'], results: [ok()] }],
    });
    const daemon = await restartDaemon({ sys, root, clock }, upstream.expected.daemon, SOCKET);
    expect(daemon).toEqual({ ...upstream.expected.daemon, pid: 2417 });
    expect(root.calls.map((c) => c.argv)).toEqual([['systemctl', 'restart', 'nix-daemon.service']]);
    expect(sys.calls.map((c) => c.argv)).toEqual([SHOW, PING, PING, SHOW]);
    const env = sys.calls[1]?.options?.env;
    expect(env).toMatchObject({ NIX_REMOTE: 'daemon', NIX_DAEMON_SOCKET_PATH: SOCKET, HOME: '/home/runner' });
    expect(clock.slept).toEqual([100]);
  });

  it('restarts Determinate (nix-daemon.service running determinate-nixd); both sockets listen', async () => {
    const determinate = loadCase('github-ubuntu-determinate-3.6-systemd');
    const before = show(determinate.name);
    const after = before.replace('MainPID=1456', 'MainPID=3001');
    const sys = fakeSystem({
      platform: 'linux',
      commands: [{ argv: SHOW, results: [ok(before), ok(after)] }, ping(PONG)],
    });
    const root = fakeRoot({
      commands: [{ argv: ['systemctl', 'restart', 'nix-daemon.service'], results: [ok()] }],
    });
    const daemon = await restartDaemon(
      { sys, root, clock: fakeClock() },
      determinate.expected.daemon,
      SOCKET,
    );
    expect(daemon).toEqual({
      manager: 'systemd',
      unit: 'nix-daemon.service',
      pid: 3001,
      command: ['/usr/local/bin/determinate-nixd', 'daemon'],
      determinate: true,
    });
    expect(root.calls.map((c) => c.argv)).toEqual([['systemctl', 'restart', 'nix-daemon.service']]);
  });

  it('socket activation: starts the socket unit when it is not listening after the restart', async () => {
    const lix = loadCase('selfhosted-lix-2.91-daemon-down');
    // After `systemctl restart`: the service runs, its socket is still stopped; then both are active.
    const running = show(lix.name)
      .replace('MainPID=0', 'MainPID=3100')
      .replace('ActiveState=failed\nSubState=failed', 'ActiveState=active\nSubState=running');
    const listening = running.replace(
      'ActiveState=inactive\nSubState=dead\nFragmentPath=/etc',
      'ActiveState=active\nSubState=listening\nFragmentPath=/etc',
    );
    const sys = fakeSystem({
      platform: 'linux',
      commands: [{ argv: SHOW, results: [ok(running), ok(listening)] }, ping(PONG)],
    });
    const root = fakeRoot({
      commands: [
        { argv: ['systemctl', 'restart', 'nix-daemon.service'], results: [ok()] },
        { argv: ['systemctl', 'start', 'nix-daemon.socket'], results: [ok()] },
      ],
    });
    const daemon = await restartDaemon({ sys, root, clock: fakeClock() }, lix.expected.daemon, SOCKET);
    expect(root.calls.map((c) => c.argv)).toEqual([
      ['systemctl', 'restart', 'nix-daemon.service'],
      ['systemctl', 'start', 'nix-daemon.socket'],
    ]);
    expect(daemon.pid).toBe(3100);
  });

  it('runs daemon-reload first when asked (a drop-in was written)', async () => {
    const sys = fakeSystem({
      platform: 'linux',
      commands: [{ argv: SHOW, results: [ok(show(upstream.name))] }, ping(PONG)],
    });
    const root = fakeRoot({
      commands: [
        { argv: ['systemctl', 'daemon-reload'], results: [ok()] },
        { argv: ['systemctl', 'restart', 'nix-daemon.service'], results: [ok()] },
      ],
    });
    await restartDaemon({ sys, root, clock: fakeClock() }, upstream.expected.daemon, SOCKET, {
      daemonReload: true,
    });
    expect(root.calls.map((c) => c.argv[1])).toEqual(['daemon-reload', 'restart']);
  });

  const STATUS = [
    '× nix-daemon.service - Nix Daemon',
    '     Loaded: loaded (/etc/systemd/system/nix-daemon.service; enabled; preset: enabled)',
    '     Active: failed (Result: exit-code) since Tue 2025-10-14 09:30:02 UTC; 2s ago',
    'TriggeredBy: ● nix-daemon.socket',
    '    Process: 2771 ExecStart=/nix/store/lh8rpx3ndg3cwk2aw4dxgyfkqr5y0c6m-nix-2.31.2/bin/nix-daemon --daemon (code=exited, status=1/FAILURE)',
    '   Main PID: 2771 (code=exited, status=1/FAILURE)',
    '',
    "Oct 14 09:30:02 runnervm nix-daemon[2771]: error: syntax error in configuration line 'substituters' in '/etc/nix/nix.conf'",
    '',
  ].join('\n');
  const statusCommand: ScriptedCommand = {
    argv: ['systemctl', 'status', '--no-pager', '--full', '--lines=20', 'nix-daemon.service'],
    results: [failed(3, '', STATUS)],
  };

  it('a failing `systemctl restart`: names the unit, the command, its output and `systemctl status`', async () => {
    const sys = fakeSystem({ platform: 'linux', commands: [] });
    const jobFailed =
      'Job for nix-daemon.service failed because the control process exited with error code.\n' +
      'See "systemctl status nix-daemon.service" and "journalctl -xeu nix-daemon.service" for details.\n';
    const root = fakeRoot({
      commands: [
        { argv: ['systemctl', 'restart', 'nix-daemon.service'], results: [failed(1, jobFailed)] },
        statusCommand,
      ],
    });
    const error = await rejection(
      restartDaemon({ sys, root, clock: fakeClock() }, upstream.expected.daemon, SOCKET),
    );
    expect(error.message).toContain('the Nix daemon (systemd unit nix-daemon.service)');
    expect(error.message).toContain(
      '`systemctl restart nix-daemon.service` exited with code 1: Job for nix-daemon.service failed',
    );
    expect(error.message).toContain("error: syntax error in configuration line 'substituters'");
    expect(error.message).toContain('journalctl -u nix-daemon.service');
    expect(error.message).toContain('sudo systemctl restart nix-daemon.service');
    expect(sys.calls).toEqual([]); // no ping: it cannot answer
    expect(error.daemon.unit).toBe('nix-daemon.service');
  });

  it('a daemon that never answers: bounded wait, the last ping error and the status', async () => {
    const clock = fakeClock();
    const sys = fakeSystem({
      platform: 'linux',
      clock,
      commands: [{ argv: SHOW, results: [ok(show(upstream.name))] }, ping(failed(1, REFUSED))],
    });
    const root = fakeRoot({
      commands: [{ argv: ['systemctl', 'restart', 'nix-daemon.service'], results: [ok()] }, statusCommand],
    });
    const started = clock.now();
    const error = await rejection(
      restartDaemon({ sys, root, clock }, upstream.expected.daemon, SOCKET, { readyTimeoutMs: 5000 }),
    );
    expect(clock.now() - started).toBeLessThanOrEqual(5000);
    expect(error.message).toMatch(
      /succeeded, but it did not answer `nix store ping` within 4\.\d s \(\d+ tries\)/,
    );
    expect(error.message).toContain(
      `last error: cannot connect to socket at '${SOCKET}': Connection refused`,
    );
    expect(error.message).toContain('Active: failed (Result: exit-code)');
    const pings = sys.calls.filter((c) => c.argv[0] === 'nix').length;
    expect(pings).toBeGreaterThan(3);
    expect(pings).toBeLessThan(15);
  });
});

describe('restartDaemon: launchd', () => {
  const print = (name: string, label: string) =>
    loadCase(name).output('launchctl', 'print', `system/${label}`).stdout;

  it.each([
    ['github-macos-upstream-launchd', 'org.nixos.nix-daemon', 1289, false],
    ['github-macos-determinate-launchd', 'systems.determinate.nix-daemon', 412, true],
  ])(
    '%s: kickstart -k system/%s as root, then the new pid from launchctl print',
    async (name, label, oldPid, determinate) => {
      const c = loadCase(name);
      const after = print(name, label).replace(`pid = ${oldPid}`, 'pid = 5150');
      const sys = fakeSystem({
        platform: 'darwin',
        commands: [
          ping(failed(1, REFUSED), PONG),
          { argv: ['launchctl', 'print', `system/${label}`], results: [ok(after)] },
        ],
      });
      const root = fakeRoot({
        commands: [{ argv: ['launchctl', 'kickstart', '-k', `system/${label}`], results: [ok()] }],
      });
      const daemon = await restartDaemon({ sys, root, clock: fakeClock() }, c.expected.daemon, SOCKET);
      expect(daemon).toEqual({ ...c.expected.daemon, pid: 5150 });
      expect(daemon.determinate).toBe(determinate);
      expect(root.calls.map((x) => x.argv)).toEqual([['launchctl', 'kickstart', '-k', `system/${label}`]]);
    },
  );

  it('a job launchd does not know: the kickstart error, what launchctl print says, how to load it', async () => {
    const c = loadCase('github-macos-upstream-launchd');
    const missing = 'Could not find service "org.nixos.nix-daemon" in domain for system\n';
    const sys = fakeSystem({ platform: 'darwin', commands: [] });
    const root = fakeRoot({
      commands: [
        {
          argv: ['launchctl', 'kickstart', '-k', 'system/org.nixos.nix-daemon'],
          results: [failed(113, missing)],
        },
        { argv: ['launchctl', 'print', 'system/org.nixos.nix-daemon'], results: [failed(113, missing)] },
      ],
    });
    const error = await rejection(
      restartDaemon({ sys, root, clock: fakeClock() }, c.expected.daemon, SOCKET),
    );
    expect(error.message).toContain('the Nix daemon (launchd job system/org.nixos.nix-daemon)');
    expect(error.message).toContain(
      '`launchctl kickstart -k system/org.nixos.nix-daemon` exited with code 113: Could not find service',
    );
    expect(error.message).toContain(
      'sudo launchctl bootstrap system /Library/LaunchDaemons/org.nixos.nix-daemon.plist',
    );
  });

  it('a job that restarts but never answers: its state and log path from launchctl print', async () => {
    const c = loadCase('github-macos-determinate-launchd');
    const label = 'systems.determinate.nix-daemon';
    const clock = fakeClock();
    const sys = fakeSystem({ platform: 'darwin', clock, commands: [ping(failed(1, REFUSED))] });
    const root = fakeRoot({
      commands: [
        { argv: ['launchctl', 'kickstart', '-k', `system/${label}`], results: [ok()] },
        { argv: ['launchctl', 'print', `system/${label}`], results: [ok(print(c.name, label))] },
      ],
    });
    const error = await rejection(
      restartDaemon({ sys, root, clock }, c.expected.daemon, SOCKET, { readyTimeoutMs: 3000 }),
    );
    expect(error.message).toContain(
      "Determinate Nix's daemon (launchd job system/systems.determinate.nix-daemon)",
    );
    expect(error.message).toContain('state = running');
    expect(error.message).toContain('See why in /var/log/determinate-nix-daemon.log');
    expect(error.message).toContain('Connection refused');
  });
});

describe('restartDaemon: bare process', () => {
  const debian = loadCase('debian-nix-2.8-runner-daemon');
  const running =
    '7001 (nix-daemon) S 1 7001 7001 0 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 99999 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1\n';

  it('restarts through Privileged.restartProcess and waits for the ping; the new pid and argv', async () => {
    const sys = fakeSystem({
      platform: 'linux',
      commands: [ping(failed(1, REFUSED), PONG)],
      files: { '/proc/7001/stat': running },
    });
    const root = fakeRoot({
      restartProcess: () => Promise.resolve({ pid: 7001, argv: ['nix-daemon', '--daemon'] }),
    });
    const daemon = await restartDaemon({ sys, root, clock: fakeClock() }, debian.expected.daemon, SOCKET);
    expect(daemon).toEqual({
      manager: 'process',
      pid: 7001,
      command: ['nix-daemon', '--daemon'],
      determinate: false,
    });
    expect(root.restarts).toEqual([{ pid: 17690, options: { stopTimeoutMs: 10_000 } }]);
  });

  it('a start that fails: the reason, and how to start it by hand; the error keeps the old pid for a rollback', async () => {
    const sys = fakeSystem({ platform: 'linux', commands: [] });
    const reason =
      '`nix-daemon --daemon`, started again in place of pid 17690, exited with code 1 within 12 ms; pid 17690 is stopped and nothing runs in its place.';
    const root = fakeRoot({ restartProcess: () => Promise.reject(new Error(reason)) });
    const error = await rejection(
      restartDaemon({ sys, root, clock: fakeClock() }, debian.expected.daemon, SOCKET, {
        stopTimeoutMs: 2000,
      }),
    );
    expect(error.message).toContain('the Nix daemon (bare root process 17690: nix-daemon --daemon)');
    expect(error.message).toContain(
      '(as root, through sudo) did not work: `nix-daemon --daemon`, started again',
    );
    expect(error.message).toContain('sudo setsid nix-daemon --daemon');
    expect(error.daemon).toEqual(debian.expected.daemon);
    expect(root.restarts[0]?.options).toEqual({ stopTimeoutMs: 2000 });
  });

  it('a new process that exits before answering ends the wait early; the error carries the new pid', async () => {
    const clock: FakeClock = fakeClock();
    const zombie = running.replace(') S ', ') Z ');
    const sys = fakeSystem({
      platform: 'linux',
      clock,
      commands: [ping(failed(1, REFUSED))],
      files: { '/proc/7001/stat': zombie },
    });
    const root = fakeRoot({
      restartProcess: () => Promise.resolve({ pid: 7001, argv: ['nix-daemon', '--daemon'] }),
    });
    const error = await rejection(restartDaemon({ sys, root, clock }, debian.expected.daemon, SOCKET));
    expect(error.message).toContain('started again as pid 7001');
    expect(error.message).toContain('(1 tries)');
    expect(error.message).toContain('Connection refused (process 7001 has exited)');
    expect(error.daemon.pid).toBe(7001);
  });

  it('refuses without a pid', async () => {
    const sys = fakeSystem({ platform: 'linux', commands: [] });
    const error = await rejection(
      restartDaemon(
        { sys, root: fakeRoot({}), clock: fakeClock() },
        { manager: 'process', determinate: false },
        SOCKET,
      ),
    );
    expect(error.message).toMatch(/pid is not known/);
  });
});

describe('restartDaemon: no daemon', () => {
  it('has nothing to do', async () => {
    const sys = fakeSystem({ platform: 'linux', commands: [] });
    const root = fakeRoot({});
    const daemon = { manager: 'none', determinate: false } as const;
    expect(await restartDaemon({ sys, root }, daemon, undefined)).toBe(daemon);
    expect(sys.calls).toEqual([]);
    expect(root.calls).toEqual([]);
  });
});
