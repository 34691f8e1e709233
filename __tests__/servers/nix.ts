// Runs the real `nix` client for tests: the local store as root (never a daemon named by NIX_REMOTE),
// no substituters, and a private XDG cache per call so narinfo lookups are never answered from
// ~/.cache/nix (ephemeral ports are reused across runs).
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface NixResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface NixOptions {
  env?: Record<string, string>;
  timeoutMs?: number;
}

/** Flags every `nix` call gets: nix-command, no substituters, no negative narinfo caching. */
export const NIX_FLAGS = [
  '--extra-experimental-features',
  'nix-command',
  '--option',
  'substituters',
  '',
  '--option',
  'narinfo-cache-negative-ttl',
  '0',
];

/** Runs `cmd args`; resolves with the exit code instead of throwing on failure. */
export async function runNix(
  cmd: string,
  args: readonly string[],
  opts: NixOptions = {},
): Promise<NixResult> {
  const cacheHome = await mkdtemp(join(tmpdir(), 'nix-xdg-'));
  const env: NodeJS.ProcessEnv = { ...process.env, XDG_CACHE_HOME: cacheHome };
  delete env.NIX_REMOTE; // the local store unless the caller names another one in opts.env
  Object.assign(env, opts.env);
  try {
    return await new Promise<NixResult>((resolve) => {
      execFile(
        cmd,
        args,
        { env, timeout: opts.timeoutMs ?? 60_000, maxBuffer: 16 << 20 },
        (err, stdout, stderr) => {
          const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
          resolve({ code, stdout, stderr });
        },
      );
    });
  } finally {
    await rm(cacheHome, { recursive: true, force: true });
  }
}

/** `nix <subcommand> NIX_FLAGS… args`. */
export function nix(subcommand: string, args: readonly string[], opts: NixOptions = {}): Promise<NixResult> {
  return runNix('nix', [subcommand, ...NIX_FLAGS, ...args], opts);
}
