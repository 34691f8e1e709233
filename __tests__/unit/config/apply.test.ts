/** The configuration step's orchestration at its seams: in-memory files, a fake root and daemon. */
import { describe, expect, it } from '@jest/globals';
import { configureNix } from '../../../src/config/apply.js';
import type { OwnedFiles, Owner } from '../../../src/config/files.js';
import type { PlanInputs } from '../../../src/config/plan.js';
import { restoreBackups } from '../../../src/config/restore.js';
import type { NixEnvironment } from '../../../src/nix/environment.js';
import type { ConfigState } from '../../../src/state.js';
import type { Privileged } from '../../../src/system/privileged.js';
import type { System } from '../../../src/system/types.js';
import { sampleEnvironment } from '../sample-environment.js';

const KEY = 'cache.example.org-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY=';
const TOKEN = 'tok_unit_secret_42';
const USER_CONF = '/home/runner/.config/nix/nix.conf';
const backupDir = {
  root: '/etc/nix/nix-cache-action/backup',
  user: '/tmp/runner-temp/nix-cache-action/backup',
};
const ORIGINAL = 'build-users-group = nixbld\ntrusted-users = root\n';

function memoryFiles(
  initial: Record<string, string>,
): OwnedFiles & { texts: Map<string, string>; log: string[] } {
  const texts = new Map(Object.entries(initial));
  const log: string[] = [];
  return {
    texts,
    log,
    read: (_o: Owner, p) => Promise.resolve(texts.get(p)),
    stat: (_o: Owner, p) => Promise.resolve(texts.has(p) ? { mode: 0o644, uid: 0, gid: 0 } : undefined),
    write: (o: Owner, p, c) => {
      log.push(`write ${o} ${p}`);
      texts.set(p, c.toString());
      return Promise.resolve();
    },
    remove: (o: Owner, p) => {
      log.push(`remove ${o} ${p}`);
      texts.delete(p);
      return Promise.resolve();
    },
  };
}

/** A system whose only command is a `nix store ping` that succeeds. */
const sys: System = {
  exec: { run: () => Promise.resolve({ code: 0, stdout: '', stderr: 'Store URL: daemon\n' }) },
  files: {
    read: () => Promise.resolve(undefined),
    exists: () => Promise.resolve(false),
    list: () => Promise.resolve([]),
    kind: () => Promise.resolve(undefined),
  },
  env: {},
  host: { platform: 'darwin', arch: 'x64', uid: 1001, user: 'runner', home: '/home/runner' },
};

function fakeRoot(restartFailures: number): Privileged & { restarts: number } {
  const root = {
    via: 'sudo' as const,
    restarts: 0,
    readFile: () => Promise.resolve(undefined),
    statFile: () => Promise.resolve(undefined),
    writeFile: () => Promise.resolve(),
    removeFile: () => Promise.resolve(),
    run: () => Promise.resolve({ code: 0, stdout: '', stderr: '' }),
    restartProcess: (pid: number) => {
      root.restarts++;
      if (root.restarts <= restartFailures)
        return Promise.reject(new Error('nix-daemon exited with status 1'));
      return Promise.resolve({ pid: pid + root.restarts, argv: ['nix-daemon', '--daemon'] });
    },
  };
  return root;
}

const environment: NixEnvironment = {
  ...sampleEnvironment,
  config: {
    ...sampleEnvironment.config,
    files: [
      { path: '/etc/nix/nix.conf', scope: 'global', exists: true },
      { path: USER_CONF, scope: 'user', exists: false },
    ],
  },
};

const inputs: PlanInputs = {
  cache: { url: 'https://cache.example.org', scheme: 'https', host: 'cache.example.org' },
  extraSubstituters: [],
  publicKeys: [KEY],
  token: TOKEN,
  trustedUser: false,
  acceptFlakeConfig: false,
  environment,
  user: 'runner',
  home: '/home/runner',
  globalConfManaged: false,
  rootNetrcPath: '/etc/nix/nix-cache-action/netrc',
  userNetrcPath: '/tmp/runner-temp/nix-cache-action/netrc',
};

describe('configureNix', () => {
  it('records the undo state before the first write, with no secret in it', async () => {
    const files = memoryFiles({ '/etc/nix/nix.conf': ORIGINAL });
    const recorded: ConfigState[] = [];
    const record = (s: ConfigState): void => {
      recorded.push(s);
      files.log.push('record');
    };
    const done = await configureNix({ sys, root: fakeRoot(0), files, backupDir, record }, inputs, true);
    // Only the backup copies come before the record; every real file is written after it.
    const recordAt = files.log.indexOf('record');
    expect(files.log.slice(0, recordAt).every((l) => l.startsWith(`write root ${backupDir.root}/`))).toBe(
      true,
    );
    expect(files.log.slice(recordAt + 1).some((l) => l.includes(backupDir.root))).toBe(false);
    expect(recorded).toHaveLength(1);
    expect(JSON.stringify(recorded[0])).not.toContain(TOKEN);
    expect(done.state.credentials.map((c) => c.path).sort()).toEqual(
      [inputs.rootNetrcPath, inputs.userNetrcPath].sort(),
    );
    expect(done.state.backups.map((b) => [b.path, b.copy === undefined])).toEqual([
      ['/etc/nix/nix.conf', false],
      [USER_CONF, true],
    ]);
    expect(files.texts.get(inputs.rootNetrcPath)).toContain(`password ${TOKEN}`);
    // Credentials are in place before a configuration names them.
    const writes = files.log.slice(recordAt + 1);
    const firstConf = writes.findIndex((l) => l.endsWith('nix.conf'));
    expect(firstConf).toBeGreaterThan(0);
    expect(writes.findIndex((l) => l.endsWith('netrc'))).toBeLessThan(firstConf);
    expect(done.state.daemonRestarted).toBe(true);
    expect(done.daemon.pid).toBe(1235);
  });

  it('restores every file byte for byte and removes the credentials', async () => {
    const files = memoryFiles({ '/etc/nix/nix.conf': ORIGINAL });
    const done = await configureNix(
      { sys, root: fakeRoot(0), files, backupDir, record: () => undefined },
      inputs,
      true,
    );
    await restoreBackups(files, done.state.backups, done.state.credentials);
    expect([...files.texts]).toEqual([['/etc/nix/nix.conf', ORIGINAL]]);
  });

  it.each([true, false])(
    "keeps the files' previous bytes out of the state, in 0600 copies (restore: %s)",
    async (restore) => {
      const conf = `${ORIGINAL}access-tokens = github.com=ghs_unit_secret\n`;
      const files = memoryFiles({ '/etc/nix/nix.conf': conf });
      const recorded: ConfigState[] = [];
      const record = (s: ConfigState): void => {
        recorded.push(s);
      };
      const done = await configureNix({ sys, root: fakeRoot(0), files, backupDir, record }, inputs, restore);
      expect(JSON.stringify(recorded)).not.toContain('ghs_unit_secret');
      expect(recorded[0]?.credentials).toHaveLength(2); // credentials are removed in every case
      const copy = done.state.backups[0]?.copy ?? '';
      expect(copy.startsWith(`${backupDir.root}/`)).toBe(true);
      expect(files.texts.get(copy)).toBe(conf);
      expect(files.log).toContain(`write root ${copy}`);
    },
  );

  it('puts back what it wrote when a later write fails, naming the file, and restarts nothing', async () => {
    const files = memoryFiles({ '/etc/nix/nix.conf': ORIGINAL });
    const write = files.write.bind(files);
    files.write = (o, p, c, m) =>
      p === USER_CONF
        ? Promise.reject(new Error(`EACCES: permission denied, open '${p}'`))
        : write(o, p, c, m);
    const root = fakeRoot(0);
    const error = await configureNix(
      { sys, root, files, backupDir, record: () => undefined },
      inputs,
      true,
    ).catch((e: unknown) => e);
    expect(String(error)).toContain(`Writing ${USER_CONF} failed: EACCES: permission denied`);
    expect(String(error)).toMatch(/written before it were put back; nothing was changed/);
    expect(String(error)).not.toContain(TOKEN);
    expect(files.log).toContain('write root /etc/nix/nix.conf');
    expect([...files.texts]).toEqual([['/etc/nix/nix.conf', ORIGINAL]]);
    expect(root.restarts).toBe(0);
  });

  it('rolls back and restarts again when the restart fails, failing with the reason', async () => {
    const files = memoryFiles({ '/etc/nix/nix.conf': ORIGINAL });
    const root = fakeRoot(1);
    const error = await configureNix(
      { sys, root, files, backupDir, record: () => undefined },
      inputs,
      false,
    ).catch((e: unknown) => e);
    expect(String(error)).toMatch(/did not come back after the restart: .*exited with status 1/s);
    expect(String(error)).toMatch(/rolled back and the daemon restarted/);
    expect(root.restarts).toBe(2);
    expect([...files.texts]).toEqual([['/etc/nix/nix.conf', ORIGINAL]]);
  });

  it('says so when the rollback restart fails too', async () => {
    const files = memoryFiles({ '/etc/nix/nix.conf': ORIGINAL });
    const error = await configureNix(
      { sys, root: fakeRoot(2), files, backupDir, record: () => undefined },
      inputs,
      false,
    ).catch((e: unknown) => e);
    expect(String(error)).toMatch(
      /Rolling back was incomplete: restarting the daemon with the old configuration failed too/,
    );
    expect(files.texts.get('/etc/nix/nix.conf')).toBe(ORIGINAL);
  });

  it('writes nothing and restarts nothing when the plan changes nothing', async () => {
    const files = memoryFiles({ '/etc/nix/nix.conf': ORIGINAL });
    const root = fakeRoot(0);
    const none: PlanInputs = { ...inputs, publicKeys: [], extraSubstituters: [] };
    delete (none as { cache?: unknown }).cache;
    delete (none as { token?: unknown }).token;
    const done = await configureNix({ sys, root, files, backupDir, record: () => undefined }, none, true);
    expect(files.log).toEqual([]);
    expect(root.restarts).toBe(0);
    expect(done.state.daemonRestarted).toBe(false);
  });
});
