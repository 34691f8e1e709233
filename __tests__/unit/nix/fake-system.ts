/**
 * A System that answers from a recorded case: commands by exact argv, files, listings and kinds as
 * recorded. A command the case does not know fails the test (detection asked something the fixture
 * never saw), so fixtures stay complete and detection cannot quietly run other commands.
 */
import type { ExecOptions, ExecResult, System } from '../../../src/system/types.js';
import { type CaseCommand, type CaseKind, type LoadedCase, sameArgv } from './recorded-case.js';

/** Changes to a case for one test: commands answered differently, environment variables changed. */
export interface CaseOverrides {
  /** Take precedence over the case's recordings with the same argv. */
  readonly commands?: readonly CaseCommand[];
  /** Merged over the case's environment; undefined removes a variable. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Merged over the case's path kinds. */
  readonly kinds?: Readonly<Record<string, CaseKind>>;
}

export interface FakeSystem extends System {
  /** Every command run, in order: [command, ...args]. */
  readonly calls: string[][];
  /** Every option object passed with a command, in the same order. */
  readonly options: (ExecOptions | undefined)[];
}

export function fakeSystem(c: LoadedCase, overrides: CaseOverrides = {}): FakeSystem {
  const { spec } = c;
  const commands = [...(overrides.commands ?? []), ...spec.commands];
  const calls: string[][] = [];
  const options: (ExecOptions | undefined)[] = [];
  const fileText = (path: string): string | undefined => {
    const t = spec.files?.[path];
    return t === undefined ? undefined : c.text(t);
  };
  const kinds = { ...spec.kinds, ...overrides.kinds };
  const kind = (path: string): CaseKind | undefined =>
    kinds[path] ?? (spec.files?.[path] !== undefined ? 'file' : spec.dirs?.[path] ? 'directory' : undefined);

  return {
    calls,
    options,
    env: { ...spec.env, ...overrides.env },
    host: spec.host,
    exec: {
      run(command: string, args: readonly string[], opts?: ExecOptions): Promise<ExecResult> {
        const argv = [command, ...args];
        calls.push(argv);
        options.push(opts);
        const recorded = commands.find((cmd) => sameArgv(cmd.argv, argv));
        if (!recorded)
          return Promise.reject(new Error(`case ${c.name}: no recording of \`${argv.join(' ')}\``));
        return Promise.resolve({
          code: recorded.code,
          stdout: c.text(recorded.stdout),
          stderr: c.text(recorded.stderr),
        });
      },
    },
    files: {
      read: (path) => Promise.resolve(fileText(path)),
      exists: (path) => Promise.resolve(kind(path) !== undefined),
      list: (dir) => Promise.resolve([...(spec.dirs?.[dir] ?? [])]),
      kind: (path) => Promise.resolve(kind(path)),
    },
  };
}
