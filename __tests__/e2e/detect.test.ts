/**
 * The action's main and post steps, built, under node 24, through the runner harness, against the
 * test bed's multi-user nix-daemon. Expected values come from outside the action (dpkg, the test bed's
 * pid file, uname), so a wrong detection fails here.
 */
import { afterAll, beforeAll, beforeEach, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runJob } from '../harness/job.js';
import { renderSummary } from '../harness/render.js';
import { type OidcServer, startOidcServer } from '../servers/oidc.js';
import { describeE2E } from '../testbed/e2e.js';
import { DAEMON_PID_FILE, testbed } from '../testbed/run-as.js';

const debianNixVersion = (): string =>
  execFileSync('dpkg-query', ['-W', '-f', '${Version}', 'nix-bin'], { encoding: 'utf8' }).split('-')[0] ?? '';
const machineSystem = (): string =>
  `${execFileSync('uname', ['-m'], { encoding: 'utf8' }).trim().replace('arm64', 'aarch64')}-linux`;

describeE2E('environment detection through the built action', () => {
  // Each test starts from the test bed's own configuration (hosted jobs leave theirs on purpose).
  beforeEach(async () => {
    await testbed('up');
  });

  let oidc: OidcServer;
  beforeAll(async () => {
    oidc = await startOidcServer();
  });
  afterAll(async () => {
    await oidc.close();
  });

  it('reports the multi-user daemon correctly to runner on a hosted runner, and post reads it back', async () => {
    const daemonPid = readFileSync(DAEMON_PID_FILE, 'utf8').trim();
    const job = await runJob({
      runnerEnvironment: 'github-hosted',
      idToken: { requestUrl: oidc.requestUrl, requestToken: oidc.requestToken },
      steps: [
        { uses: '.', id: 'nix' },
        {
          id: 'after',
          run: (j) => `echo "mode=${j.steps.nix?.outputs['store-mode'] ?? ''}" >> "$GITHUB_OUTPUT"`,
        },
      ],
    });
    try {
      expect(job.status).toBe('success');
      expect(job.steps.nix?.outputs).toEqual({
        'nix-version': debianNixVersion(),
        'nix-implementation': 'nix',
        'store-mode': 'daemon',
        'daemon-manager': 'process',
        trusted: 'false',
        'can-write-root-files': 'true',
        'runner-kind': 'github-hosted',
        'nix-system': machineSystem(),
      });
      expect(job.steps.after?.outputs.mode).toBe('daemon');
      const mainLog = job.log.shown('nix');
      expect(job.log.groups).toContain('Detect the Nix environment');
      expect(mainLog).toMatch(
        new RegExp(`bare root process, pid ${daemonPid} \\(\\S*nix-daemon --daemon\\)`),
      );
      expect(mainLog).toMatch(/Trusted user \(runner\)\s+no \(trusted-users = root\)/);
      expect(mainLog).toMatch(/Can write root-owned files\s+yes \(passwordless sudo\)/);
      const summary = renderSummary(job.summary);
      expect(summary.match(/<table>/g) ?? []).toHaveLength(0); // rendered as text
      expect(job.summary.match(/<table>/g)).toHaveLength(1); // one table for the whole step
      expect(summary).toContain('Nix cache');
      expect(summary).toContain('Login | none (public caches)');
      expect(summary).toContain(`Nix | Nix ${debianNixVersion()}`);
      expect(summary).toContain('Global nix.conf | /etc/nix/nix.conf');
      const post = job.results.find((r) => r.kind === 'post');
      expect(post?.conclusion).toBe('success');
      expect(job.log.shown('Post nix')).toContain(
        `Nix ${debianNixVersion()}, store mode daemon, daemon: bare root process, pid ${daemonPid}`,
      );
      expect(job.log.leaks(oidc.requestToken)).toEqual([]);
    } finally {
      job.cleanup();
    }
  });

  it('reports a local store and trust for root on a self-hosted runner', async () => {
    const job = await runJob({
      user: 'root',
      runnerEnvironment: 'self-hosted',
      steps: [{ uses: '.', id: 'nix' }],
    });
    try {
      expect(job.status).toBe('success');
      expect(job.steps.nix?.outputs).toMatchObject({
        'store-mode': 'local',
        trusted: 'true',
        'can-write-root-files': 'true',
        'runner-kind': 'self-hosted',
      });
      expect(job.log.shown('nix')).toMatch(/Can write root-owned files\s+yes \(running as root\)/);
    } finally {
      job.cleanup();
    }
  });

  it('lists the configuration files Nix reads: NIX_CONF_DIR, includes, the user file, NIX_CONFIG', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nca-conf-'));
    mkdirSync(join(dir, 'xdg', 'nix'), { recursive: true });
    writeFileSync(join(dir, 'nix.conf'), 'include extra.conf\n!include optional-missing.conf\n');
    writeFileSync(join(dir, 'extra.conf'), 'connect-timeout = 7\n');
    writeFileSync(join(dir, 'xdg', 'nix', 'nix.conf'), 'fallback = true\n');
    execFileSync('chmod', ['-R', 'a+rX', dir]);
    const job = await runJob({
      env: { NIX_CONF_DIR: dir, XDG_CONFIG_HOME: join(dir, 'xdg'), NIX_CONFIG: 'warn-dirty = false' },
      steps: [{ uses: '.', id: 'nix' }],
    });
    try {
      expect(job.status).toBe('success');
      const row = /Configuration read\s+(.*)/.exec(job.log.shown('nix'))?.[1];
      expect(row).toBe(`${dir}/nix.conf, ${dir}/extra.conf, ${dir}/xdg/nix/nix.conf + NIX_CONFIG`);
      expect(job.log.shown('nix')).toMatch(new RegExp(`Global nix.conf\\s+${dir}/nix.conf`));
    } finally {
      job.cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('still runs post after a failed step, from what main saved', async () => {
    const job = await runJob({ steps: [{ uses: '.', id: 'nix' }, { run: 'exit 1' }] });
    try {
      expect(job.status).toBe('failure');
      expect(job.results.map((r) => `${r.kind}:${r.conclusion}`)).toEqual([
        'main:success',
        'run:failure',
        'post:success',
      ]);
      expect(job.log.shown('Post nix')).toContain('store mode daemon');
    } finally {
      job.cleanup();
    }
  });

  it('fails main with a clear error naming a bad input; post finds no state', async () => {
    const job = await runJob({ steps: [{ uses: '.', id: 'nix', with: { 'job-summary': 'maybe' } }] });
    try {
      expect(job.results.map((r) => `${r.kind}:${r.conclusion}`)).toEqual(['main:failure', 'post:success']);
      expect(job.log.annotations).toContainEqual({
        level: 'error',
        message: "Input 'job-summary' must be 'true' or 'false', not 'maybe'.",
        step: 'nix',
      });
      expect(job.log.shown('Post nix')).toContain('saved no state');
      expect(job.summary).toBe('');
    } finally {
      job.cleanup();
    }
  });

  it('says what to do when Nix is not installed', async () => {
    const job = await runJob({ env: { PATH: '/nonexistent' }, steps: [{ uses: '.', id: 'nix' }] });
    try {
      expect(job.status).toBe('failure');
      expect(job.log.annotations.map((a) => a.message).join('\n')).toMatch(/Nix is not installed.*install/is);
    } finally {
      job.cleanup();
    }
  });
});
