/** The restart's command lines and reading the daemon back from systemctl/launchctl output. */
import { describe, expect, it } from '@jest/globals';
import {
  describeDaemon,
  inactiveSockets,
  launchctlKickstartArgs,
  launchctlPrintArgs,
  launchdAfterRestart,
  launchdLog,
  launchdSummary,
  socketUnitsFor,
  systemctlRestartArgs,
  systemctlStartArgs,
  systemctlStatusArgs,
  systemdAfterRestart,
} from '../../../src/daemon/commands.js';
import type { NixDaemon } from '../../../src/nix/environment.js';
import { systemctlShowArgs } from '../../../src/nix/detect/systemd.js';
import { loadCase } from '../nix/recorded-case.js';

const show = (name: string) => loadCase(name).output('systemctl', ...systemctlShowArgs()).stdout;
const print = (name: string, label: string) =>
  loadCase(name).output('launchctl', 'print', `system/${label}`).stdout;
const daemonOf = (name: string): NixDaemon => loadCase(name).expected.daemon;

describe('command lines', () => {
  it('systemctl and launchctl', () => {
    expect(systemctlRestartArgs('nix-daemon.service')).toEqual(['restart', 'nix-daemon.service']);
    expect(systemctlStartArgs(['nix-daemon.socket', 'determinate-nixd.socket'])).toEqual([
      'start',
      'nix-daemon.socket',
      'determinate-nixd.socket',
    ]);
    expect(systemctlStatusArgs('nix-daemon.service')).toEqual([
      'status',
      '--no-pager',
      '--full',
      '--lines=20',
      'nix-daemon.service',
    ]);
    expect(launchctlKickstartArgs('org.nixos.nix-daemon')).toEqual([
      'kickstart',
      '-k',
      'system/org.nixos.nix-daemon',
    ]);
    expect(launchctlPrintArgs('systems.determinate.nix-daemon')).toEqual([
      'print',
      'system/systems.determinate.nix-daemon',
    ]);
  });
});

describe('sockets', () => {
  it("upstream's socket; Determinate's two", () => {
    expect(socketUnitsFor(daemonOf('github-ubuntu-upstream-2.31-systemd'))).toEqual(['nix-daemon.socket']);
    expect(socketUnitsFor(daemonOf('github-ubuntu-determinate-3.6-systemd'))).toEqual([
      'nix-daemon.socket',
      'determinate-nixd.socket',
    ]);
    expect(
      socketUnitsFor({ manager: 'systemd', unit: 'determinate-nixd.service', determinate: true }),
    ).toEqual(['determinate-nixd.socket']);
  });

  it('finds the loaded socket units that are not active', () => {
    const lix = 'selfhosted-lix-2.91-daemon-down';
    expect(inactiveSockets(show(lix), daemonOf(lix))).toEqual(['nix-daemon.socket']);
    const up = 'github-ubuntu-upstream-2.31-systemd';
    expect(inactiveSockets(show(up), daemonOf(up))).toEqual([]);
    const det = 'github-ubuntu-determinate-3.6-systemd';
    expect(inactiveSockets(show(det), daemonOf(det))).toEqual([]);
    // Not found units are not started.
    expect(inactiveSockets(show(up), { ...daemonOf(up), determinate: true })).toEqual([]);
  });
});

describe('reading the daemon back', () => {
  it('systemd: the unit as it runs now, its MainPID', () => {
    const name = 'github-ubuntu-upstream-2.31-systemd';
    const after = show(name).replace('MainPID=1882', 'MainPID=2417');
    expect(systemdAfterRestart(after, daemonOf(name))).toEqual({ ...daemonOf(name), pid: 2417 });
    // A unit that is not active after all: no pid.
    const lix = 'selfhosted-lix-2.91-daemon-down';
    expect(systemdAfterRestart(show(lix), daemonOf(lix)).pid).toBeUndefined();
    // Output that says nothing of the unit: what we knew, without the old pid.
    expect(systemdAfterRestart('', daemonOf(name))).toEqual({
      manager: 'systemd',
      unit: 'nix-daemon.service',
      command: daemonOf(name).command,
      determinate: false,
    });
  });

  it('launchd: the job, its new pid', () => {
    const name = 'github-macos-upstream-launchd';
    const after = print(name, 'org.nixos.nix-daemon').replace('pid = 1289', 'pid = 77');
    expect(launchdAfterRestart(after, daemonOf(name))).toEqual({ ...daemonOf(name), pid: 77 });
    expect(
      launchdAfterRestart(
        'Could not find service "org.nixos.nix-daemon" in domain for system',
        daemonOf(name),
      ).pid,
    ).toBeUndefined();
  });

  it("launchd: the lines worth showing and the job's log", () => {
    const text = print('github-macos-determinate-launchd', 'systems.determinate.nix-daemon');
    expect(launchdSummary(text).split('\n')).toEqual([
      'state = running',
      'stdout path = /var/log/determinate-nix-daemon.log',
      'stderr path = /var/log/determinate-nix-daemon.log',
      'pid = 412',
      'last exit code = (never exited)',
      'job state = running',
    ]);
    expect(launchdLog(text)).toBe('/var/log/determinate-nix-daemon.log');
  });
});

describe('describeDaemon', () => {
  it('names the manager and the unit, job or process', () => {
    expect(describeDaemon(daemonOf('github-ubuntu-determinate-3.6-systemd'))).toBe(
      "Determinate Nix's daemon (systemd unit nix-daemon.service)",
    );
    expect(describeDaemon(daemonOf('github-macos-upstream-launchd'))).toBe(
      'the Nix daemon (launchd job system/org.nixos.nix-daemon)',
    );
    expect(describeDaemon(daemonOf('debian-nix-2.8-runner-daemon'))).toBe(
      'the Nix daemon (bare root process 17690: nix-daemon --daemon)',
    );
  });
});
