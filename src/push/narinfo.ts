/**
 * `.narinfo` files of Nix binary caches: parsing them, the fingerprint Nix signs
 * (`1;<storePath>;sha256:<nix-base32 NAR hash>;<narSize>;<sorted full reference paths, comma-separated>`)
 * and NAR hashes in any of the spellings Nix prints, reduced to the one the fingerprint uses.
 */
import { basename, dirname } from 'node:path';
import type { PathInfo } from './types.js';

export interface NarInfo {
  readonly storePath: string;
  readonly url: string;
  /** `bzip2` when the file does not say (as Nix reads it). */
  readonly compression: string;
  readonly fileHash?: string;
  readonly fileSize?: number;
  readonly narHash: string;
  readonly narSize: number;
  /** Base names (`<hash>-<name>`), as the file lists them. */
  readonly references: readonly string[];
  /** Base name of the deriver. */
  readonly deriver?: string;
  /** Every `Sig` line's value, `name:base64`. */
  readonly sigs: readonly string[];
  readonly ca?: string;
}

/** Nix's base-32 alphabet (no e, o, t, u). */
const NIX_BASE32 = '0123456789abcdfghijklmnpqrsvwxyz';
const BASE32_HASH = /^[0-9a-df-np-sv-z]{52}$/;
const BASE16_HASH = /^[0-9a-fA-F]{64}$/;
const BASE64_HASH = /^[A-Za-z0-9+/]{43}=$/;
const STORE_BASE = /^[0-9a-df-np-sv-z]{32}-[A-Za-z0-9+\-._?=]+$/;
const SIZE = /^(0|[1-9][0-9]{0,15})$/;

/** Nix's base-32 encoding (the last byte's bits first). */
export function toNixBase32(bytes: Uint8Array): string {
  const length = Math.floor((bytes.length * 8 - 1) / 5) + 1;
  let out = '';
  for (let n = length - 1; n >= 0; n--) {
    const bit = n * 5;
    const i = Math.floor(bit / 8);
    const j = bit % 8;
    const low = (bytes[i] ?? 0) >> j;
    const high = i + 1 < bytes.length ? (bytes[i + 1] ?? 0) << (8 - j) : 0;
    out += NIX_BASE32.charAt((low | high) & 0x1f);
  }
  return out;
}

/**
 * A SHA-256 hash as `sha256:<nix-base32>`, from any spelling Nix uses: `sha256:` with base-32, base-16
 * or base-64, or SRI `sha256-<base64>` (what `nix path-info --json` prints). Undefined otherwise.
 */
export function normalizeSha256(text: string): string | undefined {
  const sri = /^sha256-(.*)$/.exec(text);
  const typed = /^sha256:(.*)$/.exec(text);
  const digest = sri?.[1] ?? typed?.[1];
  if (digest === undefined) return undefined;
  if (sri === null && BASE32_HASH.test(digest)) return `sha256:${digest}`;
  if (sri === null && BASE16_HASH.test(digest)) return `sha256:${toNixBase32(Buffer.from(digest, 'hex'))}`;
  if (BASE64_HASH.test(digest)) return `sha256:${toNixBase32(Buffer.from(digest, 'base64'))}`;
  return undefined;
}

function parseSize(field: string, value: string): number {
  if (!SIZE.test(value)) throw new Error(`${field} is not a size`);
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new Error(`${field} is too large`);
  return n;
}

/**
 * Parses narinfo text. Throws (a message without the file's content) when a field Nix requires is
 * missing or malformed: StorePath, URL, NarHash, NarSize; References must be store base names.
 */
export function parseNarInfo(text: string): NarInfo {
  const fields = new Map<string, string>();
  const sigs: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line === '') continue;
    const match = /^([A-Za-z][A-Za-z0-9-]*):(?: (.*))?$/.exec(line);
    if (match?.[1] === undefined) throw new Error('a line is not "Key: value"');
    const value = match[2] ?? '';
    if (match[1] === 'Sig') sigs.push(value);
    else if (!fields.has(match[1])) fields.set(match[1], value);
  }
  const need = (key: string): string => {
    const value = fields.get(key);
    if (value === undefined || value === '') throw new Error(`${key} is missing`);
    return value;
  };
  const storePath = need('StorePath');
  if (!storePath.startsWith('/') || !STORE_BASE.test(basename(storePath))) {
    throw new Error('StorePath is not a store path');
  }
  const narHash = need('NarHash');
  if (normalizeSha256(narHash) === undefined) throw new Error('NarHash is not a SHA-256 hash');
  const references = (fields.get('References') ?? '').split(' ').filter((r) => r !== '');
  if (references.some((r) => !STORE_BASE.test(r))) throw new Error('References are not store names');
  const fileSize = fields.get('FileSize');
  const fileHash = fields.get('FileHash');
  const deriver = fields.get('Deriver');
  const ca = fields.get('CA');
  return {
    storePath,
    url: need('URL'),
    compression: fields.get('Compression') || 'bzip2',
    narHash,
    narSize: parseSize('NarSize', need('NarSize')),
    references,
    sigs,
    ...(fileHash ? { fileHash } : {}),
    ...(fileSize === undefined ? {} : { fileSize: parseSize('FileSize', fileSize) }),
    ...(deriver ? { deriver } : {}),
    ...(ca ? { ca } : {}),
  };
}

/** What a fingerprint is made of; references as base names (those of a narinfo). */
export type FingerprintFields = Pick<NarInfo, 'storePath' | 'narHash' | 'narSize' | 'references'>;

/** The text Nix signs for a path (`ValidPathInfo::fingerprint`); throws when Nix would refuse to. */
export function fingerprint(info: FingerprintFields): string {
  const hash = normalizeSha256(info.narHash);
  if (hash === undefined) throw new Error(`the NAR hash of ${info.storePath} is not a SHA-256 hash`);
  if (info.narSize === 0) throw new Error(`the NAR size of ${info.storePath} is not known`);
  const storeDir = dirname(info.storePath);
  const references = [...new Set(info.references)].map((r) => `${storeDir}/${r}`).sort();
  return `1;${info.storePath};${hash};${info.narSize};${references.join(',')}`;
}

/** The fingerprint of a local path, as Nix computes it when it signs the path's narinfo. */
export function pathInfoFingerprint(info: PathInfo): string {
  return fingerprint({
    storePath: info.path,
    narHash: info.narHash,
    narSize: info.narSize,
    references: info.references.map((r) => basename(r)),
  });
}
