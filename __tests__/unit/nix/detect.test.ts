import { describe, expect, it } from '@jest/globals';
import { detectEnvironment } from '../../../src/nix/detect.js';
import { ActionError } from '../../../src/util/errors.js';
import { fakeSystem } from './fake-system.js';
import { listCases, loadCase } from './recorded-case.js';

const NIX = ['nix', '--extra-experimental-features', 'nix-command'];

describe('detectEnvironment against every recorded case', () => {
  const cases = listCases();

  it('has the cases the project promises (real 2.8 recordings and transcribed installs)', () => {
    expect(cases).toEqual(
      expect.arrayContaining([
        'debian-nix-2.8-root-local',
        'debian-nix-2.8-runner-daemon',
        'debian-nix-2.8-root-no-daemon',
        'github-ubuntu-upstream-2.31-systemd',
        'github-ubuntu-determinate-3.6-systemd',
        'github-macos-upstream-launchd',
        'github-macos-determinate-launchd',
        'selfhosted-lix-2.91-daemon-down',
        'container-upstream-single-user',
      ]),
    );
  });

  it.each(cases)('%s', async (name) => {
    const c = loadCase(name);
    const sys = fakeSystem(c);
    expect(await detectEnvironment(sys)).toEqual(c.expected);
    // Every recorded command was asked for: a recording detection no longer needs is stale.
    for (const cmd of c.spec.commands) expect(sys.calls).toContainEqual([...cmd.argv]);
  });

  it.each(cases)('%s: asks `nix --version` first and gives every command a timeout', async (name) => {
    const sys = fakeSystem(loadCase(name));
    await detectEnvironment(sys);
    expect(sys.calls[0]).toEqual(['nix', '--version']);
    for (const options of sys.options) expect(options?.timeoutMs).toBeGreaterThan(0);
  });
});

describe('detectEnvironment when Nix is missing or broken', () => {
  const c = loadCase('debian-nix-2.8-runner-daemon');

  it('says Nix is not installed and what to do when `nix` cannot be found', async () => {
    const sys = fakeSystem(c, {
      commands: [{ argv: ['nix', '--version'], code: 127, stderr: 'nix: not found' }],
    });
    const failure = detectEnvironment(sys);
    await expect(failure).rejects.toBeInstanceOf(ActionError);
    await expect(failure).rejects.toThrow(/Nix is not installed.*installs Nix before this action/);
    expect(sys.calls).toEqual([['nix', '--version']]);
  });

  it('reports what `nix --version` said when it fails or prints something else', async () => {
    const broken = fakeSystem(c, {
      commands: [{ argv: ['nix', '--version'], code: 1, stderr: 'error: cannot load libnixstore.so' }],
    });
    await expect(detectEnvironment(broken)).rejects.toThrow(/cannot load libnixstore\.so/);
    const odd = fakeSystem(c, { commands: [{ argv: ['nix', '--version'], code: 0, stdout: 'hello\n' }] });
    await expect(detectEnvironment(odd)).rejects.toThrow(/`nix --version` did not work \(hello\)/);
  });
});

describe('detectEnvironment when the store does not say which it is', () => {
  const c = loadCase('debian-nix-2.8-runner-daemon');
  const pingTimedOut = {
    argv: [...NIX, 'store', 'ping'],
    code: 124,
    stderr: 'nix: timed out after 30000 ms\n',
  };

  it("applies Nix's auto rule: the state directory is not writable, the socket exists → daemon", async () => {
    const sys = fakeSystem(c, {
      commands: [pingTimedOut, { argv: ['test', '-w', '/nix/var/nix'], code: 1 }],
      kinds: { '/nix/var/nix/daemon-socket/socket': 'socket' },
    });
    const env = await detectEnvironment(sys);
    expect(env.store).toEqual({
      mode: 'daemon',
      url: 'daemon',
      socket: '/nix/var/nix/daemon-socket/socket',
      error: 'nix: timed out after 30000 ms',
    });
    // No answer from the daemon: trust comes from the configuration it reads.
    expect(env.trust).toEqual({ trusted: false, source: 'config', trustedUsers: ['root'] });
  });

  it('uses the state directory and socket named by NIX_STATE_DIR', async () => {
    const sys = fakeSystem(c, {
      env: { NIX_STATE_DIR: '/srv/nix/var' },
      commands: [pingTimedOut, { argv: ['test', '-w', '/srv/nix/var'], code: 0 }],
    });
    const env = await detectEnvironment(sys);
    expect(env.store.mode).toBe('local');
    expect(env.trust.source).toBe('local-store');
    expect(sys.calls).toContainEqual(['test', '-w', '/srv/nix/var']);
  });

  it('takes the store setting when it is not auto (NIX_REMOTE=daemon shows up there)', async () => {
    const settings = c.output(...NIX, 'show-config', '--json');
    const sys = fakeSystem(c, {
      commands: [
        pingTimedOut,
        {
          argv: [...NIX, 'show-config', '--json'],
          code: 0,
          stdout: settings.stdout.replace('"value":"auto"', '"value":"daemon"'),
        },
      ],
    });
    const env = await detectEnvironment(sys);
    expect(env.store.mode).toBe('daemon');
    expect(env.config.settings['store']).toBe('daemon');
    expect(sys.calls.some((call) => call[0] === 'test')).toBe(false);
  });

  it('asks for the groups only when trusted-users names one and the daemon did not answer', async () => {
    const lix = loadCase('selfhosted-lix-2.91-daemon-down');
    const sys = fakeSystem(lix, { commands: [{ argv: ['id', '-Gn'], code: 0, stdout: 'ci docker\n' }] });
    expect((await detectEnvironment(sys)).trust).toEqual({
      trusted: false,
      source: 'config',
      trustedUsers: ['root', '@wheel'],
    });
    const recorded = fakeSystem(c);
    await detectEnvironment(recorded);
    expect(recorded.calls.some((call) => call[0] === 'id')).toBe(false);
  });
});

describe('detectEnvironment: Determinate Nix before 3.0', () => {
  it('is recognised by its daemon binary when the version line looks upstream', async () => {
    const c = loadCase('github-ubuntu-determinate-3.6-systemd');
    const sys = fakeSystem(c, {
      commands: [{ argv: ['nix', '--version'], code: 0, stdout: 'nix (Nix) 2.24.10\n' }],
    });
    const env = await detectEnvironment(sys);
    expect(env.nix).toEqual({
      implementation: 'determinate',
      version: '2.24.10',
      versionLine: 'nix (Nix) 2.24.10',
    });
  });

  it('finds determinate-nixd on PATH too (NixOS module installs), and not without it', async () => {
    const c = loadCase('github-ubuntu-upstream-2.31-systemd');
    const onPath = fakeSystem(c, {
      env: { PATH: '/run/wrappers/bin:/run/current-system/sw/bin' },
      kinds: { '/run/current-system/sw/bin/determinate-nixd': 'file' },
    });
    expect((await detectEnvironment(onPath)).nix.implementation).toBe('determinate');
    const elsewhere = fakeSystem(c, {
      env: { PATH: '/usr/bin' },
      kinds: { '/opt/determinate-nixd': 'file' },
    });
    expect((await detectEnvironment(elsewhere)).nix.implementation).toBe('nix');
  });
});
