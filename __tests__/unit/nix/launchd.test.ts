import { describe, expect, it } from '@jest/globals';
import { launchdDaemon, parseLaunchctlPrint } from '../../../src/nix/detect/launchd.js';
import { loadCase } from './recorded-case.js';

const print = (name: string, label: string) => loadCase(name).output('launchctl', 'print', `system/${label}`);

describe('parseLaunchctlPrint', () => {
  it('reads the top-level state, pid, plist path and arguments of the upstream job', () => {
    const job = parseLaunchctlPrint(print('github-macos-upstream-launchd', 'org.nixos.nix-daemon').stdout);
    expect(job).toEqual({
      label: 'org.nixos.nix-daemon',
      state: 'running',
      pid: 1289,
      path: '/Library/LaunchDaemons/org.nixos.nix-daemon.plist',
      program: '/nix/var/nix/profiles/default/bin/nix-daemon',
      arguments: ['/nix/var/nix/profiles/default/bin/nix-daemon'],
    });
  });

  it("is not misled by nested blocks' own state lines (coalitions, sockets)", () => {
    const job = parseLaunchctlPrint(
      print('github-macos-determinate-launchd', 'systems.determinate.nix-daemon').stdout,
    );
    expect(job).toMatchObject({ label: 'systems.determinate.nix-daemon', state: 'running', pid: 412 });
    expect(job?.arguments).toEqual(['/usr/local/bin/determinate-nixd', 'daemon']);
  });

  it('reads a job that is not running (no pid)', () => {
    const text = [
      'system/org.nixos.nix-daemon = {',
      '\tactive count = 0',
      '\tpath = /Library/LaunchDaemons/org.nixos.nix-daemon.plist',
      '\ttype = LaunchDaemon',
      '\tstate = not running',
      '',
      '\tprogram = /bin/sh',
      '\targuments = {',
      '\t\t/bin/sh',
      '\t\t-c',
      '\t\t/bin/wait4path /nix/var/nix/profiles/default/bin/nix-daemon && exec /nix/var/nix/profiles/default/bin/nix-daemon',
      '\t}',
      '',
      '\tlast exit code = 0',
      '}',
      '',
    ].join('\n');
    expect(parseLaunchctlPrint(text)).toEqual({
      label: 'org.nixos.nix-daemon',
      state: 'not running',
      path: '/Library/LaunchDaemons/org.nixos.nix-daemon.plist',
      program: '/bin/sh',
      arguments: [
        '/bin/sh',
        '-c',
        '/bin/wait4path /nix/var/nix/profiles/default/bin/nix-daemon && exec /nix/var/nix/profiles/default/bin/nix-daemon',
      ],
    });
  });

  it('gives nothing for a job that does not exist', () => {
    const missing = print('github-macos-upstream-launchd', 'systems.determinate.nix-daemon');
    expect(missing.code).toBe(113);
    expect(parseLaunchctlPrint(missing.stdout + missing.stderr)).toBeUndefined();
  });
});

describe('launchdDaemon', () => {
  const job = (label: string, state: string, pid?: number) => ({
    label,
    state,
    ...(pid === undefined ? {} : { pid }),
    program: '/nix/var/nix/profiles/default/bin/nix-daemon',
    arguments: [],
  });

  it('prefers the running job, records its label and pid', () => {
    expect(
      launchdDaemon([
        job('org.nixos.nix-daemon', 'not running'),
        job('systems.determinate.nix-daemon', 'running', 9),
      ]),
    ).toEqual({
      manager: 'launchd',
      unit: 'systems.determinate.nix-daemon',
      pid: 9,
      command: ['/nix/var/nix/profiles/default/bin/nix-daemon'],
      determinate: true,
    });
  });

  it('keeps a stopped job (launchctl kickstart starts it) and nothing without a job', () => {
    expect(launchdDaemon([job('org.nixos.nix-daemon', 'not running'), undefined])).toMatchObject({
      manager: 'launchd',
      unit: 'org.nixos.nix-daemon',
      determinate: false,
    });
    expect(launchdDaemon([job('org.nixos.nix-daemon', 'not running')])?.pid).toBeUndefined();
    expect(launchdDaemon([undefined, undefined])).toBeUndefined();
  });
});
