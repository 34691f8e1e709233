import { describe, expect, it } from '@jest/globals';
import {
  isDaemonArgv,
  parseCmdline,
  parsePs,
  parseStatPpid,
  pickDaemonProcess,
  processDaemon,
} from '../../../src/nix/detect/processes.js';
import { scanProc } from '../../../src/nix/detect/manager.js';
import { fakeSystem } from './fake-system.js';
import { loadCase } from './recorded-case.js';

const recorded = loadCase('debian-nix-2.8-runner-daemon');
const procFile = (path: string): string => recorded.text(recorded.spec.files?.[path]);
const daemonPid = recorded.expected.daemon.pid ?? 0;
const workerPid = Number(
  (recorded.spec.dirs?.['/proc'] ?? []).find((p) => /^\d+$/.test(p) && Number(p) !== daemonPid),
);

describe('/proc parsing on the recorded Nix 2.8 daemon and its per-connection worker', () => {
  it('reads the daemon command line and parent', () => {
    expect(parseCmdline(procFile(`/proc/${daemonPid}/cmdline`))).toEqual(['nix-daemon', '--daemon']);
    expect(parseStatPpid(procFile(`/proc/${daemonPid}/stat`))).toBe(1);
  });

  it('reads the worker, whose retitled command line leaves NUL padding, and finds its parent is the daemon', () => {
    const argv = parseCmdline(procFile(`/proc/${workerPid}/cmdline`));
    expect(argv[0]).toBe('nix-daemon');
    expect(argv).toHaveLength(2);
    expect(parseStatPpid(procFile(`/proc/${workerPid}/stat`))).toBe(daemonPid);
  });

  it('scanProc + pickDaemonProcess keep the daemon and skip the worker', async () => {
    const processes = await scanProc(fakeSystem(recorded));
    expect(processes.map((p) => p.pid).sort()).toEqual([daemonPid, workerPid].sort());
    expect(pickDaemonProcess(processes)).toEqual({
      pid: daemonPid,
      ppid: 1,
      argv: ['nix-daemon', '--daemon'],
    });
  });
});

describe('parseStatPpid', () => {
  it('copes with spaces and parentheses in the command name', () => {
    expect(parseStatPpid('42 (nix (daemon) x) S 7 42 42 0 -1')).toBe(7);
    expect(parseStatPpid('garbage')).toBeUndefined();
  });
});

describe('isDaemonArgv', () => {
  it.each([
    [['nix-daemon', '--daemon'], true],
    [['/nix/var/nix/profiles/default/bin/nix-daemon'], true],
    [['/usr/bin/nix', 'daemon', '--stdio'], true],
    [['/usr/local/bin/determinate-nixd', 'daemon'], true],
    [['/usr/local/bin/determinate-nixd', 'version'], false],
    [['nix', '--extra-experimental-features', 'nix-command', 'store', 'ping'], false],
    [['sudo', 'nix-daemon'], false],
    [['/usr/bin/nix-daemon-wrapper'], false],
    [[], false],
  ])('%j → %s', (argv, expected) => {
    expect(isDaemonArgv(argv)).toBe(expected);
  });
});

describe('pickDaemonProcess', () => {
  it("skips children of a daemon: workers, and Determinate's nix daemon under determinate-nixd", () => {
    const nixd = { pid: 500, ppid: 1, argv: ['/usr/local/bin/determinate-nixd', 'daemon'] };
    const inner = { pid: 520, ppid: 500, argv: ['/nix/var/nix/profiles/default/bin/nix', 'daemon'] };
    const worker = { pid: 600, ppid: 520, argv: ['/nix/var/nix/profiles/default/bin/nix', 'daemon'] };
    expect(pickDaemonProcess([worker, inner, nixd])).toBe(nixd);
    expect(processDaemon(nixd)).toEqual({
      manager: 'process',
      pid: 500,
      command: ['/usr/local/bin/determinate-nixd', 'daemon'],
      determinate: true,
    });
  });

  it('skips a worker even when its pid is lower than the daemon’s (pids wrap around)', () => {
    const daemon = { pid: 31000, ppid: 1, argv: ['nix-daemon', '--daemon'] };
    const worker = { pid: 150, ppid: 31000, argv: ['nix-daemon', '4242'] };
    expect(pickDaemonProcess([worker, daemon])).toBe(daemon);
  });

  it('takes the oldest of independent daemons, and nothing when there is none', () => {
    const a = { pid: 900, ppid: 1, argv: ['nix-daemon'] };
    const b = { pid: 300, ppid: 1, argv: ['nix-daemon'] };
    expect(pickDaemonProcess([a, b])).toBe(b);
    expect(pickDaemonProcess([{ pid: 1, ppid: 0, argv: ['/sbin/init'] }])).toBeUndefined();
    expect(processDaemon(undefined)).toEqual({ manager: 'none', determinate: false });
  });
});

describe('parsePs (macOS without a launchd job)', () => {
  it('reads pid, ppid and the command split into words', () => {
    const out = [
      '    1     0     0 /sbin/launchd',
      '  812     1     0 /nix/var/nix/profiles/default/bin/nix-daemon',
      '  990   812     0 /nix/var/nix/profiles/default/bin/nix-daemon',
      ' 1001   950   501 -zsh',
      '',
    ].join('\n');
    const processes = parsePs(out);
    expect(processes).toHaveLength(4);
    expect(pickDaemonProcess(processes)).toEqual({
      pid: 812,
      ppid: 1,
      argv: ['/nix/var/nix/profiles/default/bin/nix-daemon'],
    });
  });
});
