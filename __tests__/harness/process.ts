/**
 * Starting a step's process as a given user. Node's `uid`/`gid` spawn options drop supplementary
 * groups (and the nix-daemon socket directory is group `nix-users`), so a root parent switches user
 * through `setpriv --init-groups`, which keeps the account's groups as a login would.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { type UserInfo, asUser, userInfo } from '../testbed/run-as.js';

export interface Account extends UserInfo {
  readonly name: string;
}

export function account(name: string): Account {
  return { name, ...userInfo(name) };
}

export interface SpawnOptions {
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
  readonly timeoutMs: number;
  /** Each line of standard output and standard error, as it arrives. */
  readonly onLine: (line: string) => void;
}

/** Runs argv as `user`; resolves with the exit code (124 after a timeout, 128+n on signal n). */
export function spawnAs(user: Account, argv: readonly string[], options: SpawnOptions): Promise<number> {
  const [command = '', ...args] = asUser(user, argv);
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: options.env,
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    }, options.timeoutMs);
    const streams = [child.stdout, child.stderr].map((s) => {
      const rl = createInterface({ input: s });
      rl.on('line', options.onLine);
      return new Promise<void>((done) => rl.on('close', done));
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      void Promise.all(streams).then(() => {
        if (timedOut) resolve(124);
        else resolve(code ?? 128 + (signal ? signalNumber(signal) : 0));
      });
    });
  });
}

function signalNumber(signal: NodeJS.Signals): number {
  const numbers: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
  return numbers[signal] ?? 0;
}
