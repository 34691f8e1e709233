/**
 * Discovery by store listing: main saves the names in the store directory, post lists it again and
 * keeps what is new. One `readdir` (no stat, no Nix call) stays cheap at tens of thousands of entries;
 * whether a new name is a valid store path is asked of Nix afterwards, for the few new ones only.
 */
import { chmod, mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * `<hash>-<name>`: 32 characters of Nix's base-32 alphabet (`0123456789abcdfghijklmnpqrsvwxyz`, no
 * e, o, t, u), a dash, then a name of the characters Nix allows in store path names (at most 211).
 */
const STORE_NAME = /^[0-9a-df-np-sv-z]{32}-[A-Za-z0-9+\-._?=]+$/;
const MAX_NAME_LENGTH = 32 + 1 + 211;

/** Names in the store directory that are Nix's working files, not store paths. */
const WORKING_FILE_SUFFIXES = ['.lock', '.drv.chroot', '.check'] as const;

/** Whether `path`'s last component has the shape of a store path name (the directory is not checked). */
export function isStorePathShaped(path: string): boolean {
  const slash = path.lastIndexOf('/');
  const name = path.slice(slash + 1);
  return slash > 0 && name.length <= MAX_NAME_LENGTH && STORE_NAME.test(name);
}

/**
 * Whether a name in the store directory can be a store path: `<32 base-32 chars>-<name>`, and not one of
 * Nix's working files (`.links`, `.tmp-*`, `*.lock`, `*.drv.chroot`, `*.check`).
 */
export function storeEntryName(name: string): boolean {
  if (name === '.links' || name.startsWith('.tmp-')) return false;
  if (name.length > MAX_NAME_LENGTH || !STORE_NAME.test(name)) return false;
  return !WORKING_FILE_SUFFIXES.some((suffix) => name.endsWith(suffix));
}

/** The store path names in `storeDir` (one `readdir`, no stat). Rejects when the directory cannot be read. */
export async function listStore(storeDir: string): Promise<string[]> {
  const names = await readdir(storeDir);
  return names.filter(storeEntryName);
}

/** Saves `names` one per line, mode 0644, creating the parent directory; replaces `file` atomically. */
export async function writeSnapshot(file: string, names: readonly string[]): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, names.length === 0 ? '' : `${names.join('\n')}\n`, { mode: 0o644 });
  await chmod(temp, 0o644); // the mode given to writeFile is narrowed by the umask
  await rename(temp, file);
}

/** The names `writeSnapshot` saved, or undefined when the file does not exist. */
export async function readSnapshot(file: string): Promise<Set<string> | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error: unknown) {
    if ((error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') return undefined;
    throw error;
  }
  const names = new Set<string>();
  for (const line of text.split('\n')) if (line !== '') names.add(line);
  return names;
}

/**
 * Names in `after` that `before` does not have and that can be store paths (`storeEntryName`), as full
 * store paths under `storeDir`, sorted. `after` may be a raw listing: only the new names are checked.
 */
export function newEntries(
  before: ReadonlySet<string>,
  after: readonly string[],
  storeDir: string,
): string[] {
  const dir = storeDir.endsWith('/') ? storeDir.slice(0, -1) : storeDir;
  const added = new Set<string>();
  for (const name of after) if (!before.has(name) && storeEntryName(name)) added.add(`${dir}/${name}`);
  return [...added].sort(byCodeUnits);
}

/**
 * Post's half of discovery: the store paths added since the snapshot in `snapshotFile` (as `newEntries`),
 * or undefined when there is no snapshot. The snapshot is read while the directory is listed.
 * `listDir` is where the store directory is on disk, when that is not `storeDir` (a chroot store).
 */
export async function newSinceSnapshot(
  snapshotFile: string,
  storeDir: string,
  listDir: string = storeDir,
): Promise<string[] | undefined> {
  const [before, after] = await Promise.all([readSnapshot(snapshotFile), readdir(listDir)]);
  return before === undefined ? undefined : newEntries(before, after, storeDir);
}

function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
