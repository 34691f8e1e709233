/**
 * Configure under failure: bad inputs write nothing; a daemon restart that fails rolls the
 * configuration back and leaves the daemon running; a single-user install (root, no daemon) works.
 */
import { beforeEach, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { runJob } from '../harness/job.js';
import { describeE2E } from '../testbed/e2e.js';
import {
  DAEMON_PID_FILE,
  NIX_CONF,
  RUNNER,
  failNextDaemonStarts,
  runAs,
  testbed,
  userInfo,
} from '../testbed/run-as.js';
import { changedSince, filesContaining, snapshot } from './support/files.js';

const TOKEN = 'tok_faults_0123456789abcdef';
const KEY = 'cache.example.org-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY=';
const SECRET_KEY = `cache.example.org-1:${Buffer.alloc(64, 7).toString('base64')}`;
const watched = (): string[] => [NIX_CONF, `${userInfo(RUNNER).home}/.config/nix/nix.conf`];

const badInputs: [string, Record<string, string>, string][] = [
  ['scheme', { cache: 'ftp://cache.example.org' }, 'cache'],
  ['newline injection', { cache: 'https://cache.example.org\nnetrc-file = /tmp/evil' }, 'cache'],
  ['credentials in URL', { cache: 'https://user:hunter2@cache.example.org' }, 'cache'],
  ['space in URL', { cache: 'https://cache.example .org' }, 'cache'],
  ['# in URL', { cache: 'https://cache.example.org/#x' }, 'cache'],
  ['empty host', { cache: 'https://' }, 'cache'],
  ['bad bucket', { cache: 's3://Bad_Bucket?region=eu-west-1' }, 'cache'],
  ['key without name', { 'public-keys': 'AAAA' }, 'public-keys'],
  ['key not base64', { 'public-keys': 'name:not*base64' }, 'public-keys'],
  ['key wrong length', { 'public-keys': `name:${Buffer.alloc(16).toString('base64')}` }, 'public-keys'],
  ['secret key as public key', { 'public-keys': SECRET_KEY }, 'public-keys'],
  ['token with space', { cache: 'https://cache.example.org', token: 'abc def' }, 'token'],
  [
    'token newline injection',
    { cache: 'https://cache.example.org', token: `${TOKEN}\nmachine evil password x` },
    'token',
  ],
  ['token with #', { cache: 'https://cache.example.org', token: 'abc#def' }, 'token'],
  [
    'bad extra substituter',
    { 'extra-substituters': 'https://ok.example.org\nhttp://bad host' },
    'extra-substituters',
  ],
  ['trusted-user value', { 'trusted-user': 'maybe' }, 'trusted-user'],
  ['push filter regex', { cache: 'https://cache.example.org', 'push-filter': '(unclosed' }, 'push-filter'],
  ['push include regex', { cache: 'https://cache.example.org', 'push-include': '[z-a]' }, 'push-include'],
  [
    'signing key of the wrong size',
    { cache: 'https://cache.example.org', 'signing-key': `push-1:${Buffer.alloc(48, 9).toString('base64')}` },
    'signing-key',
  ],
  [
    'signing key newline injection',
    { cache: 'https://cache.example.org', 'signing-key': `${SECRET_KEY}\nsecret-key-files = /etc/shadow` },
    'signing-key',
  ],
  ['compression', { cache: 'https://cache.example.org', compression: 'lzma' }, 'compression'],
  ['push jobs', { cache: 'https://cache.example.org', 'push-jobs': '0' }, 'push-jobs'],
  ['push timeout', { cache: 'https://cache.example.org', 'push-timeout': 'soon' }, 'push-timeout'],
];

describeE2E('configure: failures', () => {
  // Each test starts from the test bed's own configuration (hosted jobs leave theirs on purpose).
  beforeEach(async () => {
    await testbed('up');
  });

  it.each(badInputs)(
    'rejects %s with an error naming the input, writing nothing',
    async (_, inputs, name) => {
      const before = snapshot(watched());
      const job = await runJob({
        steps: [{ uses: '.', id: 'nix', with: { 'public-keys': KEY, ...inputs } }],
      });
      try {
        expect(job.steps.nix?.conclusion).toBe('failure');
        const errors = job.log.annotations.filter((a) => a.level === 'error').map((a) => a.message);
        expect(errors.join('\n')).toMatch(new RegExp(`'${name}'`));
        expect(changedSince(before)).toEqual([]);
        expect(filesContaining(TOKEN, ['/etc/nix', userInfo(RUNNER).home, job.root])).toEqual([]);
        expect(job.log.leaks(TOKEN)).toEqual([]);
        expect(job.log.leaks('hunter2')).toEqual([]);
        const key = inputs['signing-key'];
        if (key !== undefined)
          expect(job.log.leaks(key.slice(key.indexOf(':') + 1, key.indexOf(':') + 30))).toEqual([]);
      } finally {
        job.cleanup();
      }
    },
  );

  it('rolls back when the daemon does not come back after the restart, and fails with the reason', async () => {
    const before = snapshot(watched());
    await failNextDaemonStarts(1);
    const job = await runJob({
      runnerEnvironment: 'self-hosted',
      steps: [{ uses: '.', id: 'nix', with: { cache: 'https://cache.example.org', 'public-keys': KEY } }],
    });
    try {
      expect(job.steps.nix?.conclusion).toBe('failure');
      const errors = job.log.annotations
        .filter((a) => a.level === 'error')
        .map((a) => a.message)
        .join('\n');
      expect(errors).toMatch(/restart/i);
      expect(errors).toMatch(/rolled back/i);
      expect(changedSince(before)).toEqual([]);
      const ping = await runAs(RUNNER, [
        'nix',
        '--extra-experimental-features',
        'nix-command',
        'store',
        'ping',
      ]);
      expect(ping.code).toBe(0);
    } finally {
      job.cleanup();
      await testbed('up');
    }
  });

  it('works on a single-user install: root with no daemon running', async () => {
    const pid = Number(readFileSync(DAEMON_PID_FILE, 'utf8'));
    process.kill(pid, 'SIGTERM');
    await new Promise((r) => setTimeout(r, 1000));
    try {
      const job = await runJob({
        user: 'root',
        runnerEnvironment: 'self-hosted',
        env: { NIX_REMOTE: '' },
        steps: [
          { uses: '.', id: 'nix', with: { cache: 'https://cache.example.org', 'public-keys': KEY } },
          {
            id: 'show',
            run: "nix --extra-experimental-features nix-command show-config | grep -F 'https://cache.example.org'",
          },
        ],
      });
      try {
        expect(job.steps.nix?.outputs['daemon-manager']).toBe('none');
        expect(job.results.map((r) => `${r.name}:${r.conclusion}`)).toEqual([
          'nix:success',
          'show:success',
          'Post nix:success',
        ]);
      } finally {
        job.cleanup();
      }
    } finally {
      await testbed('up');
    }
  });
});
