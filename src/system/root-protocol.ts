/**
 * The root helper's protocol: one JSON request on stdin, one JSON answer on stdout. File contents
 * travel as base64 inside the request, never on argv. `serve` is the helper's whole logic.
 */
import { errorMessage } from '../util/errors.js';
import type { RootOperations } from './privileged.js';

export type RootRequest =
  | { readonly op: 'readFile'; readonly path: string }
  | { readonly op: 'statFile'; readonly path: string }
  | { readonly op: 'writeFile'; readonly path: string; readonly base64: string; readonly mode: number }
  | { readonly op: 'removeFile'; readonly path: string }
  | {
      readonly op: 'run';
      readonly command: string;
      readonly args: readonly string[];
      readonly input?: string;
      readonly timeoutMs?: number;
    }
  | {
      readonly op: 'restartProcess';
      readonly pid: number;
      readonly stopTimeoutMs: number;
      readonly settleMs?: number;
    };

export type RootOp = RootRequest['op'];

/** `value` is the operation's result, `null` for undefined/void. */
export type RootAnswer =
  { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: string };

type Fields = Record<string, unknown>;

function field<T>(
  data: Fields,
  name: string,
  check: (v: unknown) => v is T,
  optional = false,
): T | undefined {
  const value = data[name];
  if (value === undefined && optional) return undefined;
  if (!check(value)) throw new Error(`malformed root helper request: bad "${name}"`);
  return value;
}

const isString = (v: unknown): v is string => typeof v === 'string';
const isPath = (v: unknown): v is string => typeof v === 'string' && v.startsWith('/');
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every(isString);

/** Validates a request; throws on anything malformed (a wrong op, a relative path, a missing field). */
export function parseRequest(text: string): RootRequest {
  const data = JSON.parse(text) as unknown;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new Error('malformed root helper request: not an object');
  }
  const d = data as Fields;
  const path = (): string => field(d, 'path', isPath) ?? '';
  switch (d['op']) {
    case 'readFile':
    case 'statFile':
    case 'removeFile':
      return { op: d['op'], path: path() };
    case 'writeFile':
      return {
        op: 'writeFile',
        path: path(),
        base64: field(d, 'base64', isString) ?? '',
        mode: field(d, 'mode', isCount) ?? 0,
      };
    case 'run': {
      const input = field(d, 'input', isString, true);
      const timeoutMs = field(d, 'timeoutMs', isCount, true);
      return {
        op: 'run',
        command: field(d, 'command', isString) ?? '',
        args: field(d, 'args', isStrings) ?? [],
        ...(input === undefined ? {} : { input }),
        ...(timeoutMs === undefined ? {} : { timeoutMs }),
      };
    }
    case 'restartProcess': {
      const settleMs = field(d, 'settleMs', isCount, true);
      return {
        op: 'restartProcess',
        pid: field(d, 'pid', isCount) ?? 0,
        stopTimeoutMs: field(d, 'stopTimeoutMs', isCount) ?? 0,
        ...(settleMs === undefined ? {} : { settleMs }),
      };
    }
    default:
      throw new Error(`malformed root helper request: unknown op ${JSON.stringify(d['op'])}`);
  }
}

async function perform(ops: RootOperations, request: RootRequest): Promise<unknown> {
  switch (request.op) {
    case 'readFile':
      return ops.readFile(request.path);
    case 'statFile':
      return ops.statFile(request.path);
    case 'writeFile':
      return ops.writeFile(request.path, Buffer.from(request.base64, 'base64'), request.mode);
    case 'removeFile':
      return ops.removeFile(request.path);
    case 'run':
      return ops.run(request.command, request.args, {
        ...(request.input === undefined ? {} : { input: request.input }),
        ...(request.timeoutMs === undefined ? {} : { timeoutMs: request.timeoutMs }),
      });
    case 'restartProcess':
      return ops.restartProcess(request.pid, {
        stopTimeoutMs: request.stopTimeoutMs,
        ...(request.settleMs === undefined ? {} : { settleMs: request.settleMs }),
      });
  }
}

/** The helper's work: parse, perform, answer. Never throws; errors become `{ ok: false }` answers. */
export async function serve(ops: RootOperations, text: string): Promise<RootAnswer> {
  try {
    const value = await perform(ops, parseRequest(text));
    return { ok: true, value: value ?? null };
  } catch (error: unknown) {
    return { ok: false, error: errorMessage(error) };
  }
}

/** The helper's answer from its stdout; undefined when it printed something else (it crashed, sudo failed). */
export function parseAnswer(text: string): RootAnswer | undefined {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof data !== 'object' || data === null) return undefined;
  const d = data as Fields;
  if (d['ok'] === true && 'value' in d) return { ok: true, value: d['value'] };
  if (d['ok'] === false && typeof d['error'] === 'string') return { ok: false, error: d['error'] };
  return undefined;
}
