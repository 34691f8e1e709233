import { describe, expect, it } from '@jest/globals';
import { BLOCK_BEGIN, readSettings, withBlock } from '../../../src/config/nix-conf.js';
import { filesToRead, type PlanInputs, planConfiguration } from '../../../src/config/plan.js';
import { parseStoreUrl } from '../../../src/config/validate.js';
import type { NixEnvironment } from '../../../src/nix/environment.js';
import { sampleEnvironment } from '../sample-environment.js';
import {
  apply,
  type Disk,
  plan,
  readForPlan,
  recordedEnvironment,
  recordedFile,
  ROOT_NETRC,
  TOKEN,
  USER_NETRC,
  writeOf,
} from './plan-harness.js';

const KEY = `cache.example.com-1:${Buffer.alloc(32, 5).toString('base64')}`;
const OURS = `machine cache.example.com login token password ${TOKEN}\n`;
const OTHER = 'machine other.example.org login o password other-secret\n';
const DEFAULT = 'default login anonymous password guest\n';

// The sample: Debian's Nix 2.8, a bare root daemon, the job as `runner` with passwordless sudo.
function inputs(over: Partial<PlanInputs> = {}, environment: NixEnvironment = sampleEnvironment): PlanInputs {
  return {
    cache: parseStoreUrl('cache', 'https://cache.example.com'),
    extraSubstituters: [],
    publicKeys: [KEY],
    token: TOKEN,
    trustedUser: true,
    acceptFlakeConfig: false,
    environment,
    user: environment.privilege.user,
    home: '/home/runner',
    globalConfManaged: false,
    rootNetrcPath: ROOT_NETRC,
    userNetrcPath: USER_NETRC,
    ...over,
  };
}

const GLOBAL = 'build-users-group = nixbld\ntrusted-users = root\n';

describe('the netrc Nix used before is merged, not replaced', () => {
  it('from the netrc-file the global nix.conf names: for the daemon and for the user', () => {
    const disk = {
      '/etc/nix/nix.conf': `${GLOBAL}netrc-file = /etc/nix/private-netrc\n`,
      '/etc/nix/private-netrc': `${DEFAULT}${OTHER}`,
    };
    const p = plan(inputs(), disk);
    expect(writeOf(p, ROOT_NETRC).content).toBe(`${OTHER}${OURS}${DEFAULT}`);
    expect(writeOf(p, USER_NETRC).content).toBe(`${OTHER}${OURS}${DEFAULT}`);
    expect(p.writes.map((w) => w.path)).not.toContain('/etc/nix/private-netrc');
  });

  it("from $NIX_CONF_DIR/netrc when nothing names one; from the user's own for the user", () => {
    const disk = {
      '/etc/nix/nix.conf': GLOBAL,
      '/etc/nix/netrc': OTHER,
      '/home/runner/.config/nix/nix.conf': 'netrc-file = /home/runner/.netrc\n',
      '/home/runner/.netrc': DEFAULT,
    };
    const p = plan(inputs(), disk);
    expect(writeOf(p, ROOT_NETRC).content).toBe(`${OTHER}${OURS}`);
    expect(writeOf(p, USER_NETRC).content).toBe(`${OURS}${DEFAULT}`);
    // The user's block comes after their own line, so it wins.
    expect(writeOf(p, '/home/runner/.config/nix/nix.conf').content).toBe(
      withBlock('netrc-file = /home/runner/.netrc\n', [['netrc-file', USER_NETRC]]),
    );
  });

  it('from a netrc-file set in an included file, found in a later reading round', () => {
    const env: NixEnvironment = {
      ...sampleEnvironment,
      config: {
        ...sampleEnvironment.config,
        files: [
          { path: '/etc/nix/nix.conf', scope: 'global', exists: true },
          { path: '/etc/nix/site.conf', scope: 'global', exists: true, includedFrom: '/etc/nix/nix.conf' },
          { path: '/home/runner/.config/nix/nix.conf', scope: 'user', exists: false },
        ],
      },
    };
    const disk = {
      '/etc/nix/nix.conf': `include site.conf\n${GLOBAL}`,
      '/etc/nix/site.conf': 'netrc-file = /etc/nix/site-netrc\n',
      '/etc/nix/site-netrc': OTHER,
    };
    const first = filesToRead(inputs({}, env));
    expect(first).toContain('/etc/nix/nix.conf');
    expect(first).not.toContain('/etc/nix/site-netrc');
    const { rounds } = readForPlan(inputs({}, env), disk);
    expect(rounds).toBe(3);
    expect(writeOf(plan(inputs({}, env), disk), ROOT_NETRC).content).toBe(`${OTHER}${OURS}`);
  });

  it('from the netrc-file NIX_CONFIG sets for the user, unless it is one of ours', () => {
    const env = (netrc: string): NixEnvironment => ({
      ...sampleEnvironment,
      config: { ...sampleEnvironment.config, fromEnvironment: true, settings: { 'netrc-file': netrc } },
    });
    const disk = { '/etc/nix/nix.conf': GLOBAL, '/tmp/env-netrc': DEFAULT, '/etc/nix/netrc': OTHER };
    expect(writeOf(plan(inputs({}, env('/tmp/env-netrc')), disk), USER_NETRC).content).toBe(
      `${OURS}${DEFAULT}`,
    );
    expect(writeOf(plan(inputs({}, env(USER_NETRC)), disk), USER_NETRC).content).toBe(`${OTHER}${OURS}`);
  });

  it('with nothing when netrc-file is set empty', () => {
    const p = plan(inputs(), { '/etc/nix/nix.conf': `${GLOBAL}netrc-file =\n`, '/etc/nix/netrc': OTHER });
    expect(writeOf(p, ROOT_NETRC).content).toBe(OURS);
  });

  it('throws, naming the file and no credential, when that netrc cannot be read as netrc', () => {
    const disk = { '/etc/nix/nix.conf': GLOBAL, '/etc/nix/netrc': 'machine a password "two secret words"\n' };
    expect(() => plan(inputs(), disk)).toThrow(/^\/etc\/nix\/netrc: netrc line 1: an unexpected word/);
    expect(() => plan(inputs(), disk)).not.toThrow(/secret/);
  });
});

describe('running again', () => {
  const determinate = recordedEnvironment('github-ubuntu-determinate-3.6-systemd');
  const determinateDisk: Disk = {
    '/etc/nix/nix.conf': recordedFile('github-ubuntu-determinate-3.6-systemd', 'etc-nix-nix.conf.txt'),
    '/etc/nix/nix.custom.conf': recordedFile(
      'github-ubuntu-determinate-3.6-systemd',
      'etc-nix-nix.custom.conf.txt',
    ),
    '/nix/var/determinate/netrc': OTHER,
  };
  const noSudo: NixEnvironment = {
    ...sampleEnvironment,
    privilege: { ...sampleEnvironment.privilege, passwordlessSudo: false, canWriteRootFiles: false },
  };
  const cases: [string, PlanInputs, Disk][] = [
    ['runner with sudo', inputs(), { '/etc/nix/nix.conf': GLOBAL, '/etc/nix/netrc': OTHER }],
    ['runner without sudo', inputs({}, noSudo), { '/etc/nix/nix.conf': GLOBAL }],
    ['Determinate Nix', inputs({ home: '/home/runner' }, determinate), determinateDisk],
    ['NixOS', inputs({ globalConfManaged: true }), { '/etc/nix/nix.conf': GLOBAL }],
  ];

  it.each(cases)('%s: the same inputs change nothing the second time', (_, given, disk) => {
    const first = plan(given, disk);
    expect(first.writes.length).toBeGreaterThan(0);
    const second = plan(given, apply(disk, first.writes));
    expect(second.writes).toEqual([]);
    expect(second.daemonConfigChanged).toBe(false);
  });

  it('a new token rewrites the netrc files only: no daemon restart', () => {
    const disk = apply(
      { '/etc/nix/nix.conf': GLOBAL },
      plan(inputs(), { '/etc/nix/nix.conf': GLOBAL }).writes,
    );
    const p = plan(inputs({ token: 'An0therT0ken' }), disk);
    expect(p.writes.map((w) => w.path)).toEqual([ROOT_NETRC, USER_NETRC]);
    expect(p.daemonConfigChanged).toBe(false);
    expect(p.summary).toContainEqual(['Daemon restart', 'not needed']);
  });

  it('keeps trusted-users in our block when the trust came from it', () => {
    const disk = apply(
      { '/etc/nix/nix.conf': GLOBAL },
      plan(inputs(), { '/etc/nix/nix.conf': GLOBAL }).writes,
    );
    const trustedNow: NixEnvironment = {
      ...sampleEnvironment,
      trust: { trusted: true, source: 'config', trustedUsers: ['root', 'runner'] },
    };
    const p = plan(inputs({}, trustedNow), disk);
    expect(p.writes).toEqual([]);
  });

  it('fewer inputs: the block shrinks, and a user block no longer needed goes away', () => {
    const disk = apply(
      { '/etc/nix/nix.conf': GLOBAL },
      plan(inputs(), { '/etc/nix/nix.conf': GLOBAL }).writes,
    );
    const { token: _token, ...keysOnly } = inputs({ trustedUser: false });
    const p = plan(keysOnly, disk);
    expect(p.writes.map((w) => w.path)).toEqual(['/etc/nix/nix.conf', '/home/runner/.config/nix/nix.conf']);
    expect(readSettings(writeOf(p, '/etc/nix/nix.conf').content)['netrc-file']).toBeUndefined();
    expect(readSettings(writeOf(p, '/etc/nix/nix.conf').content)['extra-trusted-users']).toBeUndefined();
    expect(writeOf(p, '/home/runner/.config/nix/nix.conf').content).toBe('');
    expect(p.daemonConfigChanged).toBe(true);
  });
});

describe('refusals and notes', () => {
  it('throws when a file it needs was not read', () => {
    const given = inputs();
    expect(() => planConfiguration({ ...given, current: {} })).toThrow(
      'Planning needs /etc/nix/nix.conf: read it first (filesToRead names it).',
    );
    const { current } = readForPlan(given, { '/etc/nix/nix.conf': GLOBAL });
    const { ['/etc/nix/netrc']: _netrc, ...partial } = current;
    expect(() => planConfiguration({ ...given, current: partial })).toThrow(/needs \/etc\/nix\/netrc/);
  });

  it('throws on a half-written block of ours, naming the file', () => {
    const disk = { '/etc/nix/nix.conf': `${GLOBAL}${BLOCK_BEGIN}\nextra-substituters = https://x\n` };
    expect(() => plan(inputs(), disk)).toThrow(/^\/etc\/nix\/nix.conf: .*half-written/);
  });

  it('says when a later line in the chain overrides a setting of ours', () => {
    const env = recordedEnvironment('github-ubuntu-determinate-3.6-systemd');
    const disk = {
      '/etc/nix/nix.conf':
        '!include nix.custom.conf\nfallback = false\nsubstituters = https://cache.nixos.org\n',
      '/etc/nix/nix.custom.conf': '',
    };
    const { token: _token, ...given } = inputs({}, env);
    const result = plan(given, disk);
    const notes = result.notes;
    // The user chose `fallback` themselves: we write none, so nothing of ours is overridden there.
    expect(notes.join('\n')).not.toMatch(/fallback in/);
    const custom = result.writes.find((w) => w.path === '/etc/nix/nix.custom.conf')?.content ?? '';
    expect(custom).not.toMatch(/^fallback =/m);
    expect(custom).toMatch(/^connect-timeout = 5$/m);
    expect(notes).toContain(
      'extra-substituters in /etc/nix/nix.custom.conf is overridden by a later line in /etc/nix/nix.conf: the value there wins.',
    );
    expect(notes.join('\n')).not.toMatch(/connect-timeout in/);
  });

  it('a token without a cache: a note, and nothing to do', () => {
    const { cache: _cache, ...given } = inputs({ publicKeys: [], trustedUser: false });
    const p = plan(given, {});
    expect(p.writes).toEqual([]);
    expect(p.notes).toEqual([
      "The token is only used for an http(s) cache's netrc entry: ignored, as no cache was given.",
    ]);
  });

  it('the job user already root: no trusted-users line, no user block', () => {
    const root: NixEnvironment = {
      ...sampleEnvironment,
      privilege: { user: 'root', root: true, passwordlessSudo: true, canWriteRootFiles: true },
    };
    const p = plan(inputs({ trustedUser: true, user: 'root', home: '/root' }, root), {
      '/etc/nix/nix.conf': GLOBAL,
    });
    expect(p.writes.map((w) => w.path)).toEqual([ROOT_NETRC, '/etc/nix/nix.conf']);
    expect(readSettings(writeOf(p, '/etc/nix/nix.conf').content)['extra-trusted-users']).toBeUndefined();
  });
});
