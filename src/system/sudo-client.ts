/**
 * Root operations through passwordless sudo: `sudo -n <node> <root helper>`, one call per operation,
 * the request as JSON on stdin (file contents inside it, never on argv), the answer as JSON on stdout.
 */
import type { FileStat, RestartedProcess, RootHelper, RootOperations } from './privileged.js';
import { type RootRequest, parseAnswer } from './root-protocol.js';
import type { ExecResult, System } from './types.js';

/** A file operation that takes longer than this is stuck (a hung sudo, a dead NFS mount). */
const FILE_TIMEOUT_MS = 60_000;
/** What the helper itself (sudo, node start, answer) may take on top of an operation's own bound. */
const HELPER_MARGIN_MS = 30_000;
const KILL_AND_SETTLE_MARGIN_MS = 10_000;

export function sudoArgv(helper: RootHelper): string[] {
  return ['-n', helper.node, helper.script];
}

function fail(request: RootRequest, helper: RootHelper, out: ExecResult): never {
  const said = out.stderr.trim() || out.stdout.trim().slice(0, 500) || 'no output';
  const hint = /password is required|terminal is required|not allowed to execute|not in the sudoers/i.test(
    said,
  )
    ? ' The action needs passwordless sudo (as on GitHub-hosted runners) or to run as root for this.'
    : '';
  throw new Error(
    `${request.op} as root failed: \`sudo ${sudoArgv(helper).join(' ')}\` exited with code ${out.code}: ${said}.${hint}`,
  );
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const malformed = (op: string): Error => new Error(`${op} as root: the root helper gave a malformed answer`);

function asFileStat(value: unknown): FileStat | undefined {
  if (value === null) return undefined;
  if (!isRecord(value)) throw malformed('statFile');
  const { mode, uid, gid, symlinkTarget } = value;
  if (typeof mode !== 'number' || typeof uid !== 'number' || typeof gid !== 'number')
    throw malformed('statFile');
  return { mode, uid, gid, ...(typeof symlinkTarget === 'string' ? { symlinkTarget } : {}) };
}

function asExecResult(value: unknown): ExecResult {
  if (!isRecord(value)) throw malformed('run');
  const { code, stdout, stderr } = value;
  if (typeof code !== 'number' || typeof stdout !== 'string' || typeof stderr !== 'string')
    throw malformed('run');
  return { code, stdout, stderr };
}

function asRestarted(value: unknown): RestartedProcess {
  if (!isRecord(value)) throw malformed('restartProcess');
  const { pid, argv } = value;
  if (typeof pid !== 'number' || !Array.isArray(argv) || !argv.every((a) => typeof a === 'string')) {
    throw malformed('restartProcess');
  }
  return { pid, argv };
}

export function sudoOperations(sys: System, helper: RootHelper): RootOperations {
  const call = async (request: RootRequest, timeoutMs: number | undefined): Promise<unknown> => {
    const out = await sys.exec.run('sudo', sudoArgv(helper), {
      input: JSON.stringify(request),
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    });
    const answer = parseAnswer(out.stdout);
    if (answer === undefined) fail(request, helper, out);
    if (!answer.ok) throw new Error(answer.error);
    return answer.value;
  };
  return {
    async readFile(path) {
      const value = await call({ op: 'readFile', path }, FILE_TIMEOUT_MS);
      if (value !== null && typeof value !== 'string') throw malformed('readFile');
      return value ?? undefined;
    },
    async statFile(path) {
      return asFileStat(await call({ op: 'statFile', path }, FILE_TIMEOUT_MS));
    },
    async writeFile(path, content, mode) {
      const base64 = Buffer.from(content).toString('base64');
      await call({ op: 'writeFile', path, base64, mode }, FILE_TIMEOUT_MS);
    },
    async removeFile(path) {
      await call({ op: 'removeFile', path }, FILE_TIMEOUT_MS);
    },
    async run(command, args, options = {}) {
      const request: RootRequest = {
        op: 'run',
        command,
        args: [...args],
        ...(options.input === undefined ? {} : { input: options.input }),
        ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      };
      const bound = options.timeoutMs === undefined ? undefined : options.timeoutMs + HELPER_MARGIN_MS;
      return asExecResult(await call(request, bound));
    },
    async restartProcess(pid, options) {
      const request: RootRequest = {
        op: 'restartProcess',
        pid,
        stopTimeoutMs: options.stopTimeoutMs,
        ...(options.settleMs === undefined ? {} : { settleMs: options.settleMs }),
      };
      const bound =
        options.stopTimeoutMs + (options.settleMs ?? 0) + KILL_AND_SETTLE_MARGIN_MS + HELPER_MARGIN_MS;
      return asRestarted(await call(request, bound));
    },
  };
}
