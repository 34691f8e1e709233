/**
 * A loopback HTTP proxy that `nix copy` pushes through instead of the real http(s) cache. Nix 2.8 refuses
 * to upload a path whose reference the destination lacks, and reads `<hash>.narinfo` of each reference
 * to check; a path skipped because an upstream cache has it is such a reference. The proxy answers those
 * reads itself with a narinfo made from the local path info (only ever read by that check, never
 * uploaded), and forwards everything else to the cache: bodies streamed both ways, the cache's
 * credentials (read fresh per request, as they are renewed during the job) in place of Nix's own,
 * keep-alive connections, a 502 when the cache cannot be reached so that the copy fails and is retried.
 *
 * Its URL carries a random first segment, so that Nix's narinfo disk cache (keyed by URL, positive
 * answers kept 30 days) never mixes two proxies that happened to get the same port.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { basename, dirname } from 'node:path';
import { errorMessage } from '../util/errors.js';
import { describeFailure, netrcAuthorization, storeHash } from './http.js';
import { normalizeSha256 } from './narinfo.js';
import type { PathInfo } from './types.js';

export interface PushProxyOptions {
  /** The real cache URL (http or https, may have a path prefix; no query). */
  readonly target: string;
  /** Paths to answer for as if the cache had them, by 32-character store hash. */
  readonly virtual: ReadonlyMap<string, PathInfo>;
  /** The Authorization header value for the target, asked for every request (undefined: none). */
  readonly authorization: () => Promise<string | undefined>;
  /** The store directory the synthesized narinfos name (default: each path's own directory). */
  readonly storeDir?: string;
  /** A connection to the target not made in this long is a 502 (default 15 s). */
  readonly connectTimeoutMs?: number;
  /** A request to the target with no byte moving for this long is cut (default 60 s). */
  readonly idleTimeoutMs?: number;
}

export interface PushProxyStats {
  /** Requests sent on to the target. */
  forwarded: number;
  /** Narinfo reads answered from `virtual`. */
  virtual: number;
}

export interface PushProxy {
  /** `http://127.0.0.1:PORT/<random>`: the store URL to give `nix copy` (add the store parameters). */
  readonly url: string;
  readonly stats: Readonly<PushProxyStats>;
  /** Ends every connection and in-flight request; never hangs. */
  close(): Promise<void>;
}

const VIRTUAL_NARINFO = /^\/([0-9a-df-np-sv-z]{32})\.narinfo$/;
const HOP_BY_HOP =
  'connection keep-alive proxy-connection proxy-authenticate proxy-authorization te trailer transfer-encoding upgrade';
/** Request headers never forwarded: the target's are set here (Expect is answered here). */
const REQUEST_DROPS = new Set(`${HOP_BY_HOP} host authorization expect`.split(' '));
const RESPONSE_DROPS = new Set(HOP_BY_HOP.split(' '));

/** The narinfo Nix reads for a path the cache is taken to have (`Compression: none`, never fetched). */
export function virtualNarInfo(info: PathInfo, storeDir?: string): string {
  const narHash = normalizeSha256(info.narHash);
  if (narHash === undefined) throw new Error(`the NAR hash of ${info.path} is not a SHA-256 hash`);
  const lines = [
    `StorePath: ${storeDir ?? dirname(info.path)}/${basename(info.path)}`,
    `URL: nar/${narHash.slice('sha256:'.length)}.nar`,
    'Compression: none',
    `NarHash: ${narHash}`,
    `NarSize: ${info.narSize}`,
    `References: ${info.references.map((r) => basename(r)).join(' ')}`,
  ];
  if (info.deriver !== undefined && info.deriver !== '') lines.push(`Deriver: ${basename(info.deriver)}`);
  return `${lines.join('\n')}\n`;
}

/** `authorization` for startPushProxy from a netrc read every time (curl's entry for the target's host). */
export function netrcAuthorizer(
  readNetrc: () => Promise<string | undefined>,
  targetUrl: string,
): () => Promise<string | undefined> {
  const host = new URL(targetUrl).hostname.replace(/^\[(.*)\]$/, '$1');
  return async () => {
    const text = await readNetrc();
    return text === undefined ? undefined : netrcAuthorization(text, host);
  };
}

/** Headers without those of `drop` and those the Connection header names (hop-by-hop). */
function endToEnd(headers: http.IncomingHttpHeaders, drop: ReadonlySet<string>): http.OutgoingHttpHeaders {
  const named = (headers.connection ?? '').split(',').map((h) => h.trim().toLowerCase());
  return Object.fromEntries(
    Object.entries(headers).filter(
      ([name, v]) => v !== undefined && !drop.has(name) && !named.includes(name),
    ),
  );
}

const hasBody = (req: http.IncomingMessage): boolean =>
  req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;

/** An answer of the proxy's own; a request body not read (or not all sent on) ends the connection. */
function reply(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  status: number,
  body: string,
  type = 'text/plain; charset=utf-8',
): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    ...(hasBody(req) ? { connection: 'close' } : {}),
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

export async function startPushProxy(options: PushProxyOptions): Promise<PushProxy> {
  const target = new URL(options.target);
  const secure = target.protocol === 'https:';
  if (!secure && target.protocol !== 'http:') {
    throw new Error(`the push proxy forwards to http(s) caches only, not ${target.protocol}//`);
  }
  const { username, password } = target;
  // Credentials in the URL (Nix allows them) serve when `authorization` gives none.
  const urlAuth =
    username === '' && password === ''
      ? undefined
      : `Basic ${Buffer.from(`${decodeURIComponent(username)}:${decodeURIComponent(password)}`).toString('base64')}`;
  const where = `${target.protocol}//${target.host}`;
  const targetBase = `${where}${target.pathname.replace(/\/+$/, '')}`;
  const narinfos = new Map<string, { info: PathInfo; text: string }>();
  const narinfoFor = (hash: string): string | undefined => {
    const info = options.virtual.get(hash);
    const known = narinfos.get(hash);
    if (info === undefined) return undefined;
    if (known?.info === info) return known.text;
    if (storeHash(info.path) !== hash)
      throw new Error(`virtual path ${info.path} is not filed under ${hash}`);
    const text = virtualNarInfo(info, options.storeDir);
    narinfos.set(hash, { info, text });
    return text;
  };
  for (const hash of options.virtual.keys()) narinfoFor(hash); // malformed entries throw here
  const connectTimeoutMs = options.connectTimeoutMs ?? 15_000;
  const idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
  // Idle connections are dropped before common servers drop them (node's own: 5 s).
  const agent = new (secure ? https : http).Agent({ keepAlive: true, timeout: 4000 });
  const send = secure ? https.request : http.request;
  const nonce = `/nca-${randomBytes(8).toString('hex')}`;
  const stats: PushProxyStats = { forwarded: 0, virtual: 0 };
  const sockets = new Set<Socket>();
  const inFlight = new Set<http.ClientRequest>();
  let closing = false;
  let proxyBase = '';

  const forward = (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    rest: string,
    auth: string | undefined,
    retry = true,
  ): void => {
    const url = new URL(targetBase + rest);
    const headers = endToEnd(req.headers, REQUEST_DROPS);
    if ((auth ?? urlAuth) !== undefined) headers.authorization = auth ?? urlAuth;
    const upstream = send(url, { method: req.method ?? 'GET', headers, agent, timeout: idleTimeoutMs });
    inFlight.add(upstream);
    const body = hasBody(req);
    let connectTimer: NodeJS.Timeout | undefined;
    upstream.on('socket', (socket) => {
      if (!socket.connecting) return;
      connectTimer = setTimeout(() => {
        upstream.destroy(Object.assign(new Error('connection timed out'), { code: 'ETIMEDOUT' }));
      }, connectTimeoutMs);
      socket.once('connect', () => {
        clearTimeout(connectTimer);
      });
    });
    upstream.on('timeout', () => {
      upstream.destroy(new Error(`nothing moved for ${idleTimeoutMs} ms`));
    });
    upstream.on('close', () => {
      clearTimeout(connectTimer);
      inFlight.delete(upstream);
    });
    upstream.on('error', (error: Error & { code?: string }) => {
      // A kept-alive connection the target had just closed: a request without a body is sent again.
      const stale = upstream.reusedSocket && error.code === 'ECONNRESET';
      if (retry && stale && !body && !res.headersSent && !closing) {
        forward(req, res, rest, auth, false);
        return;
      }
      req.unpipe(upstream);
      if (!res.headersSent) reply(req, res, 502, `push proxy: ${describeFailure(error)} (${where})\n`);
      else if (!res.writableFinished) res.destroy();
    });
    upstream.on('response', (answer) => {
      if (res.headersSent || res.destroyed) {
        answer.resume();
        return;
      }
      const out = endToEnd(answer.headers, RESPONSE_DROPS);
      const { location } = answer.headers;
      const moved =
        location !== undefined && URL.canParse(location, url.href) ? new URL(location, url).href : '';
      if (moved.startsWith(`${targetBase}/`)) out.location = proxyBase + moved.slice(targetBase.length);
      // The target answered before the whole body went up: Nix must not reuse the connection.
      if (body && !req.complete) out.connection = 'close';
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, out);
      answer.pipe(res);
      answer.on('close', () => {
        if (!answer.complete && !res.writableFinished) res.destroy();
      });
    });
    // Nix gave up (its own timeouts) or went away: so does the request to the target.
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    res.on('error', () => upstream.destroy());
    if (!body) {
      upstream.end();
      req.resume();
      return;
    }
    // Nix waits for this before a large body; the target gets the body without being asked.
    if (req.headers.expect?.toLowerCase() === '100-continue') res.writeContinue();
    req.pipe(upstream);
  };

  const handle = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const raw = req.url ?? '/';
    if (!raw.startsWith(`${nonce}/`)) {
      reply(req, res, 404, 'not found\n');
      return;
    }
    const rest = raw.slice(nonce.length);
    const hash = VIRTUAL_NARINFO.exec(rest.replace(/\?.*$/s, ''))?.[1];
    const text = hash !== undefined && /^(GET|HEAD)$/.test(req.method ?? '') ? narinfoFor(hash) : undefined;
    if (text !== undefined) {
      stats.virtual++;
      reply(req, res, 200, text, 'text/x-nix-narinfo');
      return;
    }
    stats.forwarded++;
    options
      .authorization()
      .then(
        (auth) => {
          if (!res.destroyed && !closing) forward(req, res, rest, auth);
        },
        (error: unknown) => {
          reply(req, res, 502, `push proxy: no credentials for ${where}: ${errorMessage(error)}\n`);
        },
      )
      .catch((error: unknown) => {
        reply(req, res, 502, `push proxy: ${errorMessage(error)}\n`);
      });
  };

  const server = http.createServer({ requestTimeout: 0, keepAliveTimeout: 30_000 }, (req, res) => {
    try {
      handle(req, res);
    } catch (error: unknown) {
      reply(req, res, 502, `push proxy: ${errorMessage(error)}\n`);
    }
  });
  // Expect: 100-continue is answered once the request to the target is under way (in forward).
  server.on('checkContinue', (req: http.IncomingMessage, res: http.ServerResponse) => {
    server.emit('request', req, res);
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  proxyBase = `http://127.0.0.1:${(server.address() as AddressInfo).port}${nonce}`;

  let closed: Promise<void> | undefined;
  return {
    url: proxyBase,
    stats,
    close() {
      closed ??= new Promise<void>((resolve) => {
        closing = true;
        server.close(() => {
          resolve();
        });
        for (const request of inFlight) request.destroy();
        server.closeAllConnections();
        for (const socket of sockets) socket.destroy();
        agent.destroy();
      });
      return closed;
    },
  };
}
