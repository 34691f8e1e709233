import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  isStorePathShaped,
  listStore,
  newEntries,
  newSinceSnapshot,
  readSnapshot,
  storeEntryName,
  writeSnapshot,
} from '../../../src/push/snapshot.js';

const HASH = 'kbawkslym1x41c2r2q7k3vgqv0pygagx';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'nca-snapshot-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('storeEntryName', () => {
  it('keeps names shaped <32 base-32 chars>-<name>', () => {
    for (const name of [
      `${HASH}-hello-2.12`,
      `${HASH}-hello-2.12.drv`,
      `${HASH}-source`,
      `${HASH}-x+y_z?=.tar.gz`,
      `${HASH}-${'n'.repeat(211)}`,
    ]) {
      expect([name, storeEntryName(name)]).toEqual([name, true]);
    }
  });

  it("drops Nix's working files and anything else", () => {
    for (const name of [
      '.links',
      '.tmp-12345-678',
      `.tmp-${HASH}-x`,
      `${HASH}-hello.lock`,
      `${HASH}-hello.drv.lock`,
      `${HASH}-hello.drv.chroot`,
      `${HASH}-hello.check`,
      `${HASH}-`,
      `${HASH}hello`,
      `${HASH.slice(1)}-hello`,
      `${HASH}x-hello`,
      `${'e'.repeat(32)}-hello`, // e, o, t, u are not in Nix's base-32 alphabet
      `${'o'.repeat(32)}-hello`,
      `${'t'.repeat(32)}-hello`,
      `${'u'.repeat(32)}-hello`,
      `${HASH.toUpperCase()}-hello`,
      `${HASH}-has space`,
      `${HASH}-has/slash`,
      `${HASH}-${'n'.repeat(212)}`,
      '',
    ]) {
      expect([name, storeEntryName(name)]).toEqual([name, false]);
    }
  });
});

describe('isStorePathShaped', () => {
  it('looks at the last component of an absolute path', () => {
    expect(isStorePathShaped(`/nix/store/${HASH}-hello`)).toBe(true);
    expect(isStorePathShaped(`/other/store/${HASH}-hello.lock`)).toBe(true);
    expect(isStorePathShaped(`${HASH}-hello`)).toBe(false);
    expect(isStorePathShaped(`/nix/store/${HASH}-hello/bin/hello`)).toBe(false);
    expect(isStorePathShaped('/nix/store/abc')).toBe(false);
  });
});

describe('listStore', () => {
  it('lists the store path names of a directory, nothing else', async () => {
    const keep = Array.from(
      { length: 2000 },
      (_, i) => `${HASH.slice(0, 28)}${String(i).padStart(4, '0')}-p${i}`,
    );
    for (const name of keep) writeFileSync(join(dir, name), '');
    mkdirSync(join(dir, `${HASH}-a-directory`));
    mkdirSync(join(dir, '.links'));
    writeFileSync(join(dir, `${HASH}-a-directory.lock`), '');
    writeFileSync(join(dir, `${HASH}-x.drv.chroot`), '');
    writeFileSync(join(dir, '.tmp-1-2'), '');
    const names = await listStore(dir);
    expect(names.sort()).toEqual([...keep, `${HASH}-a-directory`].sort());
  });

  it('rejects when the directory cannot be read', async () => {
    await expect(listStore(join(dir, 'missing'))).rejects.toThrow(/ENOENT/);
  });
});

describe('writeSnapshot / readSnapshot', () => {
  it('round-trips names, creating the parent directory, mode 0644', async () => {
    const file = join(dir, 'state', 'deep', 'store-snapshot');
    const names = [`${HASH}-a`, `${HASH}-b.drv`];
    const umask = process.umask(0o077);
    try {
      await writeSnapshot(file, names);
    } finally {
      process.umask(umask);
    }
    expect(statSync(file).mode & 0o777).toBe(0o644);
    expect(await readSnapshot(file)).toEqual(new Set(names));
  });

  it('replaces an earlier snapshot, and keeps an empty one empty', async () => {
    const file = join(dir, 'snap');
    await writeSnapshot(file, [`${HASH}-a`]);
    await writeSnapshot(file, []);
    expect(await readSnapshot(file)).toEqual(new Set());
  });

  it('reads a missing snapshot as undefined, and fails on other errors', async () => {
    expect(await readSnapshot(join(dir, 'none'))).toBeUndefined();
    await expect(readSnapshot(dir)).rejects.toThrow(/EISDIR/);
  });
});

describe('newEntries', () => {
  it('returns the names added since the snapshot as full paths, sorted', () => {
    const before = new Set([`${HASH}-a`, `${HASH}-b`]);
    const after = [`${HASH}-z`, `${HASH}-b`, `${HASH}-c`, `${HASH}-a`, `${HASH}-c`];
    expect(newEntries(before, after, '/nix/store')).toEqual([`/nix/store/${HASH}-c`, `/nix/store/${HASH}-z`]);
    expect(newEntries(before, after, '/custom/store/')).toEqual([
      `/custom/store/${HASH}-c`,
      `/custom/store/${HASH}-z`,
    ]);
    expect(newEntries(new Set(after), after, '/nix/store')).toEqual([]);
  });

  it("checks only the new names' shape, so a raw listing will do", () => {
    const after = [`${HASH}-a`, `${HASH}-new`, `${HASH}-new.lock`, '.links', `.tmp-${HASH}`, 'junk'];
    expect(newEntries(new Set([`${HASH}-a`]), after, '/nix/store')).toEqual([`/nix/store/${HASH}-new`]);
  });
});

describe('newSinceSnapshot', () => {
  it("lists the store and diffs it against main's snapshot", async () => {
    const store = join(dir, 'store');
    mkdirSync(store);
    for (const name of [`${HASH}-old`, '.links']) writeFileSync(join(store, name), '');
    const snapshot = join(dir, 'state', 'snapshot');
    await writeSnapshot(snapshot, await listStore(store));
    for (const name of [`${HASH}-new`, `${HASH}-new.drv`, `${HASH}-new.lock`])
      writeFileSync(join(store, name), '');
    expect(await newSinceSnapshot(snapshot, '/nix/store', store)).toEqual([
      `/nix/store/${HASH}-new`,
      `/nix/store/${HASH}-new.drv`,
    ]);
    expect(await newSinceSnapshot(snapshot, store)).toEqual([
      `${store}/${HASH}-new`,
      `${store}/${HASH}-new.drv`,
    ]);
  });

  it('is undefined without a snapshot, and fails when the store cannot be listed', async () => {
    expect(await newSinceSnapshot(join(dir, 'none'), dir)).toBeUndefined();
    await writeSnapshot(join(dir, 'snap'), []);
    await expect(newSinceSnapshot(join(dir, 'snap'), join(dir, 'missing'))).rejects.toThrow(/ENOENT/);
  });
});
