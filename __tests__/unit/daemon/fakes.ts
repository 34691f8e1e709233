/**
 * Fakes at the seams for the daemon restart: a System and a Privileged whose commands answer from a
 * script (per argv, in order, the last answer repeating), and a clock that only moves when slept on
 * or when a command "takes time". A command the script does not know fails the test.
 */
import type { Clock } from '../../../src/daemon/wait.js';
import type { Privileged, RestartProcessOptions, RestartedProcess } from '../../../src/system/privileged.js';
import type { ExecOptions, ExecResult, Host, System } from '../../../src/system/types.js';

export interface ScriptedCommand {
  readonly argv: readonly string[];
  /** Answers in order; the last one repeats. */
  readonly results: readonly ExecResult[];
  /** How long each run takes on the fake clock. */
  readonly costMs?: number;
}

export interface Call {
  readonly argv: readonly string[];
  readonly options: ExecOptions | undefined;
}

export const ok = (stdout = '', stderr = ''): ExecResult => ({ code: 0, stdout, stderr });
export const failed = (code: number, stderr: string, stdout = ''): ExecResult => ({ code, stdout, stderr });

export interface FakeClock extends Clock {
  readonly slept: number[];
  advance(ms: number): void;
}

export function fakeClock(): FakeClock {
  let now = 1_000_000;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleep: (ms) => {
      slept.push(ms);
      now += ms;
      return Promise.resolve();
    },
    advance: (ms) => {
      now += ms;
    },
  };
}

function scripted(script: readonly ScriptedCommand[], calls: Call[], clock: FakeClock | undefined) {
  const used = new Map<ScriptedCommand, number>();
  return (command: string, args: readonly string[], options?: ExecOptions): Promise<ExecResult> => {
    const argv = [command, ...args];
    calls.push({ argv, options });
    const entry = script.find((s) => s.argv.length === argv.length && s.argv.every((a, i) => a === argv[i]));
    if (!entry) return Promise.reject(new Error(`unexpected command \`${argv.join(' ')}\``));
    const n = used.get(entry) ?? 0;
    used.set(entry, n + 1);
    clock?.advance(entry.costMs ?? 0);
    const result = entry.results[Math.min(n, entry.results.length - 1)];
    return result
      ? Promise.resolve(result)
      : Promise.reject(new Error(`no answer for \`${argv.join(' ')}\``));
  };
}

export interface FakeSystem extends System {
  readonly calls: Call[];
}

export function fakeSystem(options: {
  readonly platform: NodeJS.Platform;
  readonly commands: readonly ScriptedCommand[];
  readonly files?: Readonly<Record<string, string>>;
  readonly env?: Readonly<Record<string, string>>;
  readonly clock?: FakeClock;
}): FakeSystem {
  const calls: Call[] = [];
  const host: Host = {
    platform: options.platform,
    arch: 'x64',
    uid: 1001,
    user: 'runner',
    home: options.platform === 'darwin' ? '/Users/runner' : '/home/runner',
  };
  const files = options.files ?? {};
  return {
    calls,
    host,
    env: options.env ?? { HOME: host.home, PATH: '/usr/bin:/bin' },
    exec: { run: scripted(options.commands, calls, options.clock) },
    files: {
      read: (path) => Promise.resolve(files[path]),
      exists: (path) => Promise.resolve(files[path] !== undefined),
      list: () => Promise.resolve([]),
      kind: (path) => Promise.resolve(files[path] === undefined ? undefined : 'file'),
    },
  };
}

export interface FakeRoot extends Privileged {
  readonly calls: Call[];
  readonly restarts: { pid: number; options: RestartProcessOptions }[];
}

export function fakeRoot(options: {
  readonly commands?: readonly ScriptedCommand[];
  readonly restartProcess?: (pid: number, options: RestartProcessOptions) => Promise<RestartedProcess>;
}): FakeRoot {
  const calls: Call[] = [];
  const restarts: { pid: number; options: RestartProcessOptions }[] = [];
  const run = scripted(options.commands ?? [], calls, undefined);
  const unused = (): Promise<never> => Promise.reject(new Error('not used by the daemon restart'));
  return {
    via: 'sudo',
    calls,
    restarts,
    run: (command, args, opts) => run(command, args, opts),
    readFile: unused,
    statFile: unused,
    writeFile: unused,
    removeFile: unused,
    restartProcess: (pid, opts) => {
      restarts.push({ pid, options: opts });
      return options.restartProcess ? options.restartProcess(pid, opts) : unused();
    },
  };
}
