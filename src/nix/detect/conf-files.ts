/** Which configuration files Nix reads, in which order, includes expanded. */
import type { NixConfFile } from '../environment.js';
import { type ConfLine, parseConf, resolveInclude } from './conf-syntax.js';

type Env = Readonly<Record<string, string | undefined>>;

/** Nix gives up on include chains deeper than any real setup; a cycle is cut where it closes. */
export const MAX_INCLUDE_DEPTH = 8;

/** `$NIX_CONF_DIR` (when set and not empty), else /etc/nix. */
export function globalConfDir(env: Env): string {
  const dir = env['NIX_CONF_DIR'];
  return dir ? dir.replace(/\/+$/, '') || '/' : '/etc/nix';
}

export function globalConfFile(env: Env): string {
  const dir = globalConfDir(env);
  return dir === '/' ? '/nix.conf' : `${dir}/nix.conf`;
}

/**
 * The user configuration files in the order Nix applies them (a later file wins). Nix builds a list —
 * `NIX_USER_CONF_FILES` (colon-separated) when set, else `$XDG_CONFIG_HOME/nix/nix.conf` (default
 * `$HOME/.config`) followed by `nix/nix.conf` in each `$XDG_CONFIG_DIRS` entry (default /etc/xdg) —
 * and applies it from the end (libstore/globals.cc, loadConfFile): the first entry has the last word.
 */
export function userConfFiles(env: Env, home: string): string[] {
  const explicit = env['NIX_USER_CONF_FILES'];
  let list: string[];
  if (explicit !== undefined) {
    list = explicit.split(':').filter((p) => p !== '');
  } else {
    const configHome = env['XDG_CONFIG_HOME'] || `${env['HOME'] || home}/.config`;
    const configDirs = (env['XDG_CONFIG_DIRS'] ?? '/etc/xdg').split(':').filter((p) => p !== '');
    list = [configHome, ...configDirs].map((dir) => `${dir.replace(/\/+$/, '')}/nix/nix.conf`);
  }
  return list.reverse();
}

export interface ConfFilesResult {
  /** Every file in reading order, each followed by the files it includes. */
  readonly files: NixConfFile[];
  /** The settings lines of each scope, includes inlined, in the order Nix applies them. */
  readonly lines: { readonly global: ConfLine[]; readonly user: ConfLine[] };
}

type Read = (path: string) => Promise<string | undefined>;

interface Visit {
  readonly path: string;
  readonly scope: 'global' | 'user';
  readonly includedFrom?: string;
  readonly optional?: boolean;
}

/**
 * Reads the global file and the user files (through `read`), expanding `include` (missing file is an
 * error to Nix) and `!include` (missing is fine) relative to the including file, recursively.
 */
export async function readConfFiles(
  read: Read,
  globalFile: string,
  userFiles: readonly string[],
): Promise<ConfFilesResult> {
  const files: NixConfFile[] = [];
  const lines: { global: ConfLine[]; user: ConfLine[] } = { global: [], user: [] };

  async function visit(v: Visit, stack: readonly string[]): Promise<void> {
    const text = await read(v.path);
    files.push({
      path: v.path,
      scope: v.scope,
      exists: text !== undefined,
      ...(v.includedFrom === undefined ? {} : { includedFrom: v.includedFrom }),
      ...(v.optional ? { optional: true } : {}),
    });
    if (text === undefined) return;
    for (const line of parseConf(text)) {
      if (line.kind === 'setting') {
        lines[v.scope].push(line);
        continue;
      }
      const path = resolveInclude(v.path, line.path);
      if (stack.includes(path) || stack.length >= MAX_INCLUDE_DEPTH) continue;
      await visit(
        { path, scope: v.scope, includedFrom: v.path, ...(line.optional ? { optional: true } : {}) },
        [...stack, path],
      );
    }
  }

  await visit({ path: globalFile, scope: 'global' }, [globalFile]);
  for (const path of userFiles) await visit({ path, scope: 'user' }, [path]);
  return { files, lines };
}
