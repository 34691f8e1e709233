/**
 * Files by owner: root-owned ones through `Privileged` (in-process as root, or the sudo helper), the
 * job user's own with node:fs as the user. Configuring and restoring go through this one router.
 */
import type { FileStat, Privileged } from '../system/privileged.js';
import { readRootFile, removeRootFile, statRootFile, writeFileAtomic } from '../system/root-files.js';
import { ActionError } from '../util/errors.js';

export type Owner = 'root' | 'user';

export interface OwnedFiles {
  read(owner: Owner, path: string): Promise<string | undefined>;
  stat(owner: Owner, path: string): Promise<FileStat | undefined>;
  write(owner: Owner, path: string, content: string | Buffer, mode: number): Promise<void>;
  remove(owner: Owner, path: string): Promise<void>;
}

/** The job user's files, with their own permissions (directories created 0700). */
const userFiles = {
  read: readRootFile,
  stat: statRootFile,
  write: (path: string, content: string | Buffer, mode: number) =>
    writeFileAtomic(path, content, mode, { owner: undefined, dirMode: 0o700 }),
  remove: removeRootFile,
};

export function ownedFiles(root: Privileged | undefined): OwnedFiles {
  const asRoot = (path: string): Privileged => {
    if (root === undefined) {
      throw new ActionError(
        `Writing ${path} needs root: run the job as root or give its user passwordless sudo.`,
      );
    }
    return root;
  };
  return {
    read: (owner, path) => (owner === 'root' && root ? root.readFile(path) : userFiles.read(path)),
    stat: (owner, path) => (owner === 'root' && root ? root.statFile(path) : userFiles.stat(path)),
    write: (owner, path, content, mode) =>
      owner === 'root' ? asRoot(path).writeFile(path, content, mode) : userFiles.write(path, content, mode),
    remove: (owner, path) => (owner === 'root' ? asRoot(path).removeFile(path) : userFiles.remove(path)),
  };
}
