/** The runner harness itself, on real processes and users: what later scenarios rely on. */
import { expect, it } from '@jest/globals';
import { runJob } from '../harness/job.js';
import { describeE2E } from '../testbed/e2e.js';

describeE2E('runner harness', () => {
  it('runs shell steps as runner (with its groups) and carries GITHUB_ENV, GITHUB_PATH and outputs', async () => {
    const job = await runJob({
      steps: [
        {
          id: 'first',
          run: [
            'echo "FOO=bar baz" >> "$GITHUB_ENV"',
            'printf "MULTI<<EOF\\nline 1\\nline 2\\nEOF\\n" >> "$GITHUB_ENV"',
            'echo /opt/extra/bin >> "$GITHUB_PATH"',
            'echo "who=$(id -un)" >> "$GITHUB_OUTPUT"',
            'echo "groups=$(id -Gn)" >> "$GITHUB_OUTPUT"',
          ].join('\n'),
        },
        {
          id: 'second',
          run: 'printf "seen<<END\\n%s|%s|%s\\nEND\\n" "$FOO" "$MULTI" "${PATH%%:*}" >> "$GITHUB_OUTPUT"',
        },
        { id: 'as-root', user: 'root', run: 'echo "who=$(id -un)" >> "$GITHUB_OUTPUT"' },
        {
          id: 'templated',
          run: (j) => `echo "echo=${j.steps.first?.outputs.who ?? ''}" >> "$GITHUB_OUTPUT"`,
        },
      ],
    });
    try {
      expect(job.status).toBe('success');
      expect(job.steps.first?.outputs.who).toBe('runner');
      expect(job.steps.first?.outputs.groups?.split(' ')).toContain('nix-users');
      expect(job.steps.second?.outputs.seen).toBe('bar baz|line 1\nline 2|/opt/extra/bin');
      expect(job.steps['as-root']?.outputs.who).toBe('root');
      expect(job.steps.templated?.outputs.echo).toBe('runner');
    } finally {
      job.cleanup();
    }
  });

  it('skips steps after a failure, runs `if: always()` ones, and fails the job', async () => {
    const job = await runJob({
      steps: [
        { id: 'fails', run: 'echo about to fail; exit 3' },
        { id: 'skipped', run: 'echo should not run' },
        { id: 'always', if: 'always()', run: 'echo cleanup ran' },
      ],
    });
    try {
      expect(job.status).toBe('failure');
      expect(job.results.map((r) => [r.id, r.conclusion, r.exitCode])).toEqual([
        ['fails', 'failure', 3],
        ['skipped', 'skipped', undefined],
        ['always', 'success', 0],
      ]);
      expect(job.log.shown()).not.toMatch(/should not run/);
      expect(job.log.shown()).toMatch(/cleanup ran/);
    } finally {
      job.cleanup();
    }
  });

  it('masks what a step registered and reports a secret printed before its mask', async () => {
    const job = await runJob({
      steps: [
        { run: 'echo "early hunter2"; echo "::add-mask::hunter2"; echo "late hunter2"' },
        { run: 'echo "::add-mask::correct-horse"; echo "one correct-horse"' },
      ],
    });
    try {
      expect(job.log.leaks('hunter2')).toEqual(['[run #1] early hunter2']);
      expect(job.log.leaks('correct-horse')).toEqual([]);
      expect(job.log.shown()).toContain('late ***');
    } finally {
      job.cleanup();
    }
  });

  it('kills a step that outlives its timeout', async () => {
    const job = await runJob({ stepTimeoutMs: 1000, steps: [{ run: 'sleep 30' }] });
    try {
      expect(job.results[0]?.exitCode).toBe(124);
      expect(job.status).toBe('failure');
    } finally {
      job.cleanup();
    }
  });
});
