import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  fingerprint,
  normalizeSha256,
  parseNarInfo,
  pathInfoFingerprint,
  toNixBase32,
} from '../../../src/push/narinfo.js';
import { verifySignature } from '../../../src/push/signing.js';
import type { PathInfo } from '../../../src/push/types.js';

const KEYS = fileURLToPath(new URL('../../fixtures/keys/', import.meta.url));
const PUBLIC = readFileSync(join(KEYS, 'test-cache-1.public'), 'utf8');
const CACHE = join(KEYS, 'cache');
const narinfoText = (hash: string): string => readFileSync(join(CACHE, `${hash}.narinfo`), 'utf8');
const PATH_INFOS = JSON.parse(readFileSync(join(KEYS, 'path-info.json'), 'utf8')) as PathInfo[];
const TOP_HASH = 'fr96b25ds51rpgscmxiv2y4gp36hkm7c';
const CA_HASH = 'z85r7ygv8pngkfgyzwmlm9iq9zns6vy1';

describe('parseNarInfo', () => {
  it('reads every field of a narinfo written by nix copy', () => {
    expect(parseNarInfo(narinfoText(TOP_HASH))).toEqual({
      storePath: '/nix/store/fr96b25ds51rpgscmxiv2y4gp36hkm7c-fixture-top',
      url: 'nar/0c92g9790g7m7xm0l7fpcx1gghz46avahwqz6jhya9mgmqniy39h.nar.zst',
      compression: 'zstd',
      fileHash: 'sha256:0c92g9790g7m7xm0l7fpcx1gghz46avahwqz6jhya9mgmqniy39h',
      fileSize: 200,
      narHash: 'sha256:0cjnm9wp6wl27q0ff9j324j43jh8kd8nmhcxwixnq7xa52x334j8',
      narSize: 280,
      references: [
        '90y41d8p0jd8hgsy6kvnvpz2ylildr63-fixture-b',
        'fr96b25ds51rpgscmxiv2y4gp36hkm7c-fixture-top',
        'rrq1shsydb67falwvrv77d5hi35cxzjb-fixture-a',
      ],
      deriver: 'z7gxy7jaa97qax5kngkamc2p9bhhgw5w-fixture-top.drv',
      sigs: [
        'test-cache-1:AINVCtI0yIVConHVlUWEFkABSp9jKlC7ss1oRk0Kp+xGbCIHFluZza7OrHQybAIO70yZGnF+TAgZpfhsPwSJBA==',
      ],
    });
  });

  it('reads CA, several Sig lines, no References, CRLF, unknown fields; defaults Compression to bzip2', () => {
    const text = [
      'StorePath: /nix/store/z85r7ygv8pngkfgyzwmlm9iq9zns6vy1-fixture-ca.txt',
      'URL: nar/x.nar',
      'NarHash: sha256:1qzmc9ixm5k6xdim0yjhgkghzvw72lsjbsq0yzy534dqmym7j8j6',
      'NarSize: 144',
      'References:',
      'System: x86_64-linux',
      'Sig: a:1',
      'Sig: b:2',
      'CA: fixed:r:sha256:1qzmc9ixm5k6xdim0yjhgkghzvw72lsjbsq0yzy534dqmym7j8j6',
      '',
    ].join('\r\n');
    const info = parseNarInfo(text);
    expect(info.compression).toBe('bzip2');
    expect(info.references).toEqual([]);
    expect(info.sigs).toEqual(['a:1', 'b:2']);
    expect(info.ca).toBe('fixed:r:sha256:1qzmc9ixm5k6xdim0yjhgkghzvw72lsjbsq0yzy534dqmym7j8j6');
    expect(info.deriver).toBeUndefined();
    expect(info.fileSize).toBeUndefined();
  });

  it.each([
    ['StorePath: /nix/store/x\nURL: u\nNarHash: sha256:1\nNarSize: 1\n', /StorePath is not a store path/],
    ['URL: u\nNarHash: sha256:1\nNarSize: 1\n', /StorePath is missing/],
    [narinfoText(TOP_HASH).replace(/^NarSize: .*$/m, 'NarSize: -1'), /NarSize is not a size/],
    [narinfoText(TOP_HASH).replace(/^NarHash: .*$/m, 'NarHash: md5:abc'), /NarHash is not/],
    [narinfoText(TOP_HASH).replace(/^URL: .*\n/m, ''), /URL is missing/],
    [narinfoText(TOP_HASH).replace(/^References: /m, 'References: ../etc '), /References/],
    [narinfoText(TOP_HASH).replace(/^Compression: zstd/m, 'garbage line'), /not "Key: value"/],
  ])('refuses a malformed narinfo (%#)', (text, pattern) => {
    expect(() => parseNarInfo(text)).toThrow(pattern);
  });
});

describe('fingerprint', () => {
  it('is exactly the text Nix signs (sorted full references, self included)', () => {
    expect(fingerprint(parseNarInfo(narinfoText(TOP_HASH)))).toBe(
      '1;/nix/store/fr96b25ds51rpgscmxiv2y4gp36hkm7c-fixture-top;' +
        'sha256:0cjnm9wp6wl27q0ff9j324j43jh8kd8nmhcxwixnq7xa52x334j8;280;' +
        '/nix/store/90y41d8p0jd8hgsy6kvnvpz2ylildr63-fixture-b,' +
        '/nix/store/fr96b25ds51rpgscmxiv2y4gp36hkm7c-fixture-top,' +
        '/nix/store/rrq1shsydb67falwvrv77d5hi35cxzjb-fixture-a',
    );
  });

  it("lets every narinfo's Nix-made signature verify; a tampered one does not", () => {
    const files = readdirSync(CACHE).filter((f) => f.endsWith('.narinfo'));
    expect(files).toHaveLength(4);
    for (const file of files) {
      const info = parseNarInfo(readFileSync(join(CACHE, file), 'utf8'));
      expect(info.sigs).toHaveLength(1);
      expect(verifySignature([PUBLIC], fingerprint(info), info.sigs[0]!)).toBe(true);
      const tampered = [
        { ...info, narSize: info.narSize + 1 },
        { ...info, references: [...info.references, 'rrq1shsydb67falwvrv77d5hi35cxzjb-fixture-a'].slice(1) },
        { ...info, storePath: info.storePath.replace('fixture', 'fixturf') },
      ];
      for (const t of tampered) {
        if (fingerprint(t) === fingerprint(info)) continue; // the reference swap can be a no-op
        expect(verifySignature([PUBLIC], fingerprint(t), info.sigs[0]!)).toBe(false);
      }
    }
  });

  it('does not depend on the CA field, the reference order or the hash spelling', () => {
    const info = parseNarInfo(narinfoText(CA_HASH));
    const print = fingerprint(info);
    expect(fingerprint({ ...info, narHash: 'sha256-RiJ5qq+4kVH89wDrJTUVh+8P33xQelBj62aW2mNi9eM=' })).toBe(
      print,
    );
    const top = parseNarInfo(narinfoText(TOP_HASH));
    expect(fingerprint({ ...top, references: [...top.references].reverse() })).toBe(fingerprint(top));
  });

  it('equals the fingerprint of the local path-info (SRI hash, full references)', () => {
    expect(PATH_INFOS).toHaveLength(4);
    for (const local of PATH_INFOS) {
      const hash = local.path.slice('/nix/store/'.length, '/nix/store/'.length + 32);
      expect(pathInfoFingerprint(local)).toBe(fingerprint(parseNarInfo(narinfoText(hash))));
    }
  });

  it('refuses an unknown NAR size, as Nix does', () => {
    const info = parseNarInfo(narinfoText(TOP_HASH));
    expect(() => fingerprint({ ...info, narSize: 0 })).toThrow(/size .* not known/);
  });
});

describe('hash spellings', () => {
  // Values from `nix hash to-base16 / to-sri / to-base32` (Nix 2.8).
  const BASE32 = 'sha256:0cjnm9wp6wl27q0ff9j324j43jh8kd8nmhcxwixnq7xa52x334j8';

  it('reduces base-16, SRI and base-64 to the base-32 form', () => {
    expect(normalizeSha256(BASE32)).toBe(BASE32);
    expect(normalizeSha256('sha256:489231ba28aa1f6c7be49dc16a519b08ca4124114326e7003e82727379aa5632')).toBe(
      BASE32,
    );
    expect(normalizeSha256('sha256-SJIxuiiqH2x75J3BalGbCMpBJBFDJucAPoJyc3mqVjI=')).toBe(BASE32);
    expect(normalizeSha256('sha256:SJIxuiiqH2x75J3BalGbCMpBJBFDJucAPoJyc3mqVjI=')).toBe(BASE32);
  });

  it('encodes like Nix (the last byte first)', () => {
    const one = Buffer.alloc(32);
    one[31] = 1;
    expect(toNixBase32(one)).toBe('0080000000000000000000000000000000000000000000000000');
    const high = Buffer.alloc(32);
    high[0] = 0xff;
    expect(toNixBase32(high)).toBe('000000000000000000000000000000000000000000000000007z');
  });

  it.each(['', 'sha256:', 'sha1:abc', 'sha256:xyz', 'sha256-abc', `${BASE32}0`, BASE32.toUpperCase()])(
    'refuses %p',
    (text) => {
      expect(normalizeSha256(text)).toBeUndefined();
    },
  );
});
