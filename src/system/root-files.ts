/** Files as root sees them, with node:fs: read, stat, atomic write, remove. Used in-process and by the root helper. */
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, open, readFile, readlink, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { FileStat } from './privileged.js';

const errorCode = (error: unknown): string | undefined =>
  typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined;

const missing = (error: unknown): boolean => {
  const code = errorCode(error);
  return code === 'ENOENT' || code === 'ENOTDIR';
};

export async function readRootFile(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error: unknown) {
    if (missing(error)) return undefined;
    throw error;
  }
}

export async function statRootFile(path: string): Promise<FileStat | undefined> {
  let link;
  try {
    link = await lstat(path);
  } catch (error: unknown) {
    if (missing(error)) return undefined;
    throw error;
  }
  if (!link.isSymbolicLink()) return { mode: link.mode & 0o7777, uid: link.uid, gid: link.gid };
  const symlinkTarget = await readlink(path);
  // A dangling link: the link's own owner, mode 0.
  const target = await stat(path).catch(() => undefined);
  return {
    mode: target ? target.mode & 0o7777 : 0,
    uid: target?.uid ?? link.uid,
    gid: target?.gid ?? link.gid,
    symlinkTarget,
  };
}

export interface AtomicWriteOptions {
  /** Owner to give the file; root (0:0) for the Privileged operation, unchanged when undefined. */
  readonly owner: { uid: number; gid: number } | undefined;
  /** Mode of directories created on the way (default 0755). */
  readonly dirMode?: number;
}

/**
 * Temporary file beside the target (created 0600, so a secret is never readable by others on the
 * way), write, fsync, chmod, chown, rename over the target, fsync the directory.
 */
export async function writeFileAtomic(
  path: string,
  content: string | Buffer,
  mode: number,
  options: AtomicWriteOptions,
): Promise<void> {
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) throw new Error(`invalid file mode ${mode}`);
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: options.dirMode ?? 0o755 });
  const tmp = join(dir, `.${basename(path)}.nca-${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(tmp, 'wx', 0o600);
  try {
    try {
      await handle.writeFile(content);
      await handle.sync();
      await handle.chmod(mode);
      if (options.owner) await handle.chown(options.owner.uid, options.owner.gid);
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (error: unknown) {
    await unlink(tmp).catch(() => undefined);
    throw error;
  }
  const dirHandle = await open(dir, 'r').catch(() => undefined);
  if (dirHandle) {
    // Durability of the rename; not every file system supports fsync on a directory.
    await dirHandle.sync().catch(() => undefined);
    await dirHandle.close();
  }
}

export function writeRootFile(path: string, content: string | Buffer, mode: number): Promise<void> {
  return writeFileAtomic(path, content, mode, { owner: { uid: 0, gid: 0 } });
}

export async function removeRootFile(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (error: unknown) {
    if (!missing(error)) throw error;
  }
}
