// An HTTP Nix binary cache on a directory: GET/HEAD/PUT of nix-cache-info, narinfo, NAR, log and
// realisation files, with the authentication of cache-auth.ts and a parsed request log.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CacheAuth, type CacheAuthOptions, type ExchangedToken } from './cache-auth.js';
import { startServer, type ServerOptions, type TestResponse, type TestServer } from './http.js';
import { nix } from './nix.js';

export type { CacheAuthOptions, CacheOidcOptions, Permissions, StaticToken } from './cache-auth.js';

export interface CacheServerOptions extends CacheAuthOptions, ServerOptions {
  /** Where the files live (default: a new temporary directory, removed by close()). */
  dir?: string;
  /** Served when the directory has no nix-cache-info. */
  cacheInfo?: string;
}

export type CacheRequestKind =
  'cache-info' | 'narinfo' | 'ls' | 'nar' | 'log' | 'realisation' | 'debuginfo' | 'token-exchange' | 'other';

export interface CacheRequestRecord {
  method: string;
  path: string;
  kind: CacheRequestKind;
  /** The store path hash of a narinfo or listing request. */
  hash?: string;
  /** The file name of a NAR, log or realisation. */
  file?: string;
  status: number;
  identity?: string;
  /** ms since the epoch */
  at: number;
}

export interface NarInfo {
  hash: string;
  storePath: string;
  url: string;
  compression: string;
  fileHash?: string;
  fileSize?: number;
  narHash: string;
  narSize: number;
  references: string[];
  deriver?: string;
  sigs: string[];
  ca?: string;
}

export interface CacheServer {
  readonly url: string;
  readonly dir: string;
  readonly http: TestServer;
  /** The request log, parsed (a view of http.requests). */
  readonly log: CacheRequestRecord[];
  readonly exchanged: ExchangedToken[];
  /** Whether the cache holds a store path (its narinfo and the NAR it points to). */
  has(hashOrStorePath: string): boolean;
  narinfos(): NarInfo[];
  /** Fill the directory with `nix copy --to file://DIR?compression=zstd` from the local store. */
  seedFromStore(storePaths: readonly string[]): Promise<void>;
  clearLog(): void;
  close(): Promise<void>;
}

export const DEFAULT_CACHE_INFO = 'StoreDir: /nix/store\nWantMassQuery: 1\nPriority: 40\n';
const SAFE_PATH = /^\/[A-Za-z0-9._+=:!@/-]+$/;
const STORE_HASH = /^(?:\/nix\/store\/)?([0-9a-df-np-sv-z]{32})(?:-|$)/;

const CONTENT_TYPES: Partial<Record<CacheRequestKind, string>> = {
  'cache-info': 'text/x-nix-cache-info',
  narinfo: 'text/x-nix-narinfo',
  nar: 'application/x-nix-nar',
  log: 'text/plain; charset=utf-8',
};

export function classify(path: string): Pick<CacheRequestRecord, 'kind' | 'hash' | 'file'> {
  if (path === '/nix-cache-info') return { kind: 'cache-info' };
  if (path === '/token-exchange') return { kind: 'token-exchange' };
  const info = /^\/([0-9a-df-np-sv-z]{32})\.(narinfo|ls)$/.exec(path);
  if (info?.[1] !== undefined) return { kind: info[2] === 'ls' ? 'ls' : 'narinfo', hash: info[1] };
  const dir = /^\/(nar|log|realisations|debuginfo)\/(.+)$/.exec(path);
  const kinds = { nar: 'nar', log: 'log', realisations: 'realisation', debuginfo: 'debuginfo' } as const;
  if (dir?.[1] !== undefined && dir[2] !== undefined) {
    return { kind: kinds[dir[1] as keyof typeof kinds], file: dir[2] };
  }
  return { kind: 'other' };
}

export function parseNarInfo(text: string): NarInfo {
  const fields = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(': ');
    if (colon > 0)
      fields.set(line.slice(0, colon), [...(fields.get(line.slice(0, colon)) ?? []), line.slice(colon + 2)]);
  }
  const one = (k: string): string | undefined => fields.get(k)?.[0];
  const storePath = one('StorePath') ?? '';
  const info: NarInfo = {
    hash: STORE_HASH.exec(storePath)?.[1] ?? '',
    storePath,
    url: one('URL') ?? '',
    compression: one('Compression') ?? 'bzip2',
    narHash: one('NarHash') ?? '',
    narSize: Number(one('NarSize') ?? 0),
    references: (one('References') ?? '').split(' ').filter((r) => r !== ''),
    sigs: fields.get('Sig') ?? [],
  };
  const fileHash = one('FileHash');
  const fileSize = one('FileSize');
  const deriver = one('Deriver');
  const ca = one('CA');
  if (fileHash !== undefined) info.fileHash = fileHash;
  if (fileSize !== undefined) info.fileSize = Number(fileSize);
  if (deriver !== undefined) info.deriver = deriver;
  if (ca !== undefined) info.ca = ca;
  return info;
}

export async function startCacheServer(opts: CacheServerOptions = {}): Promise<CacheServer> {
  const owned = opts.dir === undefined;
  const dir = opts.dir ?? (await mkdtemp(join(tmpdir(), 'nix-cache-')));
  await mkdir(dir, { recursive: true });
  const auth = new CacheAuth(opts);

  const http = await startServer(async (req): Promise<TestResponse> => {
    const { kind } = classify(req.path);
    if (kind === 'token-exchange') {
      if (req.method !== 'POST') return { status: 405, headers: { allow: 'POST' }, body: 'POST only\n' };
      return auth.exchange(new URLSearchParams(req.body.toString('utf8')));
    }
    const write = req.method === 'PUT';
    if (!write && req.method !== 'GET' && req.method !== 'HEAD') {
      return { status: 405, headers: { allow: 'GET, HEAD, PUT' }, body: 'method not allowed\n' };
    }
    const anonymousInfo =
      opts.publicCacheInfo === true &&
      kind === 'cache-info' &&
      !write &&
      req.headers.authorization === undefined;
    const checked = anonymousInfo
      ? ({ ok: true, identity: { name: 'anonymous', read: true, write: false } } as const)
      : await auth.check(req.headers, write ? 'write' : 'read');
    if (!checked.ok) return checked.response;
    const identity = checked.identity.name;
    if (!SAFE_PATH.test(req.path) || req.path.split('/').includes('..')) {
      return { status: 400, body: 'bad path\n', identity };
    }
    const file = join(dir, req.path);
    if (write) {
      await mkdir(dirname(file), { recursive: true });
      const tmp = `${file}.tmp-${process.pid}-${req.record.id}`;
      await writeFile(tmp, req.body);
      await rename(tmp, file);
      return { status: 201, body: '', identity };
    }
    const contentType = CONTENT_TYPES[kind] ?? 'application/octet-stream';
    try {
      return { status: 200, headers: { 'content-type': contentType }, body: await readFile(file), identity };
    } catch {
      if (kind === 'cache-info') {
        return {
          status: 200,
          headers: { 'content-type': contentType },
          body: opts.cacheInfo ?? DEFAULT_CACHE_INFO,
          identity,
        };
      }
      return { status: 404, body: `${req.path} not found\n`, identity };
    }
  }, opts);

  const narinfos = (): NarInfo[] =>
    readdirSync(dir)
      .filter((f) => f.endsWith('.narinfo'))
      .map((f) => parseNarInfo(readFileSync(join(dir, f), 'utf8')));

  return {
    url: http.url,
    dir,
    http,
    get log() {
      return http.requests.map((r) => ({
        method: r.method,
        path: r.path,
        ...classify(r.path),
        status: r.status,
        at: r.at,
        ...(r.identity === undefined ? {} : { identity: r.identity }),
      }));
    },
    exchanged: auth.exchanged,
    has(hashOrStorePath) {
      const hash = STORE_HASH.exec(hashOrStorePath)?.[1];
      if (hash === undefined) throw new Error(`not a store path or hash: ${hashOrStorePath}`);
      const file = join(dir, `${hash}.narinfo`);
      if (!existsSync(file)) return false;
      const { url } = parseNarInfo(readFileSync(file, 'utf8'));
      return url !== '' && existsSync(join(dir, url));
    },
    narinfos,
    async seedFromStore(storePaths) {
      const res = await nix('copy', ['--to', `file://${dir}?compression=zstd`, ...storePaths]);
      if (res.code !== 0) throw new Error(`nix copy --to file://${dir} failed (${res.code}): ${res.stderr}`);
    },
    clearLog: () => {
      http.clearLog();
    },
    async close() {
      await http.close();
      if (owned) await rm(dir, { recursive: true, force: true });
    },
  };
}
