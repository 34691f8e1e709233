/**
 * The credential refresher (dist/refresh/index.js), started detached by main: the spec on stdin, then
 * renewals until post stops it, the job is over, or the hard cap. It writes only to its log file
 * (renewals and expiries, never a token); the ID-token request variables live in its own environment.
 */
import { existsSync, openSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ownedFiles } from '../config/files.js';
import { type LoopResult, runRefresher } from '../login/refresh/loop.js';
import { applyWrites, describeTargets, renewalFor } from '../login/refresh/renewal.js';
import { type RefresherSpec, parseSpec } from '../login/refresh/spec.js';
import { ID_TOKEN_TOKEN_VAR, ID_TOKEN_URL_VAR, createMintIdToken } from '../login/oidc.js';
import { type RetryPolicy, realTiming } from '../login/retry.js';
import { helperLog, readStdin, sayReady } from '../system/detached-side.js';
import { privilegedFor } from '../system/privileged.js';
import { runCommand } from '../system/exec.js';
import { realSystem } from '../system/real.js';
import type { System } from '../system/types.js';
import { errorMessage } from '../util/errors.js';

/** The loop retries: one attempt per mint or exchange call. */
const ONE_ATTEMPT: RetryPolicy = { baseMs: 0, maxDelayMs: 0, totalMs: 0, maxAttempts: 1 };

/** The real system, but commands it runs (sudo and the root helper) never see the request token. */
function scrubbedSystem(): System {
  const sys = realSystem();
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      (e): e is [string, string] =>
        e[1] !== undefined && e[0] !== ID_TOKEN_URL_VAR && e[0] !== ID_TOKEN_TOKEN_VAR,
    ),
  );
  return {
    ...sys,
    exec: { run: (command, args, options) => runCommand(command, args, { env, ...options }) },
  };
}

export async function run(): Promise<void> {
  let spec: RefresherSpec;
  try {
    spec = parseSpec(await readStdin());
  } catch (error: unknown) {
    process.stderr.write(`nix-cache-action refresher: ${errorMessage(error)}\n`);
    process.exit(2);
  }
  const log = helperLog(openSync(spec.logFile, 'a', 0o600), 'refresher');
  // getIDToken reads these from the environment; only this process has them.
  process.env[ID_TOKEN_URL_VAR] = spec.idTokenRequest.url;
  process.env[ID_TOKEN_TOKEN_VAR] = spec.idTokenRequest.token;
  const helper = {
    node: process.execPath,
    script: join(dirname(fileURLToPath(import.meta.url)), '..', 'root', 'index.js'),
  };
  const files = ownedFiles(privilegedFor(scrubbedSystem(), spec.privilege, helper));
  const renewal = renewalFor(spec.renewal, {
    mint: createMintIdToken({ policy: ONE_ATTEMPT }),
    exchange: { policy: ONE_ATTEMPT, mask: () => undefined, log },
  });

  let stopping = false;
  let writing = false;
  const end = (result: LoopResult): never => {
    log(`exiting (${result.end}) after ${result.renewals} renewal(s)`);
    process.exit(result.end === 'gave-up' ? 1 : 0);
  };
  const started = Date.now();
  /** Renewals written (for the exit line when SIGTERM ends the process between loop turns). */
  let written = 0;
  process.on('SIGTERM', () => {
    stopping = true;
    // A write in progress finishes first (the loop then sees `stopping`).
    if (!writing) end({ end: 'stopped', renewals: written });
  });
  process.on('SIGHUP', () => undefined);

  log(
    `started for the ${renewal.what}: current credential valid until ${new Date(spec.expiresAt).toISOString()}; ` +
      `${describeTargets(spec.renewal)}; ends when ${spec.lifeline} is gone`,
  );
  sayReady(spec.readyFd);
  const result = await runRefresher(
    { obtainedAt: spec.issuedAt, expiresAt: spec.expiresAt },
    {
      renewal,
      apply: async (writes) => {
        writing = true;
        try {
          await applyWrites(files, writes);
          written += 1;
        } finally {
          writing = false;
        }
      },
      timing: realTiming,
      log,
      alive: () => existsSync(spec.lifeline),
      stopping: () => stopping,
      deadline: started + spec.maxRunMs,
    },
  );
  end(result);
}
