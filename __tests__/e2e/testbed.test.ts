// Proves the real-Nix test bed: a root nix-daemon reachable by the untrusted `runner` user, an
// offline nix.conf, and the sample flake building and evaluating through the daemon.
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readlink, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describeE2E } from '../testbed/e2e.js';
import {
  copySampleFlake,
  DAEMON_PID_FILE,
  DAEMON_WRAPPER,
  loginEnv,
  NIX_CONF,
  RUNNER,
  runAs,
  SOCKET_PATH,
  testbed,
  userInfo,
  type RunResult,
} from '../testbed/run-as.js';

const STORE_PATH = /^\/nix\/store\/[0-9a-df-np-sv-z]{32}-[^/]+$/;

function ok(r: RunResult): RunResult {
  if (r.code !== 0) throw new Error(`exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

const asRunner = async (argv: readonly string[]) => runAs(RUNNER, argv);
const nixJson = async (argv: readonly string[]): Promise<unknown> =>
  JSON.parse(ok(await asRunner(['nix', ...argv, '--json'])).stdout) as unknown;

async function daemonPid(): Promise<number> {
  return Number((await readFile(DAEMON_PID_FILE, 'utf8')).trim());
}

describeE2E('the real-Nix test bed', () => {
  let flake = '';
  let keys = '';

  beforeAll(async () => {
    flake = await copySampleFlake();
    keys = await mkdtemp(path.join(tmpdir(), 'nca-keys-'));
    ok(
      await runAs('root', [
        'nix-store',
        '--generate-binary-cache-key',
        'nca-test-1',
        `${keys}/sk`,
        `${keys}/pk`,
      ]),
    );
    ok(await runAs('root', ['chmod', '-R', 'a+rX', keys]));
  });
  afterAll(async () => {
    await rm(flake, { recursive: true, force: true });
    await rm(keys, { recursive: true, force: true });
  });

  it('is up, with the offline test configuration', async () => {
    expect((await testbed('status')).stdout).toMatch(/^up: nix-daemon \d+ /);
    const conf = await readFile(NIX_CONF, 'utf8');
    expect(conf).toMatch(/^substituters =\s*$/m);
    expect(conf).toMatch(/^flake-registry =\s*$/m);
    expect(conf).toMatch(/^trusted-users = root$/m);
  });

  it('lets runner, an ordinary member of nix-users, reach the daemon socket', async () => {
    const runner = userInfo(RUNNER);
    expect(runner.uid).not.toBe(0);
    expect(runner.home).toBe('/home/runner');
    expect(ok(await asRunner(['id', '-nG'])).stdout.split(/\s+/)).toContain('nix-users');
    const ping = ok(await asRunner(['nix', 'store', 'ping']));
    expect(ping.stdout + ping.stderr).toContain('Store URL: daemon'); // 2.8 prints it on stderr
    expect((await stat(SOCKET_PATH)).isSocket()).toBe(true);
  });

  it('refuses the socket to runner without its supplementary groups (node spawn uid/gid)', async () => {
    const { uid, gid } = userInfo(RUNNER);
    const child = spawn('nix', ['store', 'ping'], { uid, gid, env: loginEnv(RUNNER), stdio: 'pipe' });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).not.toBe(0);
    expect(stderr).toContain('Permission denied');
  });

  it('gives runner passwordless sudo', async () => {
    ok(await asRunner(['sudo', '-n', 'true']));
    expect(ok(await asRunner(['sudo', '-n', 'id', '-u'])).stdout.trim()).toBe('0');
  });

  it('builds the sample app as runner through the daemon: fresh, root-owned, closure with lib', async () => {
    const attr = (name: string) => `path:${flake}#packages.x86_64-linux.${name}`;
    const app = ok(await asRunner(['nix', 'eval', '--raw', `${attr('app')}.outPath`])).stdout;
    const lib = ok(await asRunner(['nix', 'eval', '--raw', `${attr('lib')}.outPath`])).stdout;
    expect(app).toMatch(STORE_PATH);
    expect(existsSync(app)).toBe(false); // the random salt makes it new

    const built = (await nixJson(['build', '--no-link', attr('app')])) as {
      drvPath: string;
      outputs: { out: string };
    }[];
    expect(built).toHaveLength(1);
    expect(built[0]!.outputs.out).toBe(app);
    expect((await stat(app)).uid).toBe(0);
    expect(await readFile(app, 'utf8')).toBe(`${lib}\n`);
    const closure = ok(await asRunner(['nix-store', '-qR', app]))
      .stdout.trim()
      .split('\n');
    expect(closure.sort()).toEqual([app, lib].sort());
  });

  it('trusts root but not runner', async () => {
    const hello = (await nixJson(['build', '--no-link', `path:${flake}#packages.x86_64-linux.hello`])) as {
      outputs: { out: string };
    }[];
    const out = hello[0]!.outputs.out;
    const sign = ['nix', 'store', 'sign', '--key-file', `${keys}/sk`, out];

    const denied = await asRunner(sign);
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain('you are not privileged to add signatures');
    ok(await runAs('root', sign, { env: { NIX_REMOTE: 'daemon' } }));
    const info = (await nixJson(['path-info', out])) as { signatures?: string[] }[];
    expect(info[0]!.signatures?.some((s) => s.startsWith('nca-test-1:'))).toBe(true);

    const extraCache = ['nix', 'store', 'ping', '--option', 'substituters', `file://${keys}`];
    expect((await asRunner(extraCache)).stderr).toContain('ignoring untrusted substituter');
    const asRoot = ok(await runAs('root', extraCache, { env: { NIX_REMOTE: 'daemon' } }));
    expect(asRoot.stderr).not.toContain('untrusted');
  });

  it('evaluates every nixos, darwin and home configuration to a derivation of its system', async () => {
    const expected = {
      nixosConfigurations: { alpha: 'x86_64-linux', bravo: 'x86_64-linux', charlie: 'aarch64-linux' },
      darwinConfigurations: { delta: 'aarch64-darwin', echo: 'x86_64-darwin' },
      homeConfigurations: { 'ci@alpha': 'x86_64-linux', 'ci@delta': 'aarch64-darwin' },
    };
    const apply = {
      nixosConfigurations:
        'builtins.mapAttrs (n: c: [ c.config.system.build.toplevel.drvPath c.pkgs.stdenv.hostPlatform.system c.config.nixpkgs.hostPlatform.system ])',
      darwinConfigurations:
        'builtins.mapAttrs (n: c: [ c.system.drvPath c.pkgs.stdenv.hostPlatform.system c.config.system.build.toplevel.drvPath ])',
      homeConfigurations:
        'builtins.mapAttrs (n: c: [ c.activationPackage.drvPath c.pkgs.stdenv.hostPlatform.system c.config.home.activationPackage.drvPath ])',
    };
    for (const [output, systems] of Object.entries(expected)) {
      const got = (await nixJson([
        'eval',
        `path:${flake}#${output}`,
        '--apply',
        apply[output as keyof typeof apply],
      ])) as Record<string, [string, string, string]>;
      expect(Object.keys(got).sort()).toEqual(Object.keys(systems).sort());
      for (const [name, system] of Object.entries(systems)) {
        const [drvPath, hostSystem, other] = got[name]!;
        expect(drvPath).toMatch(STORE_PATH);
        expect(drvPath).toMatch(/\.drv$/);
        expect(hostSystem).toBe(system);
        expect(other === system || other === drvPath).toBe(true);
        const show = ok(await asRunner(['nix', 'show-derivation', drvPath])).stdout; // JSON, no --json
        const drv = JSON.parse(show) as Record<string, { system: string }>;
        expect(drv[drvPath]?.system).toBe(system);
      }
    }
  });

  it('shows and checks the flake offline', async () => {
    const show = (await nixJson(['flake', 'show', `path:${flake}`])) as {
      packages: Record<string, Record<string, unknown>>;
      checks: Record<string, Record<string, unknown>>;
    };
    expect(Object.keys(show.packages).sort()).toEqual(
      ['aarch64-darwin', 'aarch64-linux', 'x86_64-darwin', 'x86_64-linux'].sort(),
    );
    expect(Object.keys(show.packages['x86_64-linux']!).sort()).toEqual(['app', 'default', 'hello', 'lib']);
    expect(Object.keys(show.checks['aarch64-darwin']!).length).toBeGreaterThanOrEqual(2);
    const check = ok(await asRunner(['nix', 'flake', 'check', '--no-build', `path:${flake}`]));
    expect(check.stderr).not.toMatch(/error/i);
    ok(await asRunner(['nix', 'flake', 'check', `path:${flake}`])); // builds the x86_64-linux checks
  });

  it('restart-daemon starts a new daemon that answers on the socket', async () => {
    const before = await daemonPid();
    await testbed('restart-daemon');
    const after = await daemonPid();
    expect(after).not.toBe(before);
    const oldCmdline = await readFile(`/proc/${before}/cmdline`, 'utf8').catch(() => '');
    expect(oldCmdline).not.toContain('nix-daemon'); // gone (or a zombie, which has no cmdline)
    // Through the test bed's wrapper, which keeps its path as argv[0] (basename nix-daemon).
    expect((await readFile(`/proc/${after}/cmdline`, 'utf8')).split('\0')).toEqual([
      DAEMON_WRAPPER,
      '--daemon',
      '',
    ]);
    expect(await readlink(`/proc/${after}/exe`)).toMatch(/\/nix(-daemon)?$/);
    ok(await asRunner(['nix', 'store', 'ping']));
    expect((await testbed('status')).stdout).toContain(`nix-daemon ${after} `);
  });
});
