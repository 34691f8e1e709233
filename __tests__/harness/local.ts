/**
 * `npm run local`: the action's job on this machine, as a GitHub runner would run it, on an embedded
 * default — the real-Nix test bed, loopback servers, and a job of the action's steps run as `runner`.
 * Prints the log as GitHub shows it, the step outputs and the job summary; exits with the job's status.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { startOidcServer } from '../servers/oidc.js';
import { PROJECT_ROOT } from './action.js';
import { type JobSpec, runJob } from './job.js';
import { renderLog, renderSummary } from './render.js';

const defaultJob = (idToken: JobSpec['idToken']): JobSpec => ({
  runnerEnvironment: 'github-hosted',
  ...(idToken ? { idToken } : {}),
  steps: [
    { uses: '.', id: 'nix-cache' },
    { run: 'nix --extra-experimental-features nix-command store ping' },
  ],
});

async function main(): Promise<number> {
  if (process.getuid?.() !== 0) {
    console.error('npm run local needs root: it brings up the test bed (a nix-daemon and a `runner` user).');
    return 1;
  }
  const bed = spawnSync('bash', [join(PROJECT_ROOT, '__tests__', 'testbed', 'testbed.sh'), 'up'], {
    stdio: 'inherit',
  });
  if (bed.status !== 0) return bed.status ?? 1;
  const oidc = await startOidcServer();
  try {
    const job = await runJob(defaultJob({ requestUrl: oidc.requestUrl, requestToken: oidc.requestToken }));
    try {
      console.log(`\n── Log (as GitHub shows it) ${'─'.repeat(50)}`);
      console.log(renderLog(job.log));
      console.log(`\n── Steps ${'─'.repeat(69)}`);
      for (const r of job.results) {
        const outputs = Object.entries(r.outputs).map(([k, v]) => `${k}=${v}`);
        console.log(
          `${r.conclusion.padEnd(8)} ${r.name}${outputs.length > 0 ? `\n         ${outputs.join('\n         ')}` : ''}`,
        );
      }
      console.log(`\n── Job summary ${'─'.repeat(63)}`);
      console.log(renderSummary(job.summary));
      console.log(`\nJob ${job.status}.`);
      return job.status === 'success' ? 0 : 1;
    } finally {
      job.cleanup();
    }
  } finally {
    await oidc.close();
  }
}

process.exitCode = await main();
