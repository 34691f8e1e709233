/**
 * `npm run local`: the action's job on this machine, as a GitHub runner would run it, on an embedded
 * default — the real-Nix test bed, loopback servers, and a job of the action's steps run as `runner`.
 * Prints the log as GitHub shows it, the step outputs and the job summary; exits with the job's status.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { newSigningKey, privateCache } from '../e2e/support/private-cache.js';
import { copySampleFlake } from '../testbed/run-as.js';
import { startOidcServer } from '../servers/oidc.js';
import { PROJECT_ROOT } from './action.js';
import { type JobSpec, runJob } from './job.js';
import { renderLog, renderSummary } from './render.js';

/** A demo token for the loopback cache; the job's log shows it masked. */
const TOKEN = 'local-demo-token-5f1c9a7e';

interface Defaults {
  readonly idToken: JobSpec['idToken'];
  readonly cache: string;
  readonly publicKey: string;
  /** A path only the token-protected cache holds. */
  readonly path: string;
  /** A fresh copy of the sample flake: the job builds it and the post step pushes it. */
  readonly flake: string;
  readonly signingKey: string;
}

const defaultJob = (d: Defaults): JobSpec => ({
  runnerEnvironment: 'github-hosted',
  ...(d.idToken ? { idToken: d.idToken } : {}),
  steps: [
    {
      uses: '.',
      id: 'nix-cache',
      with: {
        cache: d.cache,
        'public-keys': d.publicKey,
        token: TOKEN,
        'signing-key': d.signingKey,
        // Offline: no cache.nixos.org to skip paths of.
        'upstream-caches': '',
      },
    },
    { run: `nix-store --realise ${d.path}  # substituted through the daemon, with its credentials` },
    {
      run: `nix --extra-experimental-features 'nix-command flakes' --option flake-registry '' build --no-link path:${d.flake}#app  # pushed by the post step`,
    },
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
  const cache = await privateCache({ tokens: [{ token: TOKEN, read: true, write: true, name: 'local' }] });
  const flake = await copySampleFlake();
  const key = newSigningKey('local-demo-push');
  try {
    const job = await runJob(
      defaultJob({
        idToken: { requestUrl: oidc.requestUrl, requestToken: oidc.requestToken },
        cache: cache.cache.url,
        publicKey: cache.key.publicKey,
        path: cache.path,
        flake,
        signingKey: readFileSync(key.secretFile, 'utf8').trim(),
      }),
    );
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
    await cache.close();
    await oidc.close();
    key.cleanup();
    rmSync(flake, { recursive: true, force: true });
  }
}

process.exitCode = await main();
