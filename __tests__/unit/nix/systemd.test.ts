import { describe, expect, it } from '@jest/globals';
import {
  parseExecStart,
  parseSystemctlShow,
  systemctlShowArgs,
  systemdDaemon,
} from '../../../src/nix/detect/systemd.js';
import { loadCase } from './recorded-case.js';

const show = (name: string) => loadCase(name).output('systemctl', ...systemctlShowArgs()).stdout;

describe('systemctlShowArgs', () => {
  it('asks for the daemon units of upstream and Determinate in one call', () => {
    expect(systemctlShowArgs()).toEqual([
      'show',
      '--property=Id,LoadState,ActiveState,SubState,MainPID,FragmentPath,ExecStart',
      'nix-daemon.service',
      'nix-daemon.socket',
      'determinate-nixd.service',
      'determinate-nixd.socket',
    ]);
  });
});

describe('parseExecStart', () => {
  it('runs the path, with argv[1…] (argv[0] may be a different name: ExecStart=@path name …)', () => {
    expect(
      parseExecStart(
        '{ path=/nix/store/x-nix/bin/nix-daemon ; argv[]=nix-daemon --daemon ; ignore_errors=no ; start_time=[n/a] ; stop_time=[n/a] ; pid=0 ; code=(null) ; status=0/0 }',
      ),
    ).toEqual(['/nix/store/x-nix/bin/nix-daemon', '--daemon']);
    expect(parseExecStart('{ path=/usr/bin/nix-daemon ; argv[]=/usr/bin/nix-daemon }')).toEqual([
      '/usr/bin/nix-daemon',
    ]);
    expect(parseExecStart('')).toBeUndefined();
  });
});

describe('parseSystemctlShow', () => {
  it('reads one block per unit, whatever the property order', () => {
    const units = parseSystemctlShow(show('github-ubuntu-upstream-2.31-systemd'));
    expect(units.map((u) => [u.id, u.loadState, u.activeState, u.subState])).toEqual([
      ['nix-daemon.service', 'loaded', 'active', 'running'],
      ['nix-daemon.socket', 'loaded', 'active', 'running'],
      ['determinate-nixd.service', 'not-found', 'inactive', 'dead'],
      ['determinate-nixd.socket', 'not-found', 'inactive', 'dead'],
    ]);
    expect(units[0]).toMatchObject({ mainPid: 1882, fragmentPath: '/etc/systemd/system/nix-daemon.service' });
    expect(units[2]?.mainPid).toBeUndefined();
    expect(units[2]?.command).toBeUndefined();
  });
});

describe('systemdDaemon', () => {
  it('finds the upstream service with its pid and command', () => {
    expect(systemdDaemon(parseSystemctlShow(show('github-ubuntu-upstream-2.31-systemd')))).toEqual({
      daemon: {
        manager: 'systemd',
        unit: 'nix-daemon.service',
        pid: 1882,
        command: ['/nix/store/lh8rpx3ndg3cwk2aw4dxgyfkqr5y0c6m-nix-2.31.2/bin/nix-daemon', '--daemon'],
        determinate: false,
      },
      serving: true,
    });
  });

  it("recognises Determinate's service by its determinate-nixd ExecStart", () => {
    const verdict = systemdDaemon(parseSystemctlShow(show('github-ubuntu-determinate-3.6-systemd')));
    expect(verdict?.daemon).toMatchObject({ unit: 'nix-daemon.service', determinate: true, pid: 1456 });
  });

  it('reports a failed service with a stopped socket as not serving, without a pid', () => {
    const verdict = systemdDaemon(parseSystemctlShow(show('selfhosted-lix-2.91-daemon-down')));
    expect(verdict?.serving).toBe(false);
    expect(verdict?.daemon.pid).toBeUndefined();
    expect(verdict?.daemon.unit).toBe('nix-daemon.service');
  });

  it('counts a listening socket as serving: socket activation starts the service on the first connection', () => {
    const text = [
      'MainPID=0',
      'ExecStart={ path=/usr/bin/nix-daemon ; argv[]=nix-daemon --daemon ; ignore_errors=no ; start_time=[n/a] ; stop_time=[n/a] ; pid=0 ; code=(null) ; status=0/0 }',
      'Id=nix-daemon.service',
      'LoadState=loaded',
      'ActiveState=inactive',
      'SubState=dead',
      'FragmentPath=/lib/systemd/system/nix-daemon.service',
      '',
      'Id=nix-daemon.socket',
      'LoadState=loaded',
      'ActiveState=active',
      'SubState=listening',
      'FragmentPath=/lib/systemd/system/nix-daemon.socket',
      '',
    ].join('\n');
    expect(systemdDaemon(parseSystemctlShow(text))).toEqual({
      daemon: {
        manager: 'systemd',
        unit: 'nix-daemon.service',
        command: ['/usr/bin/nix-daemon', '--daemon'],
        determinate: false,
      },
      serving: true,
    });
  });

  it('finds nothing when no daemon service is loaded (unit files not installed or masked away)', () => {
    expect(
      systemdDaemon(parseSystemctlShow('Id=nix-daemon.service\nLoadState=not-found\nActiveState=inactive\n')),
    ).toBe(undefined);
    expect(systemdDaemon([])).toBeUndefined();
  });

  it('takes determinate-nixd.service when that is the unit there is', () => {
    const text =
      'MainPID=77\nId=determinate-nixd.service\nLoadState=loaded\nActiveState=active\nSubState=running\n';
    expect(systemdDaemon(parseSystemctlShow(text))?.daemon).toEqual({
      manager: 'systemd',
      unit: 'determinate-nixd.service',
      pid: 77,
      determinate: true,
    });
  });
});
