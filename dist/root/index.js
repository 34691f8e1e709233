import { createRequire as __WEBPACK_EXTERNAL_createRequire } from "module";
/******/ var __webpack_modules__ = ({

/***/ 271:
/***/ ((module, __unused_webpack___webpack_exports__, __nccwpck_require__) => {

__nccwpck_require__.a(module, async (__webpack_handle_async_dependencies__, __webpack_async_result__) => { try {
/* harmony import */ var _steps_root_helper_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(817);

await (0,_steps_root_helper_js__WEBPACK_IMPORTED_MODULE_0__/* .run */ .e)();

__webpack_async_result__();
} catch(e) { __webpack_async_result__(e); } }, 1);

/***/ }),

/***/ 817:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {


// EXPORTS
__nccwpck_require__.d(__webpack_exports__, {
  e: () => (/* binding */ run)
});

;// CONCATENATED MODULE: external "node:child_process"
const external_node_child_process_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:child_process");
;// CONCATENATED MODULE: external "node:os"
const external_node_os_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:os");
;// CONCATENATED MODULE: ./src/system/exec.ts
/**
 * Running a command for the `Exec` seam: output captured (never echoed to the log, so nothing can leak
 * a secret it prints), input on stdin (the way secrets reach a command: never on argv), and a timeout
 * that kills the command's whole process group.
 */


/** Exit code of a command killed because it ran longer than its timeout (as coreutils' `timeout`). */
const TIMEOUT_EXIT_CODE = 124;
/** Exit code of a command that could not be found or started (as a shell reports it). */
const NOT_FOUND_EXIT_CODE = 127;
/** After SIGTERM, how long a timed-out command gets before SIGKILL. */
const KILL_GRACE_MS = 2000;
function runCommand(command, args, options = {}) {
    return new Promise((resolve) => {
        const child = (0,external_node_child_process_namespaceObject.spawn)(command, args, {
            env: options.env ?? process.env,
            ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
            stdio: ['pipe', 'pipe', 'pipe'],
            // Its own process group, so a timeout stops what it started too.
            detached: options.timeoutMs !== undefined,
        });
        const out = [];
        const err = [];
        child.stdout.on('data', (b) => out.push(b));
        child.stderr.on('data', (b) => err.push(b));
        child.stdin.on('error', () => undefined); // the command may exit without reading its input
        child.stdin.end(options.input ?? '');
        let timedOut = false;
        const killGroup = (signal) => {
            try {
                if (child.pid !== undefined)
                    process.kill(-child.pid, signal);
            }
            catch {
                // already gone
            }
        };
        const timer = options.timeoutMs === undefined
            ? undefined
            : setTimeout(() => {
                timedOut = true;
                killGroup('SIGTERM');
                setTimeout(() => {
                    killGroup('SIGKILL');
                }, KILL_GRACE_MS).unref();
            }, options.timeoutMs);
        let settled = false;
        const finish = (result) => {
            if (settled)
                return;
            settled = true;
            clearTimeout(timer);
            resolve(result);
        };
        child.on('error', (error) => {
            finish({ code: NOT_FOUND_EXIT_CODE, stdout: '', stderr: `${command}: ${error.message}\n` });
        });
        child.on('close', (code, signal) => {
            const stdout = Buffer.concat(out).toString('utf8');
            const stderr = Buffer.concat(err).toString('utf8');
            if (timedOut) {
                killGroup('SIGKILL');
                finish({
                    code: TIMEOUT_EXIT_CODE,
                    stdout,
                    stderr: `${stderr}${command}: timed out after ${options.timeoutMs ?? 0} ms\n`,
                });
                return;
            }
            finish({ code: code ?? 128 + (signal === null ? 0 : external_node_os_namespaceObject.constants.signals[signal]), stdout, stderr });
        });
    });
}

;// CONCATENATED MODULE: external "node:fs/promises"
const promises_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:fs/promises");
;// CONCATENATED MODULE: external "node:path"
const external_node_path_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:path");
;// CONCATENATED MODULE: external "node:timers/promises"
const external_node_timers_promises_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:timers/promises");
;// CONCATENATED MODULE: ./src/util/errors.ts
/** The one place that turns a thrown `unknown` into a message. */
function errorMessage(error) {
    if (error instanceof Error)
        return error.message;
    if (typeof error === 'string')
        return error;
    try {
        return JSON.stringify(error);
    }
    catch {
        return String(error);
    }
}
/** An error whose message is meant for the user as it stands: what went wrong and what to do next. */
class ActionError extends (/* unused pure expression or super */ null && (Error)) {
    name = 'ActionError';
}

;// CONCATENATED MODULE: external "node:fs"
const external_node_fs_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:fs");
;// CONCATENATED MODULE: ./src/nix/detect/processes.ts
const PS_ARGS = (/* unused pure expression or super */ null && (['-axo', 'pid=,ppid=,uid=,command=']));
/**
 * `/proc/PID/cmdline`: argv, NUL-separated and NUL-terminated. A process that rewrote its title leaves
 * NUL padding behind (Nix 2.8's per-connection worker shows as "nix-daemon\0<client pid>\0\0\0\0").
 */
function parseCmdline(raw) {
    const parts = raw.split('\0');
    while (parts.length > 0 && parts[parts.length - 1] === '')
        parts.pop();
    return parts;
}
/** `/proc/PID/stat`: "pid (comm) state ppid …"; comm may hold spaces and parentheses. */
function parseStatPpid(stat) {
    const fields = stat
        .slice(stat.lastIndexOf(')') + 1)
        .trim()
        .split(/\s+/);
    const ppid = Number(fields[1]);
    return Number.isInteger(ppid) && fields[1] !== undefined ? ppid : undefined;
}
/** `ps -axo pid=,ppid=,uid=,command=`: argv is the command split on spaces (ps joins it so). */
function parsePs(text) {
    const out = [];
    for (const line of text.split('\n')) {
        const m = /^\s*(\d+)\s+(\d+)\s+\d+\s+(.*)$/.exec(line);
        if (m?.[3] === undefined)
            continue;
        out.push({ pid: Number(m[1]), ppid: Number(m[2]), argv: m[3].trim().split(/\s+/) });
    }
    return out;
}
const basename = (path) => path.slice(path.lastIndexOf('/') + 1);
/**
 * A Nix daemon's command line: `nix-daemon …` or `nix daemon …` (argv[0] may be a full path), or
 * Determinate's `determinate-nixd … daemon`, which runs Nix's daemon as its child.
 */
function isDaemonArgv(argv) {
    const name = basename(argv[0] ?? '');
    if (name === 'nix-daemon')
        return true;
    if (name === 'nix')
        return argv[1] === 'daemon';
    return name === 'determinate-nixd' && argv.includes('daemon');
}
function isDeterminateArgv(argv) {
    return basename(argv[0] ?? '') === 'determinate-nixd';
}
/**
 * The daemon to manage: daemon processes whose parent is not one too. The daemon forks a child per
 * connection that keeps the parent's command line; Determinate's nixd runs Nix's daemon as a child.
 * Of several independent daemons the oldest (lowest pid) is taken.
 */
function pickDaemonProcess(processes) {
    const daemons = processes.filter((p) => isDaemonArgv(p.argv));
    const pids = new Set(daemons.map((p) => p.pid));
    const top = daemons.filter((p) => !pids.has(p.ppid)).sort((a, b) => a.pid - b.pid);
    return top[0];
}
function processDaemon(process) {
    if (!process)
        return { manager: 'none', determinate: false };
    return {
        manager: 'process',
        pid: process.pid,
        command: [...process.argv],
        determinate: isDeterminateArgv(process.argv),
    };
}

;// CONCATENATED MODULE: ./src/system/proc.ts
/** Reading a process from /proc (Linux): what it takes to start it again. Parsers pure; readers use node:fs. */




/** What `execvp` searches when PATH is unset. */
const DEFAULT_PATH = '/bin:/usr/bin';
/** `/proc/PID/stat`: "pid (comm) state ppid pgrp session … starttime(22) …"; comm may hold spaces and ")". */
function parseProcStat(text) {
    const fields = text
        .slice(text.lastIndexOf(')') + 1)
        .trim()
        .split(/\s+/);
    const [state, ppid, , sid] = fields;
    const starttime = fields[19];
    if (state === undefined || starttime === undefined || !/^\d+$/.test(starttime))
        return undefined;
    return { state, ppid: Number(ppid), sid: Number(sid), starttime };
}
/** `/proc/PID/environ`: NUL-separated NAME=value; the first of a repeated name wins, as getenv does. */
function parseEnviron(text) {
    const env = {};
    for (const entry of text.split('\0')) {
        const eq = entry.indexOf('=');
        if (eq <= 0)
            continue;
        const name = entry.slice(0, eq);
        if (!Object.hasOwn(env, name))
            env[name] = entry.slice(eq + 1);
    }
    return env;
}
/**
 * The file argv[0] names, as the shell would find it for that process: absolute as is, relative to
 * the process's cwd when it has a slash, else the first executable file on the process's PATH.
 */
async function resolveExecutable(argv0, path, cwd, isExecutable) {
    if (argv0 === '')
        return undefined;
    if (argv0.includes('/')) {
        if (!(0,external_node_path_namespaceObject.isAbsolute)(argv0) && cwd === undefined)
            return undefined;
        const file = (0,external_node_path_namespaceObject.isAbsolute)(argv0) ? argv0 : (0,external_node_path_namespaceObject.resolve)(cwd ?? '/', argv0);
        return (await isExecutable(file)) ? file : undefined;
    }
    for (const dir of (path ?? DEFAULT_PATH).split(':')) {
        const file = (0,external_node_path_namespaceObject.resolve)(cwd ?? '/', dir || '.', argv0);
        if (await isExecutable(file))
            return file;
    }
    return undefined;
}
async function isExecutableFile(file) {
    try {
        await (0,promises_namespaceObject.access)(file, external_node_fs_namespaceObject.constants.X_OK);
        return (await (0,promises_namespaceObject.stat)(file)).isFile();
    }
    catch {
        return false;
    }
}
const readText = (path) => (0,promises_namespaceObject.readFile)(path, 'utf8').catch(() => undefined);
const proc_link = (path) => (0,promises_namespaceObject.readlink)(path).catch(() => undefined);
async function readProcStat(pid) {
    const text = await readText(`/proc/${pid}/stat`);
    return text === undefined ? undefined : parseProcStat(text);
}
/** Gone: no such pid, a zombie (this process may never be reaped), or a later process with the pid. */
async function isGone(pid, starttime) {
    const now = await readProcStat(pid);
    return now === undefined || now.state === 'Z' || now.state === 'X' || now.starttime !== starttime;
}
async function logFile(pid, fd) {
    const target = await proc_link(`/proc/${pid}/fd/${fd}`);
    if (target === undefined || !target.startsWith('/') || target.endsWith(' (deleted)'))
        return undefined;
    const s = await (0,promises_namespaceObject.stat)(target).catch(() => undefined);
    return s?.isFile() ? target : undefined;
}
/** A running process and how to start it again; undefined when it is gone (or a zombie). Throws when it cannot be read. */
async function inspectProcess(pid) {
    const procStat = await readProcStat(pid);
    if (!procStat || procStat.state === 'Z' || procStat.state === 'X')
        return undefined;
    const cmdline = await readText(`/proc/${pid}/cmdline`);
    const argv = cmdline === undefined ? [] : parseCmdline(cmdline);
    const argv0 = argv[0];
    if (argv0 === undefined)
        throw new Error(`process ${pid} has no command line (a kernel thread?)`);
    const environ = await readText(`/proc/${pid}/environ`);
    if (environ === undefined) {
        throw new Error(`cannot read the environment of process ${pid} (/proc/${pid}/environ): not root?`);
    }
    const env = parseEnviron(environ);
    const cwd = await proc_link(`/proc/${pid}/cwd`);
    let executable = await resolveExecutable(argv0, env['PATH'], cwd, isExecutableFile);
    if (executable === undefined) {
        const exe = await proc_link(`/proc/${pid}/exe`);
        if (exe !== undefined && (await isExecutableFile(exe)))
            executable = exe;
    }
    if (executable === undefined) {
        throw new Error(`cannot find the executable of process ${pid} (argv[0] ${argv0}, PATH ${env['PATH'] ?? 'unset'}); not stopping it`);
    }
    const [stdout, stderr] = await Promise.all([logFile(pid, 1), logFile(pid, 2)]);
    return {
        starttime: procStat.starttime,
        launch: {
            executable,
            argv,
            env,
            ...(stdout === undefined ? {} : { stdout }),
            ...(stderr === undefined ? {} : { stderr }),
        },
    };
}

;// CONCATENATED MODULE: external "node:crypto"
const external_node_crypto_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:crypto");
;// CONCATENATED MODULE: ./src/system/root-files.ts
/** Files as root sees them, with node:fs: read, stat, atomic write, remove. Used in-process and by the root helper. */



const errorCode = (error) => typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined;
const missing = (error) => {
    const code = errorCode(error);
    return code === 'ENOENT' || code === 'ENOTDIR';
};
async function readRootFile(path) {
    try {
        return await (0,promises_namespaceObject.readFile)(path, 'utf8');
    }
    catch (error) {
        if (missing(error))
            return undefined;
        throw error;
    }
}
async function statRootFile(path) {
    let link;
    try {
        link = await (0,promises_namespaceObject.lstat)(path);
    }
    catch (error) {
        if (missing(error))
            return undefined;
        throw error;
    }
    if (!link.isSymbolicLink())
        return { mode: link.mode & 0o7777, uid: link.uid, gid: link.gid };
    const symlinkTarget = await (0,promises_namespaceObject.readlink)(path);
    // A dangling link: the link's own owner, mode 0.
    const target = await (0,promises_namespaceObject.stat)(path).catch(() => undefined);
    return {
        mode: target ? target.mode & 0o7777 : 0,
        uid: target?.uid ?? link.uid,
        gid: target?.gid ?? link.gid,
        symlinkTarget,
    };
}
/**
 * Temporary file beside the target (created 0600, so a secret is never readable by others on the
 * way), write, fsync, chmod, chown, rename over the target, fsync the directory.
 */
async function writeFileAtomic(path, content, mode, options) {
    if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777)
        throw new Error(`invalid file mode ${mode}`);
    const dir = (0,external_node_path_namespaceObject.dirname)(path);
    await (0,promises_namespaceObject.mkdir)(dir, { recursive: true, mode: options.dirMode ?? 0o755 });
    const tmp = (0,external_node_path_namespaceObject.join)(dir, `.${(0,external_node_path_namespaceObject.basename)(path)}.nca-${(0,external_node_crypto_namespaceObject.randomBytes)(6).toString('hex')}.tmp`);
    const handle = await (0,promises_namespaceObject.open)(tmp, 'wx', 0o600);
    try {
        try {
            await handle.writeFile(content);
            await handle.sync();
            await handle.chmod(mode);
            if (options.owner)
                await handle.chown(options.owner.uid, options.owner.gid);
        }
        finally {
            await handle.close();
        }
        await (0,promises_namespaceObject.rename)(tmp, path);
    }
    catch (error) {
        await (0,promises_namespaceObject.unlink)(tmp).catch(() => undefined);
        throw error;
    }
    const dirHandle = await (0,promises_namespaceObject.open)(dir, 'r').catch(() => undefined);
    if (dirHandle) {
        // Durability of the rename; not every file system supports fsync on a directory.
        await dirHandle.sync().catch(() => undefined);
        await dirHandle.close();
    }
}
function writeRootFile(path, content, mode) {
    return writeFileAtomic(path, content, mode, { owner: { uid: 0, gid: 0 } });
}
async function removeRootFile(path) {
    try {
        await (0,promises_namespaceObject.unlink)(path);
    }
    catch (error) {
        if (!missing(error))
            throw error;
    }
}

;// CONCATENATED MODULE: ./src/system/restart-process.ts
/**
 * Restarting a bare root process (a nix-daemon nothing manages): stop it, start its command line again
 * in a new session that outlives the action. Linux only (/proc). Used in-process and by the root helper.
 */







/** Where the launch of a process stopped here waits until its successor is up (root-only: it holds the environment). */
const STOPPED_RECORD_DIR = '/run/nix-cache-action/stopped';
/**
 * The output of a restarted process whose output went nowhere readable before (/dev/null, a pipe, a
 * terminal): kept, so that a start that fails can say why (Nix prints "error: …" and exits).
 */
const RESTARTED_LOG = '/run/nix-cache-action/restarted.log';
/** A daemon that rejects its configuration exits within tens of ms (Nix 2.8: ~30 ms). */
const DEFAULT_SETTLE_MS = 250;
const POLL_MS = 50;
/** After SIGKILL: only a process stuck in the kernel (D state) takes longer. */
const KILL_WAIT_MS = 5000;
const LOG_TAIL_CHARS = 2000;
async function readRecord(path) {
    const text = await readRootFile(path);
    if (text === undefined)
        return undefined;
    const data = JSON.parse(text);
    if (typeof data.starttime !== 'string' || !Array.isArray(data.launch.argv)) {
        throw new Error(`unreadable record ${path}`);
    }
    return data;
}
function signal(pid, sig) {
    try {
        process.kill(pid, sig);
    }
    catch (error) {
        const code = error.code;
        if (code === 'ESRCH')
            return;
        throw new Error(`cannot send ${sig} to process ${pid}: ${errorMessage(error)}`, { cause: error });
    }
}
async function waitGone(pid, starttime, ms) {
    const deadline = Date.now() + ms;
    for (;;) {
        if (await isGone(pid, starttime))
            return true;
        if (Date.now() >= deadline)
            return false;
        await (0,external_node_timers_promises_namespaceObject.setTimeout)(POLL_MS);
    }
}
/** SIGTERM, up to `stopTimeoutMs`, then SIGKILL. */
async function stop(pid, starttime, stopTimeoutMs) {
    signal(pid, 'SIGTERM');
    if (await waitGone(pid, starttime, stopTimeoutMs))
        return;
    signal(pid, 'SIGKILL');
    if (await waitGone(pid, starttime, KILL_WAIT_MS))
        return;
    throw new Error(`process ${pid} did not exit after SIGTERM, ${stopTimeoutMs} ms, and SIGKILL`);
}
async function openLog(path) {
    if (path === undefined)
        return undefined;
    await (0,promises_namespaceObject.mkdir)((0,external_node_path_namespaceObject.dirname)(path), { recursive: true, mode: 0o700 }).catch(() => undefined);
    const handle = await (0,promises_namespaceObject.open)(path, 'a', 0o600).catch(() => undefined);
    return handle ? { fd: handle.fd, close: () => handle.close() } : undefined;
}
async function logSince(path, offset) {
    if (path === undefined)
        return '';
    const handle = await (0,promises_namespaceObject.open)(path, 'r').catch(() => undefined);
    if (!handle)
        return '';
    try {
        const size = (await handle.stat()).size;
        const start = Math.max(offset, size - LOG_TAIL_CHARS);
        const buffer = Buffer.alloc(Math.max(0, size - start));
        await handle.read(buffer, 0, buffer.length, start);
        const text = buffer.toString('utf8').trim();
        return text === '' ? '' : ` Its output (${path}):\n${text}`;
    }
    finally {
        await handle.close();
    }
}
/**
 * Starts `launch` in a new session (setsid), cwd /, stdin /dev/null, never holding the caller's
 * stdout/stderr (the runner waits for a step's output to close). Resolves with the pid once the
 * process has stayed up for `settleMs`; rejects when it could not start or exited before.
 */
async function startProcess(launch, settleMs, replacing) {
    const command = launch.argv.join(' ');
    const [out, err] = await Promise.all([openLog(launch.stdout), openLog(launch.stderr)]);
    const offset = launch.stderr === undefined ? 0 : ((await (0,promises_namespaceObject.stat)(launch.stderr).catch(() => undefined))?.size ?? 0);
    const started = Date.now();
    const seen = {};
    try {
        const child = (0,external_node_child_process_namespaceObject.spawn)(launch.executable, launch.argv.slice(1), {
            argv0: launch.argv[0] ?? launch.executable,
            env: { ...launch.env },
            cwd: '/',
            detached: true,
            stdio: ['ignore', out?.fd ?? 'ignore', err?.fd ?? 'ignore'],
        });
        child.on('exit', (code, sig) => (seen.exit = { code, signal: sig }));
        await new Promise((resolve, reject) => {
            child.once('spawn', resolve);
            child.once('error', reject);
        });
        child.unref();
        if (child.pid !== undefined)
            seen.pid = child.pid;
        const deadline = started + settleMs;
        while (seen.exit === undefined && Date.now() < deadline)
            await (0,external_node_timers_promises_namespaceObject.setTimeout)(Math.min(POLL_MS, settleMs));
    }
    catch (error) {
        throw new Error(`could not start \`${command}\` (${launch.executable}) again in place of pid ${replacing}: ${errorMessage(error)}`, { cause: error });
    }
    finally {
        await Promise.all([out?.close(), err?.close()]);
    }
    const { exit, pid } = seen;
    if (exit !== undefined || pid === undefined) {
        const how = exit?.signal ? `was killed by ${exit.signal}` : `exited with code ${exit?.code ?? '?'}`;
        throw new Error(`\`${command}\`, started again in place of pid ${replacing}, ${how} within ${Date.now() - started} ms; ` +
            `pid ${replacing} is stopped and nothing runs in its place.${await logSince(launch.stderr, offset)}`);
    }
    return pid;
}
async function restartProcess(pid, options, places = { recordDir: STOPPED_RECORD_DIR, logFile: RESTARTED_LOG }) {
    if (process.platform !== 'linux') {
        throw new Error(`restarting a bare process reads /proc, which ${process.platform} does not have`);
    }
    if (!Number.isInteger(pid) || pid <= 1)
        throw new Error(`not a process to restart: pid ${pid}`);
    const recordPath = (0,external_node_path_namespaceObject.join)(places.recordDir, `${pid}.json`);
    const saved = await readRecord(recordPath);
    const live = await inspectProcess(pid);
    let launch;
    if (live && (saved === undefined || saved.starttime === live.starttime)) {
        launch = live.launch;
        const record = { starttime: live.starttime, launch };
        await writeFileAtomic(recordPath, JSON.stringify(record), 0o600, { owner: undefined, dirMode: 0o700 });
        await stop(pid, live.starttime, options.stopTimeoutMs);
    }
    else if (saved) {
        launch = saved.launch; // stopped here before, its start failed: start it again
    }
    else {
        throw new Error(`process ${pid} is not running (and was not stopped by this action): nothing to restart`);
    }
    const output = {
        ...launch,
        stdout: launch.stdout ?? places.logFile,
        stderr: launch.stderr ?? places.logFile,
    };
    const newPid = await startProcess(output, options.settleMs ?? DEFAULT_SETTLE_MS, pid);
    await removeRootFile(recordPath);
    return { pid: newPid, argv: launch.argv };
}

;// CONCATENATED MODULE: ./src/system/root-operations.ts
/** The one implementation of each root operation: run in-process as root, or by the root helper under sudo. */



const rootOperations = {
    readFile: readRootFile,
    statFile: statRootFile,
    writeFile: writeRootFile,
    removeFile: removeRootFile,
    run: (command, args, options = {}) => runCommand(command, args, {
        ...(options.input === undefined ? {} : { input: options.input }),
        ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    }),
    restartProcess: (pid, options) => restartProcess(pid, options),
};

;// CONCATENATED MODULE: ./src/system/root-protocol.ts
/**
 * The root helper's protocol: one JSON request on stdin, one JSON answer on stdout. File contents
 * travel as base64 inside the request, never on argv. `serve` is the helper's whole logic.
 */

function field(data, name, check, optional = false) {
    const value = data[name];
    if (value === undefined && optional)
        return undefined;
    if (!check(value))
        throw new Error(`malformed root helper request: bad "${name}"`);
    return value;
}
const isString = (v) => typeof v === 'string';
const isPath = (v) => typeof v === 'string' && v.startsWith('/');
const isCount = (v) => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const isStrings = (v) => Array.isArray(v) && v.every(isString);
/** Validates a request; throws on anything malformed (a wrong op, a relative path, a missing field). */
function parseRequest(text) {
    const data = JSON.parse(text);
    if (typeof data !== 'object' || data === null || Array.isArray(data)) {
        throw new Error('malformed root helper request: not an object');
    }
    const d = data;
    const path = () => field(d, 'path', isPath) ?? '';
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
async function perform(ops, request) {
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
async function serve(ops, text) {
    try {
        const value = await perform(ops, parseRequest(text));
        return { ok: true, value: value ?? null };
    }
    catch (error) {
        return { ok: false, error: errorMessage(error) };
    }
}
/** The helper's answer from its stdout; undefined when it printed something else (it crashed, sudo failed). */
function parseAnswer(text) {
    let data;
    try {
        data = JSON.parse(text);
    }
    catch {
        return undefined;
    }
    if (typeof data !== 'object' || data === null)
        return undefined;
    const d = data;
    if (d['ok'] === true && 'value' in d)
        return { ok: true, value: d['value'] };
    if (d['ok'] === false && typeof d['error'] === 'string')
        return { ok: false, error: d['error'] };
    return undefined;
}

;// CONCATENATED MODULE: ./src/steps/root-helper.ts
/**
 * The root helper (dist/root/index.js), run as `sudo -n <node> <helper>`: one JSON request on stdin,
 * one JSON answer on stdout. It prints nothing else and never echoes the request (it can hold secrets).
 */


async function readStdin() {
    const chunks = [];
    for await (const chunk of process.stdin)
        chunks.push(chunk);
    return Buffer.concat(chunks).toString('utf8');
}
async function run() {
    const answer = process.getuid?.() === 0
        ? await serve(rootOperations, await readStdin())
        : { ok: false, error: `the root helper runs as uid ${process.getuid?.() ?? '?'}, not root` };
    process.stdout.write(`${JSON.stringify(answer)}\n`);
}


/***/ })

/******/ });
/************************************************************************/
/******/ // The module cache
/******/ var __webpack_module_cache__ = {};
/******/ 
/******/ // The require function
/******/ function __nccwpck_require__(moduleId) {
/******/ 	// Check if module is in cache
/******/ 	var cachedModule = __webpack_module_cache__[moduleId];
/******/ 	if (cachedModule !== undefined) {
/******/ 		return cachedModule.exports;
/******/ 	}
/******/ 	// Create a new module (and put it into the cache)
/******/ 	var module = __webpack_module_cache__[moduleId] = {
/******/ 		// no module.id needed
/******/ 		// no module.loaded needed
/******/ 		exports: {}
/******/ 	};
/******/ 
/******/ 	// Execute the module function
/******/ 	var threw = true;
/******/ 	try {
/******/ 		__webpack_modules__[moduleId](module, module.exports, __nccwpck_require__);
/******/ 		threw = false;
/******/ 	} finally {
/******/ 		if(threw) delete __webpack_module_cache__[moduleId];
/******/ 	}
/******/ 
/******/ 	// Return the exports of the module
/******/ 	return module.exports;
/******/ }
/******/ 
/************************************************************************/
/******/ /* webpack/runtime/asset-relocator-loader */
/******/ if (typeof __nccwpck_require__ !== 'undefined') __nccwpck_require__.ab = decodeURIComponent(new URL('.', import.meta.url).pathname).slice(import.meta.url.match(/^file:\/\/\/\w:/) ? 1 : 0, -1) + "/";
/******/ 
/******/ /* webpack/runtime/async module */
/******/ (() => {
/******/ 	var webpackQueues = typeof Symbol === "function" ? Symbol("webpack queues") : "__webpack_queues__";
/******/ 	var webpackExports = typeof Symbol === "function" ? Symbol("webpack exports") : "__webpack_exports__";
/******/ 	var webpackError = typeof Symbol === "function" ? Symbol("webpack error") : "__webpack_error__";
/******/ 	var resolveQueue = (queue) => {
/******/ 		if(queue && queue.d < 1) {
/******/ 			queue.d = 1;
/******/ 			queue.forEach((fn) => (fn.r--));
/******/ 			queue.forEach((fn) => (fn.r-- ? fn.r++ : fn()));
/******/ 		}
/******/ 	}
/******/ 	var wrapDeps = (deps) => (deps.map((dep) => {
/******/ 		if(dep !== null && typeof dep === "object") {
/******/ 			if(dep[webpackQueues]) return dep;
/******/ 			if(dep.then) {
/******/ 				var queue = [];
/******/ 				queue.d = 0;
/******/ 				dep.then((r) => {
/******/ 					obj[webpackExports] = r;
/******/ 					resolveQueue(queue);
/******/ 				}, (e) => {
/******/ 					obj[webpackError] = e;
/******/ 					resolveQueue(queue);
/******/ 				});
/******/ 				var obj = {};
/******/ 				obj[webpackQueues] = (fn) => (fn(queue));
/******/ 				return obj;
/******/ 			}
/******/ 		}
/******/ 		var ret = {};
/******/ 		ret[webpackQueues] = x => {};
/******/ 		ret[webpackExports] = dep;
/******/ 		return ret;
/******/ 	}));
/******/ 	__nccwpck_require__.a = (module, body, hasAwait) => {
/******/ 		var queue;
/******/ 		hasAwait && ((queue = []).d = -1);
/******/ 		var depQueues = new Set();
/******/ 		var exports = module.exports;
/******/ 		var currentDeps;
/******/ 		var outerResolve;
/******/ 		var reject;
/******/ 		var promise = new Promise((resolve, rej) => {
/******/ 			reject = rej;
/******/ 			outerResolve = resolve;
/******/ 		});
/******/ 		promise[webpackExports] = exports;
/******/ 		promise[webpackQueues] = (fn) => (queue && fn(queue), depQueues.forEach(fn), promise["catch"](x => {}));
/******/ 		module.exports = promise;
/******/ 		body((deps) => {
/******/ 			currentDeps = wrapDeps(deps);
/******/ 			var fn;
/******/ 			var getResult = () => (currentDeps.map((d) => {
/******/ 				if(d[webpackError]) throw d[webpackError];
/******/ 				return d[webpackExports];
/******/ 			}))
/******/ 			var promise = new Promise((resolve) => {
/******/ 				fn = () => (resolve(getResult));
/******/ 				fn.r = 0;
/******/ 				var fnQueue = (q) => (q !== queue && !depQueues.has(q) && (depQueues.add(q), q && !q.d && (fn.r++, q.push(fn))));
/******/ 				currentDeps.map((dep) => (dep[webpackQueues](fnQueue)));
/******/ 			});
/******/ 			return fn.r ? promise : getResult();
/******/ 		}, (err) => ((err ? reject(promise[webpackError] = err) : outerResolve(exports)), resolveQueue(queue)));
/******/ 		queue && queue.d < 0 && (queue.d = 0);
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/define property getters */
/******/ (() => {
/******/ 	// define getter functions for harmony exports
/******/ 	__nccwpck_require__.d = (exports, definition) => {
/******/ 		for(var key in definition) {
/******/ 			if(__nccwpck_require__.o(definition, key) && !__nccwpck_require__.o(exports, key)) {
/******/ 				Object.defineProperty(exports, key, { enumerable: true, get: definition[key] });
/******/ 			}
/******/ 		}
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/hasOwnProperty shorthand */
/******/ (() => {
/******/ 	__nccwpck_require__.o = (obj, prop) => (Object.prototype.hasOwnProperty.call(obj, prop))
/******/ })();
/******/ 
/************************************************************************/
/******/ 
/******/ // startup
/******/ // Load entry module and return exports
/******/ // This entry module used 'module' so it can't be inlined
/******/ var __webpack_exports__ = __nccwpck_require__(271);
/******/ __webpack_exports__ = await __webpack_exports__;
/******/ 
