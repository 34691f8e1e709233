/** The real machine behind the `System` seam: @actions/exec for commands, node:fs for files. */
import { getExecOutput } from '@actions/exec';
import { readdir, readFile, stat } from 'node:fs/promises';
import { userInfo } from 'node:os';
import type { ExecOptions, ExecResult, Files, Host, System } from './types.js';
import { errorMessage } from '../util/errors.js';

/** Exit code of a command that was killed because it ran longer than its timeout (as coreutils' `timeout`). */
export const TIMEOUT_EXIT_CODE = 124;
/** Exit code of a command that could not be found or started (as a shell reports it). */
export const NOT_FOUND_EXIT_CODE = 127;

/*
 * @actions/exec gives no handle on the child process, so a command with a timeout runs under a small
 * node supervisor (this node binary, `-e`): it starts the command in its own process group with the
 * supervisor's stdio (input and output flow straight through), kills the whole group when the time is
 * up and exits 124, exits 127 when the command cannot be started, and otherwise passes the exit code on.
 */
const SUPERVISOR = `
const { spawn } = require('node:child_process');
const [ms, command, ...args] = process.argv.slice(1);
let timedOut = false;
const child = spawn(command, args, { stdio: 'inherit', detached: true });
const kill = (signal) => { try { process.kill(-child.pid, signal); } catch {} };
const timer = setTimeout(() => { timedOut = true; kill('SIGTERM'); setTimeout(() => kill('SIGKILL'), 2000).unref(); }, Number(ms));
child.on('error', (e) => { clearTimeout(timer); process.stderr.write(String(e.message) + '\\n'); process.exit(${NOT_FOUND_EXIT_CODE}); });
child.on('exit', (code, signal) => {
  clearTimeout(timer);
  if (timedOut) { kill('SIGKILL'); process.exit(${TIMEOUT_EXIT_CODE}); }
  process.exit(code ?? 128 + (require('node:os').constants.signals[signal] ?? 0));
});
`;

async function run(command: string, args: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
  const supervised = options.timeoutMs !== undefined;
  const file = supervised ? process.execPath : command;
  const argv = supervised ? ['-e', SUPERVISOR, String(options.timeoutMs), command, ...args] : [...args];
  try {
    const out = await getExecOutput(file, argv, {
      silent: true,
      ignoreReturnCode: true,
      ...(options.input === undefined ? {} : { input: Buffer.from(options.input) }),
      ...(options.env === undefined ? {} : { env: { ...options.env } }),
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    });
    const timedOut = supervised && out.exitCode === TIMEOUT_EXIT_CODE;
    return {
      // A signal leaves no exit code (getExecOutput then reports null): count it as a failure.
      code: typeof out.exitCode === 'number' ? out.exitCode : 1,
      stdout: out.stdout,
      stderr: timedOut ? `${out.stderr}${command}: timed out after ${options.timeoutMs} ms\n` : out.stderr,
    };
  } catch (error: unknown) {
    // getExecOutput throws when the executable is not on PATH or the working directory is missing.
    return { code: NOT_FOUND_EXIT_CODE, stdout: '', stderr: `${command}: ${errorMessage(error)}\n` };
  }
}

const files: Files = {
  async read(path) {
    try {
      return await readFile(path, 'utf8');
    } catch {
      return undefined;
    }
  },
  async exists(path) {
    return (await files.kind(path)) !== undefined;
  },
  async list(dir) {
    try {
      return await readdir(dir);
    } catch {
      return [];
    }
  },
  async kind(path) {
    try {
      const s = await stat(path);
      if (s.isFile()) return 'file';
      if (s.isDirectory()) return 'directory';
      if (s.isSocket()) return 'socket';
      return 'other';
    } catch {
      return undefined;
    }
  },
};

function host(): Host {
  const uid = process.getuid?.() ?? -1;
  let user = process.env['USER'] ?? process.env['USERNAME'] ?? String(uid);
  let home = process.env['HOME'] ?? '';
  try {
    // The account database, not $USER/$HOME: those can be inherited from another user (sudo -E).
    const info = userInfo();
    user = info.username;
    home = info.homedir;
  } catch {
    // No passwd entry for this uid (some containers): keep the environment's answer.
  }
  return { platform: process.platform, arch: process.arch, uid, user, home };
}

export function realSystem(): System {
  return { exec: { run }, files, env: process.env, host: host() };
}
