/** Running `nix` subcommands across versions: the experimental-feature flag and command fallbacks. */
import type { ExecResult, System } from '../../system/types.js';

/**
 * Nix 2.8 refuses `nix store …`/`nix show-config` without the `nix-command` feature; newer versions
 * accept the flag whether the feature is already on or not, so it is always passed.
 */
export const NIX_COMMAND_FLAGS = ['--extra-experimental-features', 'nix-command'] as const;

/** A Nix command should answer in seconds; a stuck daemon must not stall the job. */
export const NIX_TIMEOUT_MS = 30_000;

export function nixArgs(...args: string[]): string[] {
  return [...NIX_COMMAND_FLAGS, ...args];
}

/**
 * This `nix` does not know the subcommand or flag ("error: 'info' is not a recognised command",
 * "error: unrecognised flag '--json'"), as opposed to a command that ran and failed.
 */
export function isUnrecognised(result: ExecResult): boolean {
  return (
    result.code !== 0 &&
    /not a recognised command|unrecognised flag|unrecognized (?:flag|option)/i.test(result.stderr)
  );
}

export interface Attempt {
  readonly args: readonly string[];
  readonly result: ExecResult;
}

/**
 * Runs the candidate argument lists in order and returns the first that this `nix` understands (whether
 * it then succeeded or not), or the last attempt when none does.
 */
export async function firstRecognised(
  sys: System,
  candidates: readonly (readonly string[])[],
): Promise<Attempt> {
  let last: Attempt | undefined;
  for (const args of candidates) {
    const result = await sys.exec.run('nix', nixArgs(...args), { timeoutMs: NIX_TIMEOUT_MS });
    last = { args, result };
    if (!isUnrecognised(result)) return last;
  }
  if (!last) throw new Error('firstRecognised: no candidate commands');
  return last;
}
