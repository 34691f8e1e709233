// A small loopback HTTP server for end-to-end tests: a request log, fault injection (statuses,
// Retry-After, delays, hangs, connection resets) and a global latency knob for benchmarks.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

/** Bodies up to this size are kept as text in the request log. */
const LOGGED_BODY_LIMIT = 64 * 1024;

export interface RequestRecord {
  id: number;
  method: string;
  /** Path without the query string. */
  path: string;
  query: Record<string, string>;
  headers: http.IncomingHttpHeaders;
  /** Body bytes received (0 until the whole body has arrived). */
  bodySize: number;
  /** The body as UTF-8 when it is at most 64 KiB. */
  bodyText?: string;
  /** Answered status; 0 while unanswered (in flight, hung) or when the connection was dropped. */
  status: number;
  /** Wall clock (Date.now()) when the request arrived. */
  at: number;
  /** performance.now() when the request headers arrived and when the answer was sent. */
  start: number;
  end?: number;
  /** Who the handler authenticated, if anyone. */
  identity?: string;
  /** The injected fault that answered or delayed this request. */
  fault?: FaultKind;
}

export interface TestRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  record: RequestRecord;
}

export interface TestResponse {
  status: number;
  headers?: Record<string, string | number | readonly string[]>;
  body?: string | Buffer;
  /** Recorded in the request log. */
  identity?: string;
}

export type Handler = (req: TestRequest) => TestResponse | Promise<TestResponse>;

/** A predicate, or a regular expression (source or RegExp) tested against `"METHOD /path?query"`. */
export type FaultMatch = ((req: TestRequest) => boolean) | string | RegExp;

export type FaultSpec =
  | { kind: 'status'; status: number; body?: string }
  | { kind: 'retry-after'; status: 429 | 503; seconds: number }
  | { kind: 'delay'; ms: number }
  | { kind: 'hang' }
  | { kind: 'reset' };
export type FaultKind = FaultSpec['kind'];
export type Fault = FaultSpec & { match?: FaultMatch; times?: number };

export interface ServerOptions {
  /** Every request waits this long before it is handled (also settable later). */
  latencyMs?: number;
}

export interface TestServer {
  readonly url: string;
  readonly port: number;
  readonly requests: RequestRecord[];
  latencyMs: number;
  clearLog(): void;
  /** Queue a fault; faults are consumed in the order they were added. */
  fault(spec: Fault): void;
  clearFaults(): void;
  /** Faults not yet used up. */
  readonly pendingFaults: number;
  /** Closes the listener and every connection (keep-alive, hung, delayed); never hangs. */
  close(): Promise<void>;
}

interface QueuedFault {
  spec: FaultSpec;
  match: FaultMatch | undefined;
  left: number;
}

function matches(match: FaultMatch | undefined, req: TestRequest): boolean {
  if (match === undefined) return true;
  if (typeof match === 'function') return match(req);
  const re = typeof match === 'string' ? new RegExp(match) : match;
  const search = req.query.toString();
  return re.test(`${req.method} ${req.path}${search === '' ? '' : `?${search}`}`);
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      resolve(Buffer.concat(chunks));
    });
    req.on('error', reject);
    req.on('close', () => {
      if (!req.complete) reject(new Error('the client went away before sending its whole body'));
    });
  });
}

export async function startServer(handler: Handler, opts: ServerOptions = {}): Promise<TestServer> {
  const requests: RequestRecord[] = [];
  const faults: QueuedFault[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<{ timer: NodeJS.Timeout; done: () => void }>();
  let closing = false;
  let nextId = 1;
  let latencyMs = opts.latencyMs ?? 0;

  // Resolves after `ms`, or early when the server closes; answers true when still open.
  const sleep = (ms: number): Promise<boolean> =>
    new Promise((resolve) => {
      if (closing) {
        resolve(false);
        return;
      }
      const entry = {
        done: () => {
          timers.delete(entry);
          resolve(!closing);
        },
        timer: setTimeout(() => {
          entry.done();
        }, ms),
      };
      timers.add(entry);
    });

  const takeFault = (req: TestRequest): FaultSpec | undefined => {
    const index = faults.findIndex((f) => f.left > 0 && matches(f.match, req));
    const found = faults[index];
    if (found === undefined) return undefined;
    found.left -= 1;
    if (found.left <= 0) faults.splice(index, 1);
    return found.spec;
  };

  const answer = (res: http.ServerResponse, record: RequestRecord, out: TestResponse): void => {
    if (res.destroyed || res.headersSent) return;
    const body = out.body === undefined ? Buffer.alloc(0) : Buffer.from(out.body);
    const headers: http.OutgoingHttpHeaders = { 'content-length': body.length, ...out.headers };
    res.writeHead(out.status, headers);
    res.end(record.method === 'HEAD' ? undefined : body);
    record.status = out.status;
    record.end = performance.now();
    if (out.identity !== undefined) record.identity = out.identity;
  };

  const serve = async (raw: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const start = performance.now();
    const url = new URL(raw.url ?? '/', 'http://127.0.0.1');
    // Logged before the body arrives, so that a client that never sends its body still shows up.
    const record: RequestRecord = {
      id: nextId++,
      method: raw.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: raw.headers,
      bodySize: 0,
      status: 0,
      at: Date.now(),
      start,
    };
    requests.push(record);
    const body = await readBody(raw);
    record.bodySize = body.length;
    if (body.length > 0 && body.length <= LOGGED_BODY_LIMIT) record.bodyText = body.toString('utf8');
    const req: TestRequest = {
      method: record.method,
      path: record.path,
      query: url.searchParams,
      headers: raw.headers,
      body,
      record,
    };

    if (latencyMs > 0 && !(await sleep(latencyMs))) return;
    const fault = takeFault(req);
    if (fault !== undefined) {
      record.fault = fault.kind;
      switch (fault.kind) {
        case 'hang':
          return; // held until close() destroys the socket
        case 'reset':
          raw.socket.destroy();
          record.end = performance.now();
          return;
        case 'status':
          answer(res, record, {
            status: fault.status,
            body: fault.body ?? `injected fault ${fault.status}\n`,
          });
          return;
        case 'retry-after':
          answer(res, record, {
            status: fault.status,
            headers: { 'retry-after': String(fault.seconds) },
            body: 'slow down\n',
          });
          return;
        case 'delay':
          if (!(await sleep(fault.ms))) return;
          break;
      }
    }
    let out: TestResponse;
    try {
      out = await handler(req);
    } catch (err) {
      out = { status: 500, body: `handler error: ${err instanceof Error ? err.message : String(err)}\n` };
    }
    if (!closing) answer(res, record, out);
  };

  const server = http.createServer((raw, res) => {
    serve(raw, res).catch(() => {
      res.destroy();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  let closed: Promise<void> | undefined;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    get latencyMs() {
      return latencyMs;
    },
    set latencyMs(ms: number) {
      latencyMs = ms;
    },
    clearLog() {
      requests.length = 0;
    },
    fault(spec: Fault) {
      const { match, times, ...rest } = spec;
      faults.push({ spec: rest, match, left: times ?? 1 });
    },
    clearFaults() {
      faults.length = 0;
    },
    get pendingFaults() {
      return faults.length;
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        closing = true;
        for (const entry of [...timers]) {
          clearTimeout(entry.timer);
          entry.done();
        }
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
        for (const socket of sockets) socket.destroy();
      });
      return closed;
    },
  };
}

/** A JSON answer. */
export function json(status: number, value: unknown, headers: Record<string, string> = {}): TestResponse {
  return { status, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(value) };
}

/** The largest number of requests in `log` the server held at once (concurrency, not timing). */
export function maxOverlap(log: readonly RequestRecord[]): number {
  const edges = log.flatMap((r) => [
    { t: r.start, d: 1 },
    { t: r.end ?? Infinity, d: -1 },
  ]);
  edges.sort((a, b) => a.t - b.t || a.d - b.d);
  let now = 0;
  let max = 0;
  for (const e of edges) max = Math.max(max, (now += e.d));
  return max;
}
