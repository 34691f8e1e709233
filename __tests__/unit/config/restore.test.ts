/** Undoing the configuration: credentials are removed in every case, also when something else fails. */
import { describe, expect, it } from '@jest/globals';
import type { OwnedFiles, Owner } from '../../../src/config/files.js';
import { removeCredentials, restoreBackups } from '../../../src/config/restore.js';
import type { FileBackup } from '../../../src/config/types.js';
import type { CredentialRecord } from '../../../src/state.js';

const TOKEN = 'tok_restore_unit_9f3';
const OTHER = 'machine other.example.org login o password p\n';

/** Files in memory; the paths in `broken` fail to be written or removed. */
function memoryFiles(initial: Record<string, string>, broken: Record<string, string>) {
  const texts = new Map(Object.entries(initial));
  const fail = (p: string): Promise<void> | undefined => {
    const code = broken[p];
    return code === undefined ? undefined : Promise.reject(new Error(`${code}: cannot change '${p}'`));
  };
  const files: OwnedFiles = {
    read: (_o: Owner, p) => Promise.resolve(texts.get(p)),
    stat: (_o: Owner, p) => Promise.resolve(texts.has(p) ? { mode: 0o644, uid: 0, gid: 0 } : undefined),
    write: (_o: Owner, p, c) => fail(p) ?? (texts.set(p, c.toString()), Promise.resolve()),
    remove: (_o: Owner, p) => fail(p) ?? (texts.delete(p), Promise.resolve()),
  };
  return { files, texts };
}

const credentials: CredentialRecord[] = [
  { path: '/etc/nix/nix-cache-action/netrc', owner: 'root', kind: 'file' },
  { path: '/tmp/runner-temp/nix-cache-action/netrc', owner: 'user', kind: 'file' },
  { path: '/etc/nix/netrc', owner: 'root', kind: 'entry', machine: 'cache.example.org', mode: 0o640 },
];
const ours = `machine cache.example.org login token password ${TOKEN}\n`;
const written = {
  '/etc/nix/nix.conf': 'trusted-users = root\n# BEGIN nix-cache-action\n# END nix-cache-action\n',
  '/home/runner/.config/nix/nix.conf': '# BEGIN nix-cache-action\n# END nix-cache-action\n',
  '/etc/nix/nix-cache-action/netrc': ours,
  '/tmp/runner-temp/nix-cache-action/netrc': ours,
  '/etc/nix/netrc': `${OTHER}${ours}`,
  '/etc/nix/nix-cache-action/backup/0-nix.conf': 'trusted-users = root\n',
};
const backups: FileBackup[] = [
  {
    path: '/etc/nix/nix.conf',
    copy: '/etc/nix/nix-cache-action/backup/0-nix.conf',
    mode: 0o644,
    owner: 'root',
  },
  { path: '/home/runner/.config/nix/nix.conf', copy: undefined, mode: undefined, owner: 'user' },
];

describe('restoreBackups', () => {
  it('puts every file back and removes every credential', async () => {
    const { files, texts } = memoryFiles(written, {});
    await restoreBackups(files, backups, credentials);
    expect(Object.fromEntries(texts)).toEqual({
      '/etc/nix/nix.conf': 'trusted-users = root\n',
      '/etc/nix/netrc': OTHER,
    });
  });

  it('still removes the credentials when a file cannot be put back, and names every failure', async () => {
    const { files, texts } = memoryFiles(written, {
      '/etc/nix/nix.conf': 'EROFS',
      '/etc/nix/nix-cache-action/netrc': 'EACCES',
    });
    const error = await restoreBackups(files, backups, credentials).catch((e: unknown) => e);
    expect(String(error)).toContain(
      "Could not restore /etc/nix/nix.conf: EROFS: cannot change '/etc/nix/nix.conf'",
    );
    expect(String(error)).toContain(
      'Could not remove credentials from /etc/nix/nix-cache-action/netrc: EACCES',
    );
    expect(String(error)).not.toContain(TOKEN);
    // What could be done was done: the other file restored, the other credentials gone.
    expect(texts.has('/home/runner/.config/nix/nix.conf')).toBe(false);
    expect(texts.has('/tmp/runner-temp/nix-cache-action/netrc')).toBe(false);
    expect(texts.get('/etc/nix/netrc')).toBe(OTHER);
  });
});

describe('removeCredentials', () => {
  it('tries every credential before reporting the ones it could not remove', async () => {
    const { files, texts } = memoryFiles(written, { '/tmp/runner-temp/nix-cache-action/netrc': 'EPERM' });
    await expect(removeCredentials(files, credentials)).rejects.toThrow(
      /^Could not remove credentials from \/tmp\/runner-temp\/nix-cache-action\/netrc: EPERM/,
    );
    expect(texts.has('/etc/nix/nix-cache-action/netrc')).toBe(false);
    expect(texts.get('/etc/nix/netrc')).toBe(OTHER);
  });
});
