/**
 * A cache that holds paths nothing else has: built as root from a fresh copy of the sample flake,
 * signed with a new key, copied into a loopback HTTP cache, then deleted from the local store, so
 * the only way back is substitution from that cache.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CacheServer, type CacheServerOptions, startCacheServer } from '../../servers/cache.js';
import { copySampleFlake } from '../../testbed/run-as.js';

const NIX = ['--extra-experimental-features', 'nix-command flakes', '--option', 'substituters', ''];

function rootNix(args: readonly string[]): string {
  return execFileSync('nix', [...NIX, ...args], {
    encoding: 'utf8',
    env: { ...process.env, NIX_REMOTE: '' },
  });
}

export interface SigningKey {
  readonly name: string;
  readonly publicKey: string;
  readonly secretFile: string;
  cleanup(): void;
}

export function newSigningKey(name = `test-cache-${Date.now()}`): SigningKey {
  const dir = mkdtempSync(join(tmpdir(), 'nca-key-'));
  const secretFile = join(dir, 'secret');
  execFileSync('nix-store', ['--generate-binary-cache-key', name, secretFile, join(dir, 'public')]);
  return {
    name,
    publicKey: readFileSync(join(dir, 'public'), 'utf8').trim(),
    secretFile,
    cleanup: () => {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Builds `attr` of a fresh sample flake as root; returns its output path and closure. */
export async function buildFresh(attr = 'app'): Promise<{ out: string; closure: string[]; flake: string }> {
  const flake = await copySampleFlake({ owner: 'root' });
  const built = JSON.parse(rootNix(['build', '--json', '--no-link', `path:${flake}#${attr}`])) as {
    outputs: { out: string };
  }[];
  const out = built[0]?.outputs.out;
  if (out === undefined) throw new Error(`nix build ${attr} gave no output`);
  const closure = execFileSync('nix-store', ['-qR', out], { encoding: 'utf8' }).trim().split('\n');
  return { out, closure, flake };
}

export interface PrivateCache {
  readonly cache: CacheServer;
  readonly key: SigningKey;
  /** The app's output path: in the cache, not in the local store. */
  readonly path: string;
  readonly closure: readonly string[];
  close(): Promise<void>;
}

export async function privateCache(options: CacheServerOptions): Promise<PrivateCache> {
  const key = newSigningKey();
  const { out, closure, flake } = await buildFresh();
  rootNix(['store', 'sign', '--key-file', key.secretFile, '--recursive', out]);
  const cache = await startCacheServer(options);
  await cache.seedFromStore(closure);
  deletePaths(closure);
  rmSync(flake, { recursive: true, force: true });
  return {
    cache,
    key,
    path: out,
    closure,
    close: async () => {
      await cache.close();
      key.cleanup();
    },
  };
}

/** A flake attribute's output path, evaluated as root (no build). */
export function outPath(flake: string, attr: string): string {
  return execFileSync(
    'nix',
    ['--extra-experimental-features', 'nix-command flakes', 'eval', '--raw', `path:${flake}#${attr}.outPath`],
    { encoding: 'utf8', env: { ...process.env, NIX_REMOTE: 'daemon' } },
  ).trim();
}

/** Removes paths from the local store (a daemon-built path is root's to delete). */
export function deletePaths(paths: readonly string[]): void {
  execFileSync('nix-store', ['--delete', ...paths], {
    env: { ...process.env, NIX_REMOTE: '' },
    stdio: 'ignore',
  });
}

export function isValidPath(path: string): boolean {
  try {
    execFileSync('nix-store', ['--check-validity', path], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
