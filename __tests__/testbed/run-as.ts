// Helpers for the e2e tests: run commands as a real user (root or the untrusted `runner` of the test
// bed), drive testbed.sh, and make private copies of the offline sample flake.
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmod, chown, cp, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { constants, tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

export const TESTBED_SCRIPT = path.join(here, 'testbed.sh');
export const SAMPLE_FLAKE_DIR = path.resolve(here, '../fixtures/sample-flake');
export const SOCKET_PATH = '/nix/var/nix/daemon-socket/socket';
export const STATE_DIR = '/run/nix-testbed';
export const DAEMON_PID_FILE = `${STATE_DIR}/daemon.pid`;
export const DAEMON_LOG = `${STATE_DIR}/daemon.log`;
/** The daemon's argv[0]: a wrapper that runs nix-daemon, or fails while failing starts are asked for. */
export const DAEMON_WRAPPER = `${STATE_DIR}/bin/nix-daemon`;
/** How many of the next daemon starts through the wrapper fail (absent: none). */
export const FAIL_STARTS_FILE = `${STATE_DIR}/fail-starts`;
export const NIX_CONF = '/etc/nix/nix.conf';
export const RUNNER = 'runner';
export const LOGIN_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** The line of the sample flake's flake.nix that tests replace to get never-built store paths. */
export const SALT_LINE = /^(\s*salt = )"[^"\n]*";$/m;

export interface UserInfo {
  uid: number;
  gid: number;
  home: string;
  shell: string;
}

export interface RunOptions {
  env?: Record<string, string>;
  input?: string;
  cwd?: string;
  timeoutMs?: number;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The passwd entry of `name` (through NSS, like a login would see it). */
export function userInfo(name: string): UserInfo {
  let line: string;
  try {
    line = execFileSync('getent', ['passwd', name], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error(`no user named ${name} (getent passwd ${name} failed)`);
  }
  const [, , uid, gid, , home, shell] = line.split(':');
  if (uid === undefined || gid === undefined || home === undefined || shell === undefined) {
    throw new Error(`unexpected passwd entry for ${name}: ${line}`);
  }
  return { uid: Number(uid), gid: Number(gid), home, shell };
}

/** Resolved once, so a step whose PATH hides system tools still starts. */
const SETPRIV = execFileSync('sh', ['-c', 'command -v setpriv'], { encoding: 'utf8' }).trim();

/**
 * argv that runs `argv` as `user`: unchanged when we already are that user, else through setpriv
 * (which needs root). The one place tests switch users.
 */
export function asUser(user: Pick<UserInfo, 'uid' | 'gid'>, argv: readonly string[]): string[] {
  const self = process.getuid?.() ?? -1;
  if (self === user.uid) return [...argv];
  if (self !== 0) throw new Error(`switching to uid ${user.uid} needs root (running as uid ${self})`);
  return [SETPRIV, `--reuid=${user.uid}`, `--regid=${user.gid}`, '--init-groups', '--', ...argv];
}

/** The environment a fresh login of `user` gets, plus NIX_REMOTE=daemon for users other than root. */
export function loginEnv(user: string, extra: Record<string, string> = {}): Record<string, string> {
  const info = userInfo(user);
  const env: Record<string, string> = {
    HOME: info.home,
    USER: user,
    LOGNAME: user,
    SHELL: info.shell,
    PATH: LOGIN_PATH,
    LANG: 'C.UTF-8',
  };
  if (info.uid !== 0) env.NIX_REMOTE = 'daemon';
  return { ...env, ...extra };
}

/**
 * Runs argv as `user` with a clean login-like environment. Never through sudo (nothing is logged).
 * As root, a different user is reached through util-linux's `setpriv --init-groups`: node's own
 * `uid`/`gid` spawn options drop every supplementary group (libuv calls setgroups(0)), so the user
 * would lose `nix-users` and with it the daemon socket.
 */
export async function runAs(
  user: string,
  argv: readonly string[],
  opts: RunOptions = {},
): Promise<RunResult> {
  const [command, ...args] = argv;
  if (command === undefined) throw new Error('runAs: empty argv');
  const info = userInfo(user);
  const [file = command, ...fileArgs] = asUser(info, [command, ...args]);
  const env = loginEnv(user, opts.env);
  return new Promise<RunResult>((resolve, reject) => {
    const child = spawn(file, fileArgs, {
      env,
      cwd: opts.cwd ?? info.home,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true, // own process group, so that a timeout can stop everything it started
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.stdin.on('error', () => undefined); // the command may exit without reading its input
    child.stdin.end(opts.input ?? '');
    let timedOut = false;
    const timer =
      opts.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            try {
              if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
            } catch {
              // already gone
            }
          }, opts.timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`runAs(${user}, ${argv.join(' ')}): ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const result: RunResult = {
        code: code ?? 128 + (signal === null ? 0 : constants.signals[signal]),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      };
      if (timedOut) {
        reject(
          new Error(
            `runAs(${user}, ${argv.join(' ')}) timed out after ${opts.timeoutMs ?? 0} ms\n` +
              `stdout: ${result.stdout}\nstderr: ${result.stderr}`,
          ),
        );
      } else {
        resolve(result);
      }
    });
  });
}

export type TestbedCommand = 'up' | 'down' | 'status' | 'restart-daemon';

/**
 * Runs testbed.sh (as the current user, which must be root). `status` reports with its exit code
 * (0 up, 1 not up); the other commands throw when they fail.
 */
export async function testbed(cmd: TestbedCommand): Promise<RunResult> {
  const user = execFileSync('id', ['-un'], { encoding: 'utf8' }).trim();
  const result = await runAs(user, ['bash', TESTBED_SCRIPT, cmd], {
    env: { ...pickDefined(process.env), PATH: `${LOGIN_PATH}:${process.env.PATH ?? ''}` },
    cwd: '/',
    timeoutMs: 600_000,
  });
  if (cmd !== 'status' && result.code !== 0) {
    throw new Error(`testbed.sh ${cmd} failed (exit ${result.code}):\n${result.stderr}${result.stdout}`);
  }
  return result;
}

/**
 * Makes the next `n` starts of the test bed's daemon through its wrapper fail (exit 1, a line in the
 * daemon log), one count per start; 0 cancels. Whatever restarts the daemon by its command line (the
 * action's restart of a bare daemon) goes through the wrapper. `testbed('up')` and `restart-daemon`
 * cancel what is left (also when the daemon is already up), so they always bring the daemon back.
 */
export async function failNextDaemonStarts(n: number): Promise<void> {
  if (!Number.isInteger(n) || n < 0) throw new Error(`failNextDaemonStarts: not a count: ${n}`);
  const user = execFileSync('id', ['-un'], { encoding: 'utf8' }).trim();
  const result = await runAs(user, ['bash', TESTBED_SCRIPT, 'fail-next-starts', String(n)], {
    env: { ...pickDefined(process.env), PATH: `${LOGIN_PATH}:${process.env.PATH ?? ''}` },
    cwd: '/',
    timeoutMs: 60_000,
  });
  if (result.code !== 0) {
    throw new Error(`testbed.sh fail-next-starts ${n} failed (exit ${result.code}):\n${result.stderr}`);
  }
}

function pickDefined(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}

/**
 * Copies the sample flake to a fresh temporary directory owned by `owner` (default: runner), with
 * its salt line set to `salt` (default: random), so that every store path it yields is new.
 * The copy is not a git repository, so Nix treats it as a `path:` flake. Returns the directory.
 */
export async function copySampleFlake(opts: { salt?: string; owner?: string } = {}): Promise<string> {
  const salt = opts.salt ?? randomUUID();
  if (!/^[\w.+-]+$/.test(salt)) throw new Error(`salt must match [\\w.+-]+: ${salt}`);
  const dir = await mkdtemp(path.join(tmpdir(), 'nca-flake-'));
  await cp(SAMPLE_FLAKE_DIR, dir, { recursive: true });
  const flakeNix = path.join(dir, 'flake.nix');
  const text = await readFile(flakeNix, 'utf8');
  if (!SALT_LINE.test(text)) throw new Error(`no salt line in ${flakeNix}`);
  await writeFile(flakeNix, text.replace(SALT_LINE, `$1"${salt}";`));
  await chmod(dir, 0o755);
  const owner = userInfo(opts.owner ?? RUNNER);
  if (process.getuid?.() === 0) {
    await chown(dir, owner.uid, owner.gid);
    for (const name of await readdir(dir, { recursive: true })) {
      await chown(path.join(dir, name), owner.uid, owner.gid);
    }
  }
  return dir;
}
