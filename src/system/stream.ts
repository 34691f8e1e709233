/**
 * Running a long command whose output is read as it comes: a callback per line of stdout and stderr
 * (nothing is echoed to the log, so a caller decides what may be shown), input on stdin, and an
 * AbortSignal or a timeout that stops the command's whole process group (SIGTERM, then SIGKILL after
 * a grace). Resolves, never rejects, with the exit code and the last lines of stderr.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { StringDecoder } from 'node:string_decoder';
import { NOT_FOUND_EXIT_CODE, TIMEOUT_EXIT_CODE } from './exec.js';

export interface StreamOptions {
  /** The complete environment; the process environment when absent. */
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
  /** Written to standard input, which is then closed. */
  readonly input?: string;
  /** Each complete line of stdout / stderr, without its newline (a last unterminated line included). */
  readonly onStdoutLine?: (line: string) => void;
  readonly onStderrLine?: (line: string) => void;
  /** Stops the command (and everything it started) when aborted. */
  readonly signal?: AbortSignal;
  /** Stops the command after this long. */
  readonly timeoutMs?: number;
  /** After SIGTERM, how long the group gets before SIGKILL (default 2 s). */
  readonly killGraceMs?: number;
  /** How many of the last stderr lines `stderrTail` keeps (default 20). */
  readonly tailLines?: number;
}

export interface StreamResult {
  /** Exit code; 124 when the timeout stopped it, 127 when it could not be started, 128+N for signal N. */
  readonly code: number;
  readonly timedOut: boolean;
  readonly aborted: boolean;
  /** The last lines of stderr, newline-terminated. */
  readonly stderrTail: string;
}

/** Runs a command with streamed output: the seam the push uses (unit tests pass a fake). */
export type StreamRunner = (
  command: string,
  args: readonly string[],
  options?: StreamOptions,
) => Promise<StreamResult>;

const DEFAULT_KILL_GRACE_MS = 2000;
const DEFAULT_TAIL_LINES = 20;

/** Calls `onLine` per complete line of a byte stream; `end()` flushes a last unterminated line. */
function lineSplitter(onLine: (line: string) => void): { push: (b: Buffer) => void; end: () => void } {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  const emit = (text: string): void => {
    rest += text;
    let nl = rest.indexOf('\n');
    while (nl >= 0) {
      onLine(rest.slice(0, nl).replace(/\r$/, ''));
      rest = rest.slice(nl + 1);
      nl = rest.indexOf('\n');
    }
  };
  return {
    push: (b) => {
      emit(decoder.write(b));
    },
    end: () => {
      emit(decoder.end());
      if (rest !== '') onLine(rest);
      rest = '';
    },
  };
}

/** Calls `fn`, swallowing what it throws: a caller's line callback must not break the runner. */
function safely(fn: ((line: string) => void) | undefined, line: string): void {
  try {
    fn?.(line);
  } catch {
    // the caller's problem, not the command's
  }
}

export const streamCommand: StreamRunner = (command, args, options = {}) =>
  new Promise((resolve) => {
    const tailLines = options.tailLines ?? DEFAULT_TAIL_LINES;
    const grace = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
    const tail: string[] = [];
    const tailText = (): string => tail.map((l) => `${l}\n`).join('');

    if (options.signal?.aborted === true) {
      resolve({ code: 128 + constants.signals.SIGTERM, timedOut: false, aborted: true, stderrTail: '' });
      return;
    }
    const child = spawn(command, args, {
      env: options.env ?? process.env,
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      stdio: ['pipe', 'pipe', 'pipe'],
      // Its own process group, so that stopping it stops what it started too.
      detached: true,
    });
    const out = lineSplitter((line) => {
      safely(options.onStdoutLine, line);
    });
    const err = lineSplitter((line) => {
      tail.push(line);
      if (tail.length > tailLines) tail.shift();
      safely(options.onStderrLine, line);
    });
    child.stdout.on('data', out.push);
    child.stderr.on('data', err.push);
    child.stdin.on('error', () => undefined); // the command may exit without reading its input
    child.stdin.end(options.input ?? '');

    let timedOut = false;
    let aborted = false;
    const timers: NodeJS.Timeout[] = [];
    const killGroup = (signal: NodeJS.Signals): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, signal);
      } catch {
        // already gone
      }
    };
    let settled = false;
    const finish = (result: StreamResult): void => {
      if (settled) return;
      settled = true;
      for (const t of timers) clearTimeout(t);
      options.signal?.removeEventListener('abort', onAbort);
      resolve(result);
    };
    const stop = (): void => {
      killGroup('SIGTERM');
      timers.push(
        setTimeout(() => {
          killGroup('SIGKILL');
          // A process that not even SIGKILL ends (stuck in the kernel) must not hang the caller.
          timers.push(
            setTimeout(() => {
              child.stdout.destroy();
              child.stderr.destroy();
              child.unref();
              finish({ code: 128 + constants.signals.SIGKILL, timedOut, aborted, stderrTail: tailText() });
            }, grace).unref(),
          );
        }, grace).unref(),
      );
    };
    function onAbort(): void {
      if (settled || aborted || timedOut) return;
      aborted = true;
      stop();
    }
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.timeoutMs !== undefined) {
      timers.push(
        setTimeout(() => {
          if (aborted) return;
          timedOut = true;
          stop();
        }, options.timeoutMs),
      );
    }

    child.on('error', (error) => {
      err.push(Buffer.from(`${command}: ${error.message}\n`));
      finish({ code: NOT_FOUND_EXIT_CODE, timedOut: false, aborted: false, stderrTail: tailText() });
    });
    child.on('close', (code, signal) => {
      out.end();
      err.end();
      if (timedOut || aborted) killGroup('SIGKILL'); // what the command started and left behind
      const exit = timedOut
        ? TIMEOUT_EXIT_CODE
        : (code ?? 128 + (signal === null ? 0 : constants.signals[signal]));
      finish({ code: exit, timedOut, aborted, stderrTail: tailText() });
    });
  });
