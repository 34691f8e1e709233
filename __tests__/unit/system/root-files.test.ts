/** Root's file operations with node:fs, in a temporary directory (ownership checked when run as root). */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import {
  chownSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  readRootFile,
  removeRootFile,
  statRootFile,
  writeFileAtomic,
  writeRootFile,
} from '../../../src/system/root-files.js';

const asRoot = process.getuid?.() === 0;
let dir = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'nca-root-files-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('writeFileAtomic', () => {
  it('creates parents (0755) and the file with exactly the mode asked, whatever the umask; no temporary left', async () => {
    const path = join(dir, 'etc', 'nix', 'nix.conf');
    const old = process.umask(0o077);
    try {
      await writeFileAtomic(path, 'substituters = https://a\n', 0o644, { owner: undefined });
    } finally {
      process.umask(old);
    }
    expect(readFileSync(path, 'utf8')).toBe('substituters = https://a\n');
    expect(statSync(path).mode & 0o7777).toBe(0o644);
    expect(readdirSync(join(dir, 'etc', 'nix'))).toEqual(['nix.conf']);
  });

  it('replaces a file in one step, and a symlink by a file (its target untouched)', async () => {
    const target = join(dir, 'static.conf');
    writeFileSync(target, 'managed\n');
    const link = join(dir, 'nix.conf');
    symlinkSync(target, link);
    await writeFileAtomic(link, Buffer.from('ours\n'), 0o600, { owner: undefined });
    expect(lstatSync(link).isSymbolicLink()).toBe(false);
    expect(readFileSync(link, 'utf8')).toBe('ours\n');
    expect(readFileSync(target, 'utf8')).toBe('managed\n');
    await writeFileAtomic(link, 'again\n', 0o640, { owner: undefined });
    expect(readFileSync(link, 'utf8')).toBe('again\n');
    expect(statSync(link).mode & 0o7777).toBe(0o640);
    expect(readdirSync(dir).sort()).toEqual(['nix.conf', 'static.conf']);
  });

  it('leaves nothing behind when it fails, and refuses a bad mode', async () => {
    const path = join(dir, 'sub');
    writeFileSync(path, 'a file where a directory is needed');
    await expect(writeFileAtomic(join(path, 'x.conf'), 'x', 0o644, { owner: undefined })).rejects.toThrow(
      /ENOTDIR|EEXIST/,
    );
    await expect(writeFileAtomic(join(dir, 'y'), 'x', 0o10000, { owner: undefined })).rejects.toThrow(
      /invalid file mode/,
    );
    expect(readdirSync(dir)).toEqual(['sub']);
  });

  (asRoot ? it : it.skip)('writeRootFile: a file owned by someone else becomes root:root', async () => {
    const path = join(dir, 'netrc');
    writeFileSync(path, 'old');
    chownSync(path, 1234, 1234);
    await writeRootFile(path, 'machine x password y\n', 0o600);
    const s = statSync(path);
    expect([s.uid, s.gid, s.mode & 0o7777]).toEqual([0, 0, 0o600]);
  });
});

describe('readRootFile, statRootFile, removeRootFile', () => {
  it('reads text; undefined when missing (also under a file); other errors throw', async () => {
    writeFileSync(join(dir, 'a'), 'x = 1\n');
    expect(await readRootFile(join(dir, 'a'))).toBe('x = 1\n');
    expect(await readRootFile(join(dir, 'missing'))).toBeUndefined();
    expect(await readRootFile(join(dir, 'a', 'below'))).toBeUndefined();
    await expect(readRootFile(dir)).rejects.toThrow(/EISDIR/);
  });

  it('stats mode and owner; a symlink reports its target', async () => {
    writeFileSync(join(dir, 'a'), 'x', { mode: 0o640 });
    const uid = process.getuid?.() ?? -1;
    expect(await statRootFile(join(dir, 'a'))).toEqual({ mode: 0o640, uid, gid: process.getgid?.() ?? -1 });
    symlinkSync(join(dir, 'a'), join(dir, 'link'));
    expect(await statRootFile(join(dir, 'link'))).toMatchObject({
      mode: 0o640,
      symlinkTarget: join(dir, 'a'),
    });
    symlinkSync('/nonexistent/target', join(dir, 'dangling'));
    expect(await statRootFile(join(dir, 'dangling'))).toMatchObject({
      mode: 0,
      symlinkTarget: '/nonexistent/target',
    });
    expect(await statRootFile(join(dir, 'missing'))).toBeUndefined();
  });

  it('removes a file; a missing one is fine', async () => {
    writeFileSync(join(dir, 'a'), 'x');
    await removeRootFile(join(dir, 'a'));
    await removeRootFile(join(dir, 'a'));
    expect(readdirSync(dir)).toEqual([]);
  });
});
