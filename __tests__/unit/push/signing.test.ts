import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseNarInfo, fingerprint } from '../../../src/push/narinfo.js';
import {
  derivePublicKey,
  parsePublicKey,
  parseSecretKey,
  signFingerprint,
  verifySignature,
} from '../../../src/push/signing.js';
import { ActionError } from '../../../src/util/errors.js';

const KEYS = fileURLToPath(new URL('../../fixtures/keys/', import.meta.url));
const fixture = (name: string): string => readFileSync(join(KEYS, name), 'utf8');
const SECRET = fixture('test-cache-1.secret');
const PUBLIC = fixture('test-cache-1.public');
const OTHER_PUBLIC = fixture('other-cache-1.public');
const TOP = parseNarInfo(fixture('cache/fr96b25ds51rpgscmxiv2y4gp36hkm7c.narinfo'));

/** Every way parseSecretKey may fail must name the input and never show any part of the value. */
function expectRefused(value: string, pattern: RegExp): void {
  let caught: unknown;
  try {
    parseSecretKey('signing-key', value);
  } catch (error: unknown) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ActionError);
  const message = (caught as Error).message;
  expect(message).toContain('signing-key');
  expect(message).toMatch(pattern);
  const colon = value.indexOf(':');
  for (const part of [
    value.trim(),
    value
      .slice(colon + 1)
      .trim()
      .slice(0, 12),
  ]) {
    if (part.length >= 6) expect(message).not.toContain(part);
  }
}

describe('parseSecretKey', () => {
  it('derives the same public key as nix-store --generate-binary-cache-key (fixture)', () => {
    const key = parseSecretKey('signing-key', SECRET);
    expect(key).toEqual({ name: 'test-cache-1', secret: SECRET, publicKey: PUBLIC });
    expect(parseSecretKey('signing-key', fixture('other-cache-1.secret')).publicKey).toBe(OTHER_PUBLIC);
  });

  it('ignores surrounding whitespace, as a pasted secret has it', () => {
    expect(parseSecretKey('signing-key', `\n  ${SECRET}\r\n`).secret).toBe(SECRET);
  });

  it.each([
    ['', /is empty/],
    ['   \n', /is empty/],
    [`${SECRET}\n${SECRET}`, /several lines/],
    [SECRET.replace(':', ''), /has no ":"/],
    [SECRET.replace('test-cache-1', 'bad name'), /whitespace/],
    [SECRET.replace('test-cache-1', '-cache'), /unusual key name/],
    [SECRET.replace('test-cache-1:', ':'), /unusual key name/],
    [PUBLIC, /looks like a public key/],
    [SECRET.slice(0, -4) + '====', /64-byte/],
    [SECRET.slice(0, -2), /64-byte/],
    [`${SECRET}AAAA`, /64-byte/],
    [SECRET.replace(/.$/u, '!'), /64-byte/],
  ])('refuses a malformed key (%#)', (value, pattern) => {
    expectRefused(value, pattern);
  });

  it('refuses a key whose public half is not the one of its seed', () => {
    const bytes = Buffer.from(SECRET.slice('test-cache-1:'.length), 'base64');
    const otherPublic = Buffer.from(OTHER_PUBLIC.slice('other-cache-1:'.length), 'base64');
    const spliced = Buffer.concat([bytes.subarray(0, 32), otherPublic]).toString('base64');
    expectRefused(`test-cache-1:${spliced}`, /damaged/);
    const flipped = Buffer.from(bytes);
    flipped[0] = (flipped[0] ?? 0) ^ 1;
    expectRefused(`test-cache-1:${flipped.toString('base64')}`, /damaged/);
  });
});

describe('parsePublicKey', () => {
  it('reads a Nix public key', () => {
    const key = parsePublicKey('public-keys', PUBLIC);
    expect(key.name).toBe('test-cache-1');
    expect(key.key).toHaveLength(32);
  });

  it('refuses a secret key, naming the input and hiding the value', () => {
    expect(() => parsePublicKey('public-keys', SECRET)).toThrow(/public-keys.*looks like a secret key/);
    try {
      parsePublicKey('public-keys', SECRET);
    } catch (error: unknown) {
      expect((error as Error).message).not.toContain(SECRET.slice(13, 25));
    }
    expect(() => parsePublicKey('public-keys', 'name:abc')).toThrow(ActionError);
  });
});

describe('signFingerprint / verifySignature', () => {
  it("produces Nix's own signature for a narinfo Nix signed (ed25519 is deterministic)", () => {
    const print = fingerprint(TOP);
    expect(TOP.sigs).toEqual([signFingerprint(SECRET, print)]);
    expect(verifySignature([PUBLIC], print, TOP.sigs[0]!)).toBe(true);
  });

  it('verifies with the key of the same name among several, and only with it', () => {
    const print = fingerprint(TOP);
    const sig = TOP.sigs[0]!;
    expect(verifySignature([OTHER_PUBLIC, 'junk', PUBLIC], print, sig)).toBe(true);
    expect(verifySignature([OTHER_PUBLIC], print, sig)).toBe(false);
    expect(verifySignature([], print, sig)).toBe(false);
    // The right bytes under another name: Nix looks keys up by name.
    const renamed = `other-cache-1:${PUBLIC.slice('test-cache-1:'.length)}`;
    expect(verifySignature([renamed], print, sig)).toBe(false);
  });

  it('rejects a tampered fingerprint or signature, and malformed signatures', () => {
    const print = fingerprint(TOP);
    const sig = TOP.sigs[0]!;
    expect(verifySignature([PUBLIC], print.replace(';280;', ';281;'), sig)).toBe(false);
    const bytes = Buffer.from(sig.slice('test-cache-1:'.length), 'base64');
    bytes[10] = (bytes[10] ?? 0) ^ 0x40;
    expect(verifySignature([PUBLIC], print, `test-cache-1:${bytes.toString('base64')}`)).toBe(false);
    for (const bad of ['', 'test-cache-1', 'test-cache-1:', ':abc', `test-cache-1:${sig.slice(20)}`]) {
      expect(verifySignature([PUBLIC], print, bad)).toBe(false);
    }
  });

  it('round-trips with the other fixture key', () => {
    const secret = fixture('other-cache-1.secret');
    const sig = signFingerprint(secret, 'hello');
    expect(sig.startsWith('other-cache-1:')).toBe(true);
    expect(verifySignature([OTHER_PUBLIC], 'hello', sig)).toBe(true);
    expect(verifySignature([OTHER_PUBLIC], 'hello!', sig)).toBe(false);
  });
});

function haveNixStore(): boolean {
  try {
    execFileSync('nix-store', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

// Fresh keys from the real tool, when it is installed (it is on the test machines).
(haveNixStore() ? describe : describe.skip)('against nix-store --generate-binary-cache-key', () => {
  it('derives the public key nix wrote, for fresh keys', () => {
    const dir = mkdtempSync(join(tmpdir(), 'keys-'));
    try {
      for (let i = 0; i < 5; i++) {
        const sk = join(dir, `sk${i}`);
        const pk = join(dir, `pk${i}`);
        execFileSync('nix-store', ['--generate-binary-cache-key', `fresh-${i}`, sk, pk]);
        const key = parseSecretKey('signing-key', readFileSync(sk, 'utf8'));
        expect(key.publicKey).toBe(readFileSync(pk, 'utf8'));
        const seed = Buffer.from(key.secret.slice(key.name.length + 1), 'base64').subarray(0, 32);
        expect(`${key.name}:${derivePublicKey(seed).toString('base64')}`).toBe(key.publicKey);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
