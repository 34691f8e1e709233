import { describe, expect, it } from '@jest/globals';
import { probeDaemon } from '../../../src/nix/detect/manager.js';
import { systemctlShowArgs } from '../../../src/nix/detect/systemd.js';
import { fakeSystem } from './fake-system.js';
import { loadCase } from './recorded-case.js';

describe('probeDaemon', () => {
  it('ignores systemd unit files when systemd is not running (this machine has them): scans /proc', async () => {
    const c = loadCase('debian-nix-2.8-runner-daemon');
    const sys = fakeSystem(c);
    expect(await probeDaemon(sys)).toEqual(c.expected.daemon);
    expect(sys.calls.some((call) => call[0] === 'systemctl')).toBe(false);
  });

  it('prefers a hand-started daemon to a stopped unit on a systemd machine', async () => {
    const recorded = loadCase('debian-nix-2.8-runner-daemon');
    const lix = loadCase('selfhosted-lix-2.91-daemon-down');
    const sys = fakeSystem(recorded, {
      kinds: { '/run/systemd/system': 'directory' },
      commands: [
        {
          argv: ['systemctl', ...systemctlShowArgs()],
          code: 0,
          stdout: lix.output('systemctl', ...systemctlShowArgs()).stdout,
        },
      ],
    });
    expect(await probeDaemon(sys)).toEqual(recorded.expected.daemon);
  });

  it('keeps the stopped unit when no process serves either (restarting the unit is the way)', async () => {
    const c = loadCase('selfhosted-lix-2.91-daemon-down');
    expect((await probeDaemon(fakeSystem(c))).manager).toBe('systemd');
  });

  it('does not scan processes when systemd serves the daemon', async () => {
    const c = loadCase('github-ubuntu-upstream-2.31-systemd');
    const sys = fakeSystem(c);
    await probeDaemon(sys);
    expect(sys.calls).toEqual([['systemctl', ...systemctlShowArgs()]]);
  });

  it('falls back to ps on macOS when neither launchd job exists', async () => {
    const c = loadCase('github-macos-upstream-launchd');
    const missing = (label: string) => ({
      argv: ['launchctl', 'print', `system/${label}`],
      code: 113,
      stderr: `Could not find service "${label}" in domain for system\n`,
    });
    const sys = fakeSystem(c, {
      commands: [
        missing('org.nixos.nix-daemon'),
        missing('systems.determinate.nix-daemon'),
        {
          argv: ['ps', '-axo', 'pid=,ppid=,uid=,command='],
          code: 0,
          stdout:
            '    1     0     0 /sbin/launchd\n  640     1     0 /nix/var/nix/profiles/default/bin/nix-daemon\n',
        },
      ],
    });
    expect(await probeDaemon(sys)).toEqual({
      manager: 'process',
      pid: 640,
      command: ['/nix/var/nix/profiles/default/bin/nix-daemon'],
      determinate: false,
    });
  });
});
