/**
 * Configure, more ways a job meets Nix: a user with no root access at all (only their own client can
 * be configured, and a warning says what the daemon will not get); a daemon that looked the cache up
 * before the credentials existed (Nix remembers that miss; the action's block must not let it hide the
 * cache for the rest of the job); a global nix.conf managed by the system (NixOS), never written.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { PROJECT_ROOT } from '../harness/action.js';
import { runJob } from '../harness/job.js';
import { describeE2E } from '../testbed/e2e.js';
import { NIX_CONF, TESTBED_SCRIPT, testbed, userInfo } from '../testbed/run-as.js';
import { changedSince, filesContaining, snapshot } from './support/files.js';
import { type PrivateCache, deletePaths, isValidPath, privateCache } from './support/private-cache.js';

const TOKEN = 'tok_more_7c1e5a9d3b2f4e6081a2c4e6f8091b3d';
const NIXCMD = 'nix --extra-experimental-features nix-command';
const ROOT_NETRC = '/etc/nix/nix-cache-action/netrc';
/** A user in nix-users (it reaches the daemon) that may not use sudo: the action cannot become root. */
const NO_ROOT = 'nca-nosudo';
const SBIN_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

const sh = (command: string, args: readonly string[]): void => {
  execFileSync(command, args, { stdio: 'ignore' });
};
const removeUser = (name: string): void => {
  try {
    sh('userdel', ['--remove', name]);
  } catch {
    // not there
  }
  for (const dir of ['profiles', 'gcroots']) sh('rm', ['-rf', `/nix/var/nix/${dir}/per-user/${name}`]);
};

/** A step that records a command's exit code as output `name` (its stdout goes to the log): the job goes on either way. */
const exitCodeOf = (command: string, name = 'code'): string =>
  `if ${command} >&2; then echo ${name}=0; else echo "${name}=$?"; fi >> "$GITHUB_OUTPUT"`;

describeE2E('configure: more ways a job meets Nix', () => {
  // Each test starts from the test bed's own configuration (hosted jobs leave theirs on purpose).
  beforeEach(async () => {
    await testbed('up');
  });

  describe('a user without root access', () => {
    let pc: PrivateCache;
    beforeAll(async () => {
      removeUser(NO_ROOT);
      sh('useradd', ['--create-home', '--shell', '/bin/bash', '--groups', 'nix-users', NO_ROOT]);
      pc = await privateCache({ tokens: [{ token: TOKEN, read: true, name: 'ci' }] });
    });
    afterAll(async () => {
      await pc.close();
      removeUser(NO_ROOT);
    });

    it("configures that user's client only, says what the daemon misses, and post removes the credentials", async () => {
      const home = userInfo(NO_ROOT).home;
      const userConf = `${home}/.config/nix/nix.conf`;
      const globalBefore = snapshot([NIX_CONF, ROOT_NETRC]);
      const userBefore = snapshot([userConf]);
      deletePaths(pc.closure.filter(isValidPath));
      const job = await runJob({
        user: NO_ROOT,
        runnerEnvironment: 'self-hosted',
        steps: [
          { id: 'sudo', run: exitCodeOf('sudo -n true 2>/dev/null') },
          {
            uses: '.',
            id: 'nix',
            with: { cache: pc.cache.url, 'public-keys': pc.key.publicKey, token: TOKEN },
          },
          {
            id: 'files',
            run: [
              'netrc="$RUNNER_TEMP/nix-cache-action/netrc"',
              'echo "netrc-mode=$(stat -c %a "$netrc")" >> "$GITHUB_OUTPUT"',
              `echo "conf-netrc=$(sed -n 's/^netrc-file = //p' ~/.config/nix/nix.conf)" >> "$GITHUB_OUTPUT"`,
              'echo "netrc-path=$netrc" >> "$GITHUB_OUTPUT"',
            ].join('\n'),
          },
          // The root side, as it is while the job runs (post restores it on a self-hosted runner).
          {
            id: 'global',
            user: 'root',
            run: `echo "sha=$(sha256sum ${NIX_CONF} | cut -d' ' -f1)" >> "$GITHUB_OUTPUT"; ${exitCodeOf(`test -e ${ROOT_NETRC}`, 'root-netrc')}`,
          },
          // The user's own client reads the cache with its key and token: narinfo, then the NARs.
          { id: 'info', run: `${NIXCMD} path-info --store '${pc.cache.url}' ${pc.path}` },
          {
            id: 'copy',
            run: `${NIXCMD} copy --from '${pc.cache.url}' --to "$RUNNER_TEMP/chroot" ${pc.path} && test -e "$RUNNER_TEMP/chroot${pc.path}"`,
          },
          // The daemon did not get the cache: substitution through it still fails, as the warning says.
          { id: 'daemon', run: exitCodeOf(`nix-store -r ${pc.path}`) },
        ],
      });
      try {
        expect(job.results.map((r) => `${r.name}:${r.conclusion}`)).toEqual([
          'sudo:success',
          'nix:success',
          'files:success',
          'global:success',
          'info:success',
          'copy:success',
          'daemon:success',
          'Post nix:success',
        ]);
        expect(job.steps.sudo?.outputs.code).not.toBe('0');
        expect(job.steps.nix?.outputs['can-write-root-files']).toBe('false');
        // Only the user's files: the global nix.conf untouched, no root netrc.
        const sha = execFileSync('sha256sum', [NIX_CONF], { encoding: 'utf8' }).split(' ')[0];
        expect(job.steps.global?.outputs).toEqual({ sha, 'root-netrc': '1' });
        expect(changedSince(globalBefore)).toEqual([]);
        expect(job.steps.files?.outputs['netrc-mode']).toBe('600');
        expect(job.steps.files?.outputs['conf-netrc']).toBe(job.steps.files?.outputs['netrc-path']);
        // The user's client read the NARs with the token; the daemon could not.
        const reads = pc.cache.log.filter((r) => r.identity === 'token:ci' && r.status === 200);
        expect(reads.filter((r) => r.kind === 'nar').length).toBeGreaterThanOrEqual(pc.closure.length);
        expect(job.steps.daemon?.outputs.code).not.toBe('0');
        expect(isValidPath(pc.path)).toBe(false);
        // One warning that names what the daemon will not get, and how to fix it.
        const warnings = job.log.annotations.filter((a) => a.level === 'warning' && a.step === 'nix');
        expect(warnings).toHaveLength(1);
        const warning = warnings.map((a) => a.message).join('\n');
        expect(warning).toMatch(/cannot write root-owned files/);
        expect(warning).toContain(`builds will not download from ${pc.cache.url}`);
        expect(warning).toContain(`refuses paths signed only by ${pc.key.name}`);
        expect(warning).toMatch(/ignores netrc-file from an untrusted user/);
        expect(warning).toMatch(/To fix: run the job as root, allow nca-nosudo passwordless sudo/);
        // Post: the credentials are gone, the user's configuration is as it was (self-hosted).
        expect(existsSync(job.steps.files?.outputs['netrc-path'] ?? '/nonexistent')).toBe(false);
        expect(changedSince(userBefore)).toEqual([]);
        expect(
          filesContaining(TOKEN, ['/etc/nix', '/root/.config', '/run/nix-cache-action', home, job.root]),
        ).toEqual([]);
        expect(job.log.leaks(TOKEN)).toEqual([]);
      } finally {
        job.cleanup();
      }
    });
  });

  describe("a lookup made before the credentials existed (Nix's negative narinfo cache)", () => {
    // nix-cache-info is public, paths are not: an anonymous narinfo request gets a 401, which Nix 2.8
    // takes for "not there" and remembers for narinfo-cache-negative-ttl (3600 s by default) in the
    // querying user's ~/.cache/nix, for the daemon root's. (A cache that refuses nix-cache-info too is
    // never opened without credentials, so nothing is remembered: see the HTTP cache's own tests.)
    let pc: PrivateCache;
    beforeAll(async () => {
      pc = await privateCache({ tokens: [{ token: TOKEN, read: true, name: 'ci' }], publicCacheInfo: true });
    });
    afterAll(async () => {
      await pc.close();
    });

    const hashOf = (path: string): string => path.slice('/nix/store/'.length, '/nix/store/'.length + 32);
    /** A root step that puts what root's narinfo cache (the daemon's) says of the path in its outputs. */
    const narinfoCacheRow = (): string => {
      const script = [
        'const { DatabaseSync } = require("node:sqlite");',
        'const db = new DatabaseSync("/root/.cache/nix/binary-cache-v6.sqlite", { readOnly: true });',
        'const row = db.prepare("select n.present as present from NARs n join BinaryCaches b on n.cache = b.id where b.url = ? and n.hashPart = ?").get(process.argv[1], process.argv[2]);',
        'console.log("present=" + (row === undefined ? "none" : row.present));',
      ].join(' ');
      const node = join(PROJECT_ROOT, 'node_modules', 'node', 'bin', 'node');
      return `'${node}' --no-warnings -e '${script}' '${pc.cache.url}' ${hashOf(pc.path)} >> "$GITHUB_OUTPUT"`;
    };

    /** The job: the daemon looks the cache up anonymously, the action adds the token, the daemon looks again. */
    const job = (edit: string | undefined) =>
      runJob({
        runnerEnvironment: 'github-hosted',
        steps: [
          {
            id: 'preconfigure',
            user: 'root',
            run: [
              `printf 'extra-substituters = %s\\nextra-trusted-public-keys = %s\\n' '${pc.cache.url}' '${pc.key.publicKey}' >> ${NIX_CONF}`,
              `${SBIN_PATH} bash '${TESTBED_SCRIPT}' restart-daemon`,
            ].join('\n'),
          },
          { id: 'before', run: exitCodeOf(`nix-store -r ${pc.path}`) },
          { id: 'remembered', user: 'root', run: narinfoCacheRow() },
          {
            uses: '.',
            id: 'nix',
            with: {
              cache: pc.cache.url,
              'public-keys': pc.key.publicKey,
              token: TOKEN,
              'trusted-user': 'false',
            },
          },
          ...(edit === undefined
            ? []
            : [
                {
                  id: 'edit',
                  user: 'root',
                  run: `${edit}\n${SBIN_PATH} bash '${TESTBED_SCRIPT}' restart-daemon`,
                },
              ]),
          { id: 'after', run: exitCodeOf(`nix-store -r ${pc.path}`) },
        ],
      });

    it('the daemon substitutes from the cache once the action ran, in the same job', async () => {
      deletePaths(pc.closure.filter(isValidPath));
      pc.cache.clearLog();
      const run = await job(undefined);
      try {
        expect(run.results.map((r) => `${r.name}:${r.conclusion}`)).toEqual([
          'preconfigure:success',
          'before:success',
          'remembered:success',
          'nix:success',
          'after:success',
          'Post nix:success',
        ]);
        // The first lookup: anonymous, refused, and remembered as "not there" by the daemon (root).
        expect(run.steps.before?.outputs.code).not.toBe('0');
        const narinfo = pc.cache.log.filter((r) => r.kind === 'narinfo' && r.hash === hashOf(pc.path));
        expect(narinfo[0]).toMatchObject({ status: 401 });
        expect(narinfo[0]?.identity).toBeUndefined();
        const first = pc.cache.http.requests.find((r) => r.path === `/${hashOf(pc.path)}.narinfo`);
        expect(first?.headers.authorization).toBeUndefined();
        expect(run.steps.remembered?.outputs.present).toBe('0');
        // The second: with the token, found, and the path is in the store.
        expect(run.steps.after?.outputs.code).toBe('0');
        expect(narinfo.slice(1).some((r) => r.status === 200 && r.identity === 'token:ci')).toBe(true);
        expect(isValidPath(pc.path)).toBe(true);
        expect(readFileSync(NIX_CONF, 'utf8')).toMatch(/^narinfo-cache-negative-ttl = 0$/m);
      } finally {
        run.cleanup();
      }
    });

    it('control: without narinfo-cache-negative-ttl = 0 in the block, the remembered miss hides the cache', async () => {
      deletePaths(pc.closure.filter(isValidPath));
      pc.cache.clearLog();
      const run = await job(`sed -i '/^narinfo-cache-negative-ttl = 0$/d' ${NIX_CONF}`);
      try {
        expect(run.results.map((r) => `${r.name}:${r.conclusion}`)).toEqual([
          'preconfigure:success',
          'before:success',
          'remembered:success',
          'nix:success',
          'edit:success',
          'after:success',
          'Post nix:success',
        ]);
        expect(run.steps.remembered?.outputs.present).toBe('0');
        expect(run.steps.after?.outputs.code).not.toBe('0');
        // Answered from the daemon's memory: no narinfo request with the token at all.
        const narinfo = pc.cache.log.filter((r) => r.kind === 'narinfo' && r.hash === hashOf(pc.path));
        expect(narinfo.map((r) => r.status)).toEqual([401]);
        expect(isValidPath(pc.path)).toBe(false);
      } finally {
        run.cleanup();
      }
    });
  });

  describe('a global nix.conf managed by the system (a link into /etc/static, as on NixOS)', () => {
    const STATIC_DIR = '/etc/static';
    const STATIC_CONF = `${STATIC_DIR}/nix/nix.conf`;
    /** The netrc the daemon reads when nothing names one ($NIX_CONF_DIR/netrc), there before the job. */
    const NETRC = '/etc/nix/netrc';
    const OTHER = 'machine other.example.org login other password other-secret-5d2e\n';
    let pc: PrivateCache;
    beforeAll(async () => {
      pc = await privateCache({ tokens: [{ token: TOKEN, read: true, name: 'ci' }] });
    });
    afterAll(async () => {
      await pc.close();
    });

    it('never writes it: the token joins the netrc the daemon reads, no restart; post takes only that entry out', async () => {
      if (existsSync(STATIC_DIR)) throw new Error(`${STATIC_DIR} exists on this machine: not touching it`);
      // The system's configuration lists the cache and its key; only the token comes from the job.
      const system = `${readFileSync(NIX_CONF, 'utf8')}extra-substituters = ${pc.cache.url}\nextra-trusted-public-keys = ${pc.key.publicKey}\n`;
      mkdirSync(dirname(STATIC_CONF), { recursive: true });
      writeFileSync(STATIC_CONF, system);
      rmSync(NIX_CONF);
      symlinkSync(STATIC_CONF, NIX_CONF);
      writeFileSync(NETRC, OTHER);
      chmodSync(NETRC, 0o640);
      try {
        await testbed('restart-daemon');
        const before = snapshot([STATIC_CONF, NETRC]);
        deletePaths(pc.closure.filter(isValidPath));
        const job = await runJob({
          runnerEnvironment: 'github-hosted',
          steps: [
            {
              uses: '.',
              id: 'nix',
              with: {
                cache: pc.cache.url,
                'public-keys': pc.key.publicKey,
                token: TOKEN,
                'trusted-user': 'false',
              },
            },
            {
              id: 'netrc',
              user: 'root',
              run: `echo "mode=$(stat -c %a ${NETRC})" >> "$GITHUB_OUTPUT"; echo "machines=$(awk '{printf "%s ", $2}' ${NETRC})" >> "$GITHUB_OUTPUT"`,
            },
            // The daemon substitutes with the token from the netrc it already reads.
            { id: 'realise', run: `nix-store -r ${pc.path}` },
          ],
        });
        try {
          expect(job.results.map((r) => `${r.name}:${r.conclusion}`)).toEqual([
            'nix:success',
            'netrc:success',
            'realise:success',
            'Post nix:success',
          ]);
          expect(readlinkSync(NIX_CONF)).toBe(STATIC_CONF);
          // While it holds the token it is root's alone; post gives it its own mode back.
          expect(job.steps.netrc?.outputs).toEqual({ mode: '600', machines: 'other.example.org 127.0.0.1 ' });
          expect(job.log.shown('nix')).toMatch(/Daemon not restarted/);
          // Nothing is missing on the daemon's side: no warning.
          expect(job.log.annotations.filter((a) => a.step === 'nix')).toEqual([]);
          expect(
            pc.cache.log.some((r) => r.kind === 'nar' && r.status === 200 && r.identity === 'token:ci'),
          ).toBe(true);
          expect(isValidPath(pc.path)).toBe(true);
          // Post (hosted): the system's file untouched, the netrc as it was, mode included.
          expect(changedSince(before)).toEqual([]);
          expect(statSync(NETRC).mode & 0o777).toBe(0o640);
          expect(filesContaining(TOKEN, ['/etc/nix', '/etc/static', '/root/.config', job.root])).toEqual([]);
          expect(job.log.leaks(TOKEN)).toEqual([]);
        } finally {
          job.cleanup();
        }
      } finally {
        rmSync(NIX_CONF, { force: true });
        rmSync(STATIC_DIR, { recursive: true, force: true });
        rmSync(NETRC, { force: true });
        await testbed('up');
      }
    });
  });
});
