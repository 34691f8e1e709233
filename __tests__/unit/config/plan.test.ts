import { describe, expect, it } from '@jest/globals';
import { BLOCK_BEGIN, BLOCK_END, readSettings, withBlock } from '../../../src/config/nix-conf.js';
import {
  type ConfigPlan,
  filesToRead,
  type PlanInputs,
  planConfiguration,
} from '../../../src/config/plan.js';
import type { Settings } from '../../../src/config/types.js';
import { parseStoreUrl } from '../../../src/config/validate.js';
import type { NixEnvironment } from '../../../src/nix/environment.js';
import {
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

const CACHE = parseStoreUrl('cache', 'https://cache.example.com/');
const KEY = `cache.example.com-1:${Buffer.alloc(32, 5).toString('base64')}`;
const OUR_ENTRY = `machine cache.example.com login token password ${TOKEN}\n`;
const TUNING: Settings = [
  ['narinfo-cache-negative-ttl', '0'],
  ['fallback', 'true'],
  ['connect-timeout', '5'],
];

function inputs(environment: NixEnvironment, over: Partial<PlanInputs> = {}): PlanInputs {
  const user = environment.privilege.user;
  return {
    cache: CACHE,
    extraSubstituters: [],
    publicKeys: [KEY],
    token: TOKEN,
    trustedUser: false,
    acceptFlakeConfig: false,
    environment,
    user,
    home: user === 'root' ? '/root' : `/home/${user}`,
    globalConfManaged: false,
    rootNetrcPath: ROOT_NETRC,
    userNetrcPath: USER_NETRC,
    ...over,
  };
}

function withoutToken(i: PlanInputs): PlanInputs {
  const { token: _token, ...rest } = i;
  return rest;
}

const paths = (p: ConfigPlan): string[] => p.writes.map((w) => w.path);
const settingsIn = (p: ConfigPlan, path: string): Record<string, string> =>
  readSettings(writeOf(p, path).content);

/** Nothing that is not a netrc file may hold the token: not the nix.conf files, notes, warnings or summary. */
function expectTokenOnlyInNetrc(p: ConfigPlan): void {
  for (const w of p.writes) expect(w.content.includes(TOKEN)).toBe(w.secret);
  expect(JSON.stringify([p.notes, p.warnings, p.summary])).not.toContain(TOKEN);
}

const runnerDaemon = recordedEnvironment('debian-nix-2.8-runner-daemon');
const runnerDisk: Disk = {
  '/etc/nix/nix.conf': recordedFile('debian-nix-2.8-runner-daemon', 'file-etc-nix-nix.conf.txt'),
};
const noSudo: NixEnvironment = {
  ...runnerDaemon,
  privilege: { ...runnerDaemon.privilege, passwordlessSudo: false, canWriteRootFiles: false },
};

describe('root on Debian with a daemon', () => {
  const env = recordedEnvironment('debian-nix-2.8-root-local');
  const conf = recordedFile('debian-nix-2.8-root-local', 'file-etc-nix-nix.conf.txt');

  it('writes the root netrc, then our block at the end of the global nix.conf; no user block', () => {
    const p = plan(inputs(env, { trustedUser: true }), { '/etc/nix/nix.conf': conf });
    expect(paths(p)).toEqual([ROOT_NETRC, '/etc/nix/nix.conf']);
    expect(writeOf(p, ROOT_NETRC)).toEqual({
      path: ROOT_NETRC,
      content: OUR_ENTRY,
      mode: 0o600,
      owner: 'root',
      secret: true,
      role: 'root-netrc',
    });
    const daemonConf = writeOf(p, '/etc/nix/nix.conf');
    expect(daemonConf).toMatchObject({ mode: 0o644, owner: 'root', secret: false, role: 'daemon-conf' });
    expect(daemonConf.content).toBe(
      withBlock(conf, [
        ['extra-substituters', 'https://cache.example.com'],
        ['extra-trusted-public-keys', KEY],
        ['netrc-file', ROOT_NETRC],
        ...TUNING,
      ]),
    );
    expect(daemonConf.content.startsWith(conf)).toBe(true);
    expect(p.daemonConfigChanged).toBe(true);
    expect(p.daemonConfigFile).toBe('/etc/nix/nix.conf');
    expect(p.userConfigFile).toBeUndefined();
    expect(p.summary).toContainEqual(['Trusted user', 'root (root)']);
    expectTokenOnlyInNetrc(p);
  });

  it("points root's client at the root netrc when root's own nix.conf names another", () => {
    const disk = { '/etc/nix/nix.conf': conf, '/root/.config/nix/nix.conf': 'netrc-file = /root/.netrc\n' };
    const p = plan(inputs(env), disk);
    expect(paths(p)).toEqual([ROOT_NETRC, '/etc/nix/nix.conf', '/root/.config/nix/nix.conf']);
    expect(settingsIn(p, '/root/.config/nix/nix.conf')['netrc-file']).toBe(ROOT_NETRC);
  });
});

describe('runner with passwordless sudo (daemon and user blocks)', () => {
  it('gives the daemon a root-only netrc and the user their own copy', () => {
    const p = plan(inputs(runnerDaemon, { trustedUser: true }), runnerDisk);
    expect(paths(p)).toEqual([
      ROOT_NETRC,
      USER_NETRC,
      '/etc/nix/nix.conf',
      '/home/runner/.config/nix/nix.conf',
    ]);
    expect(writeOf(p, USER_NETRC)).toEqual({
      path: USER_NETRC,
      content: OUR_ENTRY,
      mode: 0o600,
      owner: 'user',
      secret: true,
      role: 'user-netrc',
    });
    expect(settingsIn(p, '/etc/nix/nix.conf')).toMatchObject({
      'extra-substituters': 'https://cache.example.com',
      'netrc-file': ROOT_NETRC,
      'extra-trusted-users': 'runner',
    });
    // The user's Nix reads the global file for the rest; only the netrc differs.
    const userConf = writeOf(p, '/home/runner/.config/nix/nix.conf');
    expect(userConf).toMatchObject({ owner: 'user', mode: 0o644, secret: false, role: 'user-conf' });
    expect(userConf.content).toBe(withBlock(undefined, [['netrc-file', USER_NETRC]]));
    expect(p.summary).toContainEqual(['Trusted user', 'runner added']);
    expect(p.summary).toContainEqual(['User netrc', USER_NETRC]);
    expect(p.summary).toContainEqual(['Daemon restart', 'needed (its nix.conf changed)']);
    expect(p.notes).toEqual([]);
    expectTokenOnlyInNetrc(p);
  });

  it('leaves trusted-users alone when trusted-user is off', () => {
    const p = plan(inputs(runnerDaemon, { trustedUser: false }), runnerDisk);
    expect(settingsIn(p, '/etc/nix/nix.conf')['extra-trusted-users']).toBeUndefined();
    expect(writeOf(p, '/etc/nix/nix.conf').content).not.toMatch(/trusted-users = .*runner/);
    expect(p.summary.find(([label]) => label === 'Trusted user')).toBeUndefined();
  });

  it('uses the user config file Nix reads last (NIX_USER_CONF_FILES, XDG)', () => {
    const env: NixEnvironment = {
      ...runnerDaemon,
      config: {
        ...runnerDaemon.config,
        files: [
          { path: '/etc/nix/nix.conf', scope: 'global', exists: true },
          { path: '/etc/xdg/nix/nix.conf', scope: 'user', exists: false },
          { path: '/work/xdg/nix/nix.conf', scope: 'user', exists: true },
          {
            path: '/work/xdg/nix/extra.conf',
            scope: 'user',
            exists: true,
            includedFrom: '/work/xdg/nix/nix.conf',
          },
        ],
      },
    };
    const disk = {
      ...runnerDisk,
      '/work/xdg/nix/nix.conf': 'include extra.conf\n',
      '/work/xdg/nix/extra.conf': '',
    };
    const p = plan(inputs(env), disk);
    expect(p.userConfigFile).toBe('/work/xdg/nix/nix.conf');
    expect(writeOf(p, '/work/xdg/nix/nix.conf').content).toBe(
      `include extra.conf\n${BLOCK_BEGIN}\nnetrc-file = ${USER_NETRC}\n${BLOCK_END}\n`,
    );
  });
});

describe('runner without sudo', () => {
  it('writes only user files, with every client setting, and says what the daemon will not do', () => {
    const p = plan(inputs(noSudo, { trustedUser: true, acceptFlakeConfig: true }), runnerDisk);
    expect(paths(p)).toEqual([USER_NETRC, '/home/runner/.config/nix/nix.conf']);
    expect(p.writes.every((w) => w.owner === 'user')).toBe(true);
    expect(p.daemonConfigChanged).toBe(false);
    expect(p.daemonConfigFile).toBeUndefined();
    expect(writeOf(p, '/home/runner/.config/nix/nix.conf').content).toBe(
      withBlock(undefined, [
        ['extra-substituters', 'https://cache.example.com'],
        ['extra-trusted-public-keys', KEY],
        ['netrc-file', USER_NETRC],
        ['accept-flake-config', 'true'],
        ...TUNING,
      ]),
    );
    // What the daemon goes without is a warning, not an aside.
    expect(p.notes).toEqual([]);
    const notes = p.warnings.join('\n');
    expect(notes).toMatch(
      /cannot write root-owned files \(the job runs as runner, without passwordless sudo\)/,
    );
    expect(notes).toMatch(/does not trust runner/);
    expect(notes).toMatch(/builds will not download from https:\/\/cache.example.com/);
    expect(notes).toMatch(/refuses paths signed only by cache.example.com-1/);
    expect(notes).toMatch(/token for cache.example.com serves commands that open the cache themselves/);
    expect(notes).toMatch(/adding runner to trusted-users needs root/);
    expect(notes).toMatch(
      /To fix: run the job as root, allow runner passwordless sudo, or add runner to trusted-users/,
    );
    expect(p.summary).toContainEqual(['Daemon configuration', 'not changed (needs root)']);
    expectTokenOnlyInNetrc(p);
  });

  it('does not list a substituter or key the daemon already allows (its own files, in order)', () => {
    const disk = {
      '/etc/nix/nix.conf': `${runnerDisk['/etc/nix/nix.conf']}trusted-substituters = https://cache.example.com/\nextra-trusted-public-keys = ${KEY}\n`,
    };
    const notes = plan(inputs(noSudo), disk).warnings.join('\n');
    expect(notes).not.toMatch(/builds will not download/);
    expect(notes).not.toMatch(/refuses paths signed/);
    expect(notes).toMatch(/does not trust runner/);
    expect(notes).toMatch(/ignores netrc-file/); // the token is still the client's only
    // A later plain setting replaces the list: the key is not trusted any more.
    disk['/etc/nix/nix.conf'] += 'trusted-public-keys = other-1:AAAA\n';
    expect(plan(inputs(noSudo), disk).warnings.join('\n')).toMatch(
      /refuses paths signed only by cache.example.com-1/,
    );
  });

  it("counts what the daemon reads, not the user's own files (which the daemon ignores for them)", () => {
    const env: NixEnvironment = {
      ...noSudo,
      config: {
        ...noSudo.config,
        // As `nix show-config` shows it to the client: its own nix.conf lists the cache already.
        settings: {
          ...noSudo.config.settings,
          substituters: 'https://cache.example.com',
          'trusted-public-keys': KEY,
        },
      },
    };
    const disk = {
      ...runnerDisk,
      '/home/runner/.config/nix/nix.conf': `extra-substituters = https://cache.example.com\n`,
    };
    const notes = plan(inputs(env), disk).warnings.join('\n');
    expect(notes).toMatch(/builds will not download from https:\/\/cache.example.com/);
    expect(notes).toMatch(/refuses paths signed only by cache.example.com-1/);
  });

  it('says the settings reach the daemon when it trusts the user', () => {
    const env: NixEnvironment = {
      ...noSudo,
      trust: { trusted: true, source: 'daemon', trustedUsers: ['root', 'runner'] },
    };
    const p = plan(inputs(env), runnerDisk);
    expect(p.notes.join('\n')).toMatch(/the daemon trusts runner: it applies the settings Nix sends/);
    expect(p.notes.join('\n')).not.toMatch(/ignores/);
    expect(p.warnings).toEqual([]);
  });
});

describe('Determinate Nix', () => {
  const env = recordedEnvironment('github-ubuntu-determinate-3.6-systemd');
  const disk: Disk = {
    '/etc/nix/nix.conf': recordedFile('github-ubuntu-determinate-3.6-systemd', 'etc-nix-nix.conf.txt'),
    '/etc/nix/nix.custom.conf': recordedFile(
      'github-ubuntu-determinate-3.6-systemd',
      'etc-nix-nix.custom.conf.txt',
    ),
    '/nix/var/determinate/netrc': 'machine api.flakehub.com login flakehub password fh-secret\n',
  };

  it('puts the block in nix.custom.conf and our entry in the netrc nix.conf insists on', () => {
    const p = plan(inputs(env, { trustedUser: true }), disk);
    expect(paths(p)).toEqual([
      '/nix/var/determinate/netrc',
      USER_NETRC,
      '/etc/nix/nix.custom.conf',
      '/home/runner/.config/nix/nix.conf',
    ]);
    const both = `machine api.flakehub.com login flakehub password fh-secret\n${OUR_ENTRY}`;
    expect(writeOf(p, '/nix/var/determinate/netrc')).toMatchObject({
      content: both,
      owner: 'root',
      mode: 0o600,
      role: 'daemon-netrc',
    });
    expect(writeOf(p, USER_NETRC).content).toBe(both);
    const custom = settingsIn(p, '/etc/nix/nix.custom.conf');
    expect(custom['extra-substituters']).toBe('https://cache.example.com');
    expect(custom['netrc-file']).toBeUndefined();
    expect(custom['extra-trusted-users']).toBeUndefined(); // runner is already trusted there
    expect(p.notes).toContain('runner is already trusted by the daemon: trusted-users left as it is.');
    expect(p.notes.join('\n')).toMatch(
      /\/etc\/nix\/nix.conf sets netrc-file after \/etc\/nix\/nix.custom.conf, so the daemon keeps reading \/nix\/var\/determinate\/netrc/,
    );
    expect(p.daemonConfigFile).toBe('/etc/nix/nix.custom.conf');
    expectTokenOnlyInNetrc(p);
  });

  it('falls back to nix.conf, with a note, when nix.custom.conf is not included', () => {
    const alone: NixEnvironment = {
      ...env,
      config: { ...env.config, files: env.config.files.filter((f) => f.includedFrom === undefined) },
    };
    const p = plan(withoutToken(inputs(alone)), { ...disk, '/etc/nix/nix.conf': 'max-jobs = auto\n' });
    expect(p.daemonConfigFile).toBe('/etc/nix/nix.conf');
    expect(p.notes.join('\n')).toMatch(/does not include nix.custom.conf/);
  });

  it('settles in three reading rounds: files, the netrc they name', () => {
    const { rounds, current } = readForPlan(inputs(env), disk);
    expect(rounds).toBeLessThanOrEqual(3);
    expect(Object.keys(current)).toEqual(
      expect.arrayContaining(['/etc/nix/nix.conf', '/etc/nix/nix.custom.conf', '/nix/var/determinate/netrc']),
    );
  });
});

describe('NixOS: a managed global nix.conf', () => {
  it('never writes it; extends the netrc the daemon reads; client settings in the user block', () => {
    const disk = { '/etc/nix/nix.conf': 'substituters = https://cache.nixos.org\ntrusted-users = root\n' };
    const p = plan(inputs(runnerDaemon, { globalConfManaged: true, trustedUser: true }), disk);
    expect(paths(p)).toEqual(['/etc/nix/netrc', USER_NETRC, '/home/runner/.config/nix/nix.conf']);
    expect(writeOf(p, '/etc/nix/netrc')).toMatchObject({
      content: OUR_ENTRY,
      owner: 'root',
      role: 'daemon-netrc',
    });
    expect(settingsIn(p, '/home/runner/.config/nix/nix.conf')).toMatchObject({
      'extra-substituters': 'https://cache.example.com',
      'netrc-file': USER_NETRC,
    });
    expect(p.daemonConfigChanged).toBe(false);
    const notes = p.warnings.join('\n');
    expect(notes).toMatch(/\/etc\/nix\/nix.conf is managed by the system .* and was left unchanged/);
    expect(notes).toMatch(/nix.settings.substituters/);
    expect(notes).not.toMatch(/ignores netrc-file/); // the daemon has the token through its own netrc
    expect(p.summary).toContainEqual(['Daemon configuration', 'not changed (managed by the system)']);
  });

  it('only a note when the system configuration already lists the cache and key: the token was all it lacked', () => {
    const disk = {
      '/etc/nix/nix.conf': `substituters = https://cache.example.com\ntrusted-public-keys = ${KEY}\n`,
    };
    const p = plan(inputs(runnerDaemon, { globalConfManaged: true }), disk);
    expect(paths(p)).toEqual(['/etc/nix/netrc', USER_NETRC, '/home/runner/.config/nix/nix.conf']);
    expect(p.warnings).toEqual([]);
    expect(p.notes.join('\n')).toMatch(/managed by the system .* and was left unchanged/);
    expect(p.notes.join('\n')).toMatch(/The entry for cache.example.com was added to \/etc\/nix\/netrc/);
    expect(p.notes.join('\n')).not.toMatch(/To fix/);
  });
});

describe('single-user installs', () => {
  it('root without a daemon: the global file only', () => {
    const env = recordedEnvironment('debian-nix-2.8-root-no-daemon');
    const conf = recordedFile('debian-nix-2.8-root-no-daemon', 'file-etc-nix-nix.conf.txt');
    const p = plan(inputs(env), { '/etc/nix/nix.conf': conf });
    expect(paths(p)).toEqual([ROOT_NETRC, '/etc/nix/nix.conf']);
  });

  it('a user who owns the store: their own files, merged from the netrc they used', () => {
    const env = recordedEnvironment('container-upstream-single-user');
    const userConf = recordedFile('container-upstream-single-user', 'home-builder-.config-nix-nix.conf.txt');
    const userNetrc = '/home/builder/.config/nix/nix-cache-action.netrc';
    const disk = {
      '/etc/nix/nix.conf': recordedFile('container-upstream-single-user', 'etc-nix-nix.conf.txt'),
      '/home/builder/.config/nix/nix.conf': userConf,
      '/etc/nix/netrc': 'machine other.example.org login o password p\n',
    };
    const p = plan(inputs(env, { userNetrcPath: userNetrc }), disk);
    expect(paths(p)).toEqual([userNetrc, '/home/builder/.config/nix/nix.conf']);
    expect(writeOf(p, userNetrc).content).toBe(`machine other.example.org login o password p\n${OUR_ENTRY}`);
    const conf = writeOf(p, '/home/builder/.config/nix/nix.conf').content;
    expect(conf.startsWith(userConf)).toBe(true);
    expect(readSettings(conf)['extra-substituters']).toBe('https://cache.example.com');
    expect(p.notes.join('\n')).toMatch(/no nix-daemon is in use/);
    expect(p.warnings).toEqual([]); // nothing is missing: the user's Nix opens the store itself
    expect(p.notes).toContain(
      'NIX_CONFIG is set: settings in it override /home/builder/.config/nix/nix.conf.',
    );
  });
});

describe('what the inputs ask for', () => {
  it('no token: no netrc anywhere, no user block', () => {
    const p = plan(withoutToken(inputs(runnerDaemon)), runnerDisk);
    expect(paths(p)).toEqual(['/etc/nix/nix.conf']);
    expect(settingsIn(p, '/etc/nix/nix.conf')['netrc-file']).toBeUndefined();
  });

  it.each([
    ['file:///var/cache/nix', 'file://'],
    ['s3://my-bucket?region=eu-west-1', 's3://'],
  ])('a %s cache: substituter only, the token ignored with a note', (url, scheme) => {
    const p = plan(inputs(runnerDaemon, { cache: parseStoreUrl('cache', url) }), runnerDisk);
    expect(paths(p)).toEqual(['/etc/nix/nix.conf']);
    expect(settingsIn(p, '/etc/nix/nix.conf')['extra-substituters']).toBe(url);
    expect(p.notes).toContain(
      `The token is only used for an http(s) cache's netrc entry: ignored, as the cache is ${scheme}.`,
    );
  });

  it('extra substituters come after the cache, deduplicated; a missing key is noted', () => {
    const extras = ['https://b.example.com', 'https://cache.example.com'].map((u) => parseStoreUrl('x', u));
    const p = plan(
      withoutToken(inputs(runnerDaemon, { extraSubstituters: extras, publicKeys: [] })),
      runnerDisk,
    );
    expect(settingsIn(p, '/etc/nix/nix.conf')['extra-substituters']).toBe(
      'https://cache.example.com https://b.example.com',
    );
    expect(p.notes.join('\n')).toMatch(/No public keys given/);
  });

  it('accept-flake-config alone: just that line, no cache tuning', () => {
    const { cache: _cache, ...noCache } = withoutToken(
      inputs(runnerDaemon, { acceptFlakeConfig: true, publicKeys: [] }),
    );
    const p = plan(noCache, runnerDisk);
    expect(paths(p)).toEqual(['/etc/nix/nix.conf']);
    expect(writeOf(p, '/etc/nix/nix.conf').content).toBe(
      withBlock(runnerDisk['/etc/nix/nix.conf'], [['accept-flake-config', 'true']]),
    );
  });

  it('nothing to do: an empty plan that reads nothing', () => {
    const nothing: PlanInputs = withoutToken({ ...inputs(runnerDaemon, { publicKeys: [] }) });
    const { cache: _cache, ...none } = nothing;
    expect(filesToRead(none)).toEqual([]);
    expect(planConfiguration({ ...none, current: {} })).toEqual({
      writes: [],
      daemonConfigChanged: false,
      daemonConfigFile: undefined,
      userConfigFile: undefined,
      notes: [],
      warnings: [],
      summary: [],
    });
  });
});
