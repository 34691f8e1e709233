/**
 * Running a command for the `Exec` seam: output captured (never echoed to the log, so nothing can leak
 * a secret it prints), input on stdin (the way secrets reach a command: never on argv), and a timeout
 * that kills the command's whole process group.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { ExecOptions, ExecResult } from './types.js';

/** Exit code of a command killed because it ran longer than its timeout (as coreutils' `timeout`). */
export const TIMEOUT_EXIT_CODE = 124;
/** Exit code of a command that could not be found or started (as a shell reports it). */
export const NOT_FOUND_EXIT_CODE = 127;
/** After SIGTERM, how long a timed-out command gets before SIGKILL. */
const KILL_GRACE_MS = 2000;

export function runCommand(
  command: string,
  args: readonly string[],
  options: ExecOptions = {},
): Promise<ExecResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      env: options.env ?? process.env,
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      stdio: ['pipe', 'pipe', 'pipe'],
      // Its own process group, so a timeout stops what it started too.
      detached: options.timeoutMs !== undefined,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.stdin.on('error', () => undefined); // the command may exit without reading its input
    child.stdin.end(options.input ?? '');

    let timedOut = false;
    const killGroup = (signal: NodeJS.Signals): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, signal);
      } catch {
        // already gone
      }
    };
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            killGroup('SIGTERM');
            setTimeout(() => {
              killGroup('SIGKILL');
            }, KILL_GRACE_MS).unref();
          }, options.timeoutMs);

    let settled = false;
    const finish = (result: ExecResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(result);
    };
    child.on('error', (error) => {
      finish({ code: NOT_FOUND_EXIT_CODE, stdout: '', stderr: `${command}: ${error.message}\n` });
    });
    child.on('close', (code, signal) => {
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      if (timedOut) {
        killGroup('SIGKILL');
        finish({
          code: TIMEOUT_EXIT_CODE,
          stdout,
          stderr: `${stderr}${command}: timed out after ${options.timeoutMs ?? 0} ms\n`,
        });
        return;
      }
      finish({ code: code ?? 128 + (signal === null ? 0 : constants.signals[signal]), stdout, stderr });
    });
  });
}
