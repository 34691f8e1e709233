/**
 * Nix binary cache signing keys: `name:base64` texts holding an ed25519 key (secret: 64 bytes, the
 * 32-byte seed then the 32-byte public key; public: 32 bytes), as `nix-store --generate-binary-cache-key`
 * writes them. Parses and checks them strictly, signs narinfo fingerprints and verifies `Sig` lines.
 * Error messages name the input, never any part of the value.
 */
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { ActionError } from '../util/errors.js';

export interface SecretKey {
  readonly name: string;
  /** The whole `name:base64` text. */
  readonly secret: string;
  /** `name:base64` of the public half. */
  readonly publicKey: string;
}

export interface PublicKey {
  readonly name: string;
  /** The 32 key bytes. */
  readonly key: Buffer;
}

/** Key names as we accept them: Nix only forbids `:`, but anything else here is a pasting accident. */
const KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9._+@~-]{0,127}$/;
/** Standard padded base64 of exactly 64 bytes (86 characters then `==`) or 32 bytes (43 then `=`). */
const BASE64_64 = /^[A-Za-z0-9+/]{86}==$/;
const BASE64_32 = /^[A-Za-z0-9+/]{43}=$/;
const BASE64_SIG = /^[A-Za-z0-9+/]{86}==$/;

/** DER prefixes that wrap a raw ed25519 seed (PKCS#8) or public key (SPKI) for node:crypto. */
const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519 = Buffer.from('302a300506032b6570032100', 'hex');

interface Split {
  readonly name: string;
  readonly data: string;
}

/** `name:data` of a one-line key, or a reason it is not one. */
function split(value: string): Split | string {
  const text = value.trim();
  if (text === '') return 'is empty';
  if (/[\r\n]/.test(text)) return 'spans several lines (a key is one line: name:base64)';
  if (/[\s\p{Cc}]/u.test(text)) return 'contains whitespace or control characters';
  const colon = text.indexOf(':');
  if (colon < 0) return 'has no ":" (a key is name:base64)';
  const name = text.slice(0, colon);
  if (!KEY_NAME.test(name)) {
    return 'has an unusual key name (use letters, digits and . _ + @ ~ -, starting with a letter or digit)';
  }
  return { name, data: text.slice(colon + 1) };
}

function privateKeyOf(seed: Buffer): KeyObject {
  return createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, seed]), format: 'der', type: 'pkcs8' });
}

function publicKeyObject(raw: Buffer): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_ED25519, raw]), format: 'der', type: 'spki' });
}

/** The raw 32-byte ed25519 public key of a 32-byte seed. */
export function derivePublicKey(seed: Buffer): Buffer {
  const der = createPublicKey(privateKeyOf(seed)).export({ format: 'der', type: 'spki' });
  return der.subarray(der.length - 32);
}

/**
 * A Nix secret key from input `input` (surrounding whitespace ignored). Throws an ActionError when it
 * is not exactly one `name:base64` line of 64 bytes whose second half is the public key of the first.
 */
export function parseSecretKey(input: string, value: string): SecretKey {
  const fail = (problem: string): never => {
    throw new ActionError(
      `Input '${input}' ${problem}. Give the whole secret key file made by ` +
        '`nix-store --generate-binary-cache-key NAME secret.key public.key` (one line, NAME:base64).',
    );
  };
  const parts = split(value);
  if (typeof parts === 'string') return fail(parts);
  if (BASE64_32.test(parts.data)) return fail('looks like a public key (32 bytes), not a secret key');
  if (!BASE64_64.test(parts.data)) return fail('is not name:base64 of a 64-byte ed25519 secret key');
  const bytes = Buffer.from(parts.data, 'base64');
  if (bytes.length !== 64) return fail('is not name:base64 of a 64-byte ed25519 secret key');
  const seed = bytes.subarray(0, 32);
  const stored = bytes.subarray(32);
  if (!derivePublicKey(seed).equals(stored)) {
    return fail('is damaged: its public half does not belong to its private half');
  }
  return {
    name: parts.name,
    secret: `${parts.name}:${parts.data}`,
    publicKey: `${parts.name}:${stored.toString('base64')}`,
  };
}

/** A Nix public key (`name:base64` of 32 bytes) from input `input`; throws an ActionError otherwise. */
export function parsePublicKey(input: string, value: string): PublicKey {
  const parts = split(value);
  const problem =
    typeof parts === 'string'
      ? parts
      : BASE64_64.test(parts.data)
        ? 'looks like a secret key (64 bytes): give its public key instead, and keep the secret one secret'
        : BASE64_32.test(parts.data)
          ? undefined
          : 'is not name:base64 of a 32-byte ed25519 public key';
  if (problem !== undefined || typeof parts === 'string') {
    throw new ActionError(`Input '${input}': a key ${problem ?? 'is malformed'}.`);
  }
  return { name: parts.name, key: Buffer.from(parts.data, 'base64') };
}

/** `name:base64(signature)` of `fingerprint` with a secret key text (one `parseSecretKey` accepted). */
export function signFingerprint(secret: string, fingerprint: string): string {
  const parts = split(secret);
  const bytes = typeof parts === 'string' ? Buffer.alloc(0) : Buffer.from(parts.data, 'base64');
  if (typeof parts === 'string' || bytes.length !== 64) throw new Error('not a Nix secret key');
  const signature = sign(null, Buffer.from(fingerprint, 'utf8'), privateKeyOf(bytes.subarray(0, 32)));
  return `${parts.name}:${signature.toString('base64')}`;
}

/**
 * Whether `sig` (a narinfo `Sig` value, `name:base64`) is a valid signature of `fingerprint` by one of
 * `publicKeys` with the same name, as Nix checks it. Malformed keys or signatures never verify.
 */
export function verifySignature(publicKeys: readonly string[], fingerprint: string, sig: string): boolean {
  const colon = sig.indexOf(':');
  if (colon <= 0) return false;
  const name = sig.slice(0, colon);
  const data = sig.slice(colon + 1);
  if (!BASE64_SIG.test(data)) return false;
  const signature = Buffer.from(data, 'base64');
  const message = Buffer.from(fingerprint, 'utf8');
  for (const text of publicKeys) {
    const parts = split(text);
    if (typeof parts === 'string' || parts.name !== name || !BASE64_32.test(parts.data)) continue;
    try {
      if (verify(null, message, publicKeyObject(Buffer.from(parts.data, 'base64')), signature)) return true;
    } catch {
      // Not a usable ed25519 key: it verifies nothing.
    }
  }
  return false;
}
