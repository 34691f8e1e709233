import { createRequire as __WEBPACK_EXTERNAL_createRequire } from "module";
/******/ var __webpack_modules__ = ({

/***/ 7:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {


// EXPORTS
__nccwpck_require__.d(__webpack_exports__, {
  e: () => (/* binding */ run)
});

;// CONCATENATED MODULE: external "node:fs"
const external_node_fs_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:fs");
;// CONCATENATED MODULE: external "node:fs/promises"
const promises_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:fs/promises");
;// CONCATENATED MODULE: ./src/push/hook.ts
/**
 * Pushing while the job still builds: the daemon runs a `post-build-hook` (as root, from the global
 * nix.conf) after each build. Ours appends one line to a queue and exits 0 — it never fails or slows a
 * build — and the job's uploader reads the queue. Nix 2.8 leaves `OUT_PATHS` empty (nix #6446), so the
 * line carries `DRV_PATH` too and the uploader asks the store for the outputs.
 */
/** The queue: root-owned directory (nothing the job user can plant a link in), world-readable lines. */
const HOOK_QUEUE = '/nix/var/nix-cache-action/push-queue';
/** Where the hook script goes: beside our other root files in the nix.conf directory. */
function hookScriptPath(confDir) {
    return `${confDir}/nix-cache-action/post-build-hook`;
}
/** The hook: one line `DRV_PATH<TAB>OUT_PATHS` appended when the queue exists; always exit 0. */
function hookScript(queue = HOOK_QUEUE) {
    return [
        '#!/bin/sh',
        '# nix-cache-action: queues what the daemon built, for upload while the job runs.',
        '# It must never fail or slow a build: one line appended, always exit 0.',
        `q='${queue}'`,
        `[ -f "$q" ] && printf '%s\\t%s\\n' "\${DRV_PATH:-}" "\${OUT_PATHS:-}" >> "$q" 2>/dev/null`,
        'exit 0',
        '',
    ].join('\n');
}
/** Parses queue lines (a partial last line is left for the next read). */
function parseQueue(text) {
    const end = text.lastIndexOf('\n');
    const complete = end === -1 ? '' : text.slice(0, end);
    const builds = [];
    for (const line of complete.split('\n')) {
        if (line.trim() === '')
            continue;
        const [drv = '', outs = ''] = line.split('\t');
        const outputs = outs.split(/\s+/u).filter((p) => p.startsWith('/'));
        builds.push({ drv: drv.startsWith('/') ? drv : undefined, outputs });
    }
    return { builds, rest: text.slice(end + 1) };
}

;// CONCATENATED MODULE: ./src/nix/detect/nix-cli.ts
/**
 * Nix 2.8 refuses `nix store …`/`nix show-config` without the `nix-command` feature; newer versions
 * accept the flag whether the feature is already on or not, so it is always passed.
 */
const NIX_COMMAND_FLAGS = ['--extra-experimental-features', 'nix-command'];
/** A Nix command should answer in seconds; a stuck daemon must not stall the job. */
const NIX_TIMEOUT_MS = 30_000;
function nixArgs(...args) {
    return [...NIX_COMMAND_FLAGS, ...args];
}
/**
 * This `nix` does not know the subcommand or flag ("error: 'info' is not a recognised command",
 * "error: unrecognised flag '--json'"), as opposed to a command that ran and failed.
 */
function isUnrecognised(result) {
    return (result.code !== 0 &&
        /not a recognised command|unrecognised flag|unrecognized (?:flag|option)/i.test(result.stderr));
}
/**
 * Runs the candidate argument lists in order and returns the first that this `nix` understands (whether
 * it then succeeded or not), or the last attempt when none does.
 */
async function firstRecognised(sys, candidates) {
    let last;
    for (const args of candidates) {
        const result = await sys.exec.run('nix', nixArgs(...args), { timeoutMs: NIX_TIMEOUT_MS });
        last = { args, result };
        if (!isUnrecognised(result))
            return last;
    }
    if (!last)
        throw new Error('firstRecognised: no candidate commands');
    return last;
}

;// CONCATENATED MODULE: external "node:path"
const external_node_path_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:path");
;// CONCATENATED MODULE: ./src/push/snapshot.ts
/**
 * Discovery by store listing: main saves the names in the store directory, post lists it again and
 * keeps what is new. One `readdir` (no stat, no Nix call) stays cheap at tens of thousands of entries;
 * whether a new name is a valid store path is asked of Nix afterwards, for the few new ones only.
 */


/**
 * `<hash>-<name>`: 32 characters of Nix's base-32 alphabet (`0123456789abcdfghijklmnpqrsvwxyz`, no
 * e, o, t, u), a dash, then a name of the characters Nix allows in store path names (at most 211).
 */
const STORE_NAME = /^[0-9a-df-np-sv-z]{32}-[A-Za-z0-9+\-._?=]+$/;
const MAX_NAME_LENGTH = 32 + 1 + 211;
/** Names in the store directory that are Nix's working files, not store paths. */
const WORKING_FILE_SUFFIXES = (/* unused pure expression or super */ null && (['.lock', '.drv.chroot', '.check']));
/** Whether `path`'s last component has the shape of a store path name (the directory is not checked). */
function isStorePathShaped(path) {
    const slash = path.lastIndexOf('/');
    const name = path.slice(slash + 1);
    return slash > 0 && name.length <= MAX_NAME_LENGTH && STORE_NAME.test(name);
}
/**
 * Whether a name in the store directory can be a store path: `<32 base-32 chars>-<name>`, and not one of
 * Nix's working files (`.links`, `.tmp-*`, `*.lock`, `*.drv.chroot`, `*.check`).
 */
function storeEntryName(name) {
    if (name === '.links' || name.startsWith('.tmp-'))
        return false;
    if (name.length > MAX_NAME_LENGTH || !STORE_NAME.test(name))
        return false;
    return !WORKING_FILE_SUFFIXES.some((suffix) => name.endsWith(suffix));
}
/** The store path names in `storeDir` (one `readdir`, no stat). Rejects when the directory cannot be read. */
async function listStore(storeDir) {
    const names = await readdir(storeDir);
    return names.filter(storeEntryName);
}
/** Saves `names` one per line, mode 0644, creating the parent directory; replaces `file` atomically. */
async function writeSnapshot(file, names) {
    await mkdir(dirname(file), { recursive: true });
    const temp = `${file}.${process.pid}.tmp`;
    await writeFile(temp, names.length === 0 ? '' : `${names.join('\n')}\n`, { mode: 0o644 });
    await chmod(temp, 0o644); // the mode given to writeFile is narrowed by the umask
    await rename(temp, file);
}
/** The names `writeSnapshot` saved, or undefined when the file does not exist. */
async function readSnapshot(file) {
    let text;
    try {
        text = await readFile(file, 'utf8');
    }
    catch (error) {
        if (error?.code === 'ENOENT')
            return undefined;
        throw error;
    }
    const names = new Set();
    for (const line of text.split('\n'))
        if (line !== '')
            names.add(line);
    return names;
}
/**
 * Names in `after` that `before` does not have and that can be store paths (`storeEntryName`), as full
 * store paths under `storeDir`, sorted. `after` may be a raw listing: only the new names are checked.
 */
function newEntries(before, after, storeDir) {
    const dir = storeDir.endsWith('/') ? storeDir.slice(0, -1) : storeDir;
    const added = new Set();
    for (const name of after)
        if (!before.has(name) && storeEntryName(name))
            added.add(`${dir}/${name}`);
    return [...added].sort(byCodeUnits);
}
/**
 * Post's half of discovery: the store paths added since the snapshot in `snapshotFile` (as `newEntries`),
 * or undefined when there is no snapshot. The snapshot is read while the directory is listed.
 * `listDir` is where the store directory is on disk, when that is not `storeDir` (a chroot store).
 */
async function newSinceSnapshot(snapshotFile, storeDir, listDir = storeDir) {
    const [before, after] = await Promise.all([readSnapshot(snapshotFile), readdir(listDir)]);
    return before === undefined ? undefined : newEntries(before, after, storeDir);
}
function byCodeUnits(a, b) {
    return a < b ? -1 : a > b ? 1 : 0;
}

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
class ActionError extends Error {
    name = 'ActionError';
}

;// CONCATENATED MODULE: ./src/push/path-info.ts
/**
 * Which store paths are valid, and what they are (hash, size, references): `nix path-info --json`
 * through the Exec seam, as the job's user (through the daemon), in argv chunks well under ARG_MAX.
 *
 * What Nix 2.8 does (measured): an invalid path prints `{"path": …, "valid": false}` and exits 0, but with
 * `-r` one invalid path fails the whole command (`error: path '…' is not valid`). A `.drv` path stands for
 * its outputs unless `--derivation` is given, and `--derivation` fails on an invalid `.drv` (`is not a
 * valid store path`) and turns an output path into its deriver: so `.drv` paths are asked separately,
 * with `--derivation`. When a command fails, `nix-store --check-validity --print-invalid` (no
 * substituter lookups) sets the invalid paths apart and the rest is asked again.
 */



/** Bytes of paths per command: Linux allows 2 MiB of argv + environment (macOS 1 MiB), 128 KiB per arg. */
const ARGV_CHUNK_BYTES = 200_000;
const CONCURRENCY = 4;
const DEFAULT_TIMEOUT_MS = 120_000;
/** Splits `items` into runs whose total length (one separator byte each) stays within `maxBytes`. */
function chunkByBytes(items, maxBytes = ARGV_CHUNK_BYTES) {
    const chunks = [];
    let current = [];
    let size = 0;
    for (const item of items) {
        const bytes = Buffer.byteLength(item) + 1;
        if (current.length > 0 && size + bytes > maxBytes) {
            chunks.push(current);
            current = [];
            size = 0;
        }
        current.push(item);
        size += bytes;
    }
    if (current.length > 0)
        chunks.push(current);
    return chunks;
}
/** `nix path-info --json` for `paths`: valid ones described, invalid ones set apart. Rejects when nix fails. */
async function queryPathInfo(exec, paths, options) {
    const invalid = new Set();
    const outputs = [];
    const derivations = [];
    for (const path of new Set(paths)) {
        if (!isStorePathShaped(path))
            invalid.add(path);
        else if (path.endsWith('.drv'))
            derivations.push(path);
        else
            outputs.push(path);
    }
    const tasks = [
        ...chunkByBytes(outputs).map((chunk) => ({ chunk, derivation: false })),
        ...chunkByBytes(derivations).map((chunk) => ({ chunk, derivation: true })),
    ];
    const valid = new Map();
    await eachLimited(tasks, CONCURRENCY, async ({ chunk, derivation }) => {
        const result = await queryChunk(exec, chunk, derivation, options);
        for (const info of result.valid)
            valid.set(info.path, info);
        for (const path of result.invalid)
            invalid.add(path);
    });
    return {
        valid: [...valid.values()].sort((a, b) => compare(a.path, b.path)),
        invalid: [...invalid].filter((path) => !valid.has(path)).sort(compare),
    };
}
async function queryChunk(exec, paths, derivation, options) {
    const args = nixArgs('path-info', '--json', ...(options.closure ? ['-r'] : []));
    if (derivation)
        args.push('--derivation');
    const first = await exec.run('nix', [...args, ...paths], execOptions(options));
    if (first.code === 0)
        return parsed(first, paths);
    // One invalid path fails a closure query (and any `--derivation` query): set the invalid ones apart.
    const check = await exec.run('nix-store', ['--check-validity', '--print-invalid', ...paths], execOptions(options));
    const asked = new Set(paths);
    const invalid = new Set(check.code === 0 ? check.stdout.split('\n').filter((l) => asked.has(l)) : []);
    if (invalid.size === 0)
        throw commandFailed('nix path-info', first);
    const rest = paths.filter((path) => !invalid.has(path));
    if (rest.length === 0)
        return { valid: [], invalid: [...invalid] };
    const second = await exec.run('nix', [...args, ...rest], execOptions(options));
    if (second.code !== 0)
        throw commandFailed('nix path-info', second);
    const result = parsed(second, rest);
    return { valid: result.valid, invalid: [...result.invalid, ...invalid] };
}
/** The parsed output; an asked-for path it does not mention counts as invalid. */
function parsed(result, asked) {
    let out;
    try {
        out = parsePathInfoJson(result.stdout);
    }
    catch (error) {
        throw new Error(`nix path-info printed JSON this action cannot read: ${errorMessage(error)}`, {
            cause: error,
        });
    }
    const seen = new Set([...out.valid.map((i) => i.path), ...out.invalid]);
    const missing = asked.filter((path) => !seen.has(path));
    return missing.length === 0 ? out : { valid: out.valid, invalid: [...out.invalid, ...missing] };
}
/**
 * Reads `nix path-info --json` of any Nix version: a list of objects with `path` (invalid ones
 * `"valid": false`; up to 2.18), an object keyed by full path with `null` for invalid ones (2.19 on,
 * and 2.33's default format 1), or format 2 (2.33 on: `{version, storeDir, info}` keyed by base name,
 * references as base names).
 */
function parsePathInfoJson(text) {
    const json = JSON.parse(text);
    const valid = [];
    const invalid = [];
    const take = (path, value, storeDir) => {
        if (value === null || (isRecord(value) && value.valid === false))
            invalid.push(path);
        else if (isRecord(value))
            valid.push(toPathInfo(path, value, storeDir));
        else
            throw new Error(`the entry for ${path} is not an object`);
    };
    if (Array.isArray(json)) {
        for (const item of json) {
            if (!isRecord(item) || typeof item.path !== 'string')
                throw new Error('a list entry has no path');
            take(item.path, item, undefined);
        }
    }
    else if (isRecord(json) && isRecord(json.info) && typeof json.storeDir === 'string') {
        const storeDir = json.storeDir;
        for (const [name, value] of Object.entries(json.info))
            take(inStore(storeDir, name), value, storeDir);
    }
    else if (isRecord(json)) {
        const storeDir = typeof json.storeDir === 'string' ? json.storeDir : undefined;
        for (const [key, value] of Object.entries(json))
            if (key.startsWith('/'))
                take(key, value, storeDir);
    }
    else {
        throw new Error('neither a list nor an object');
    }
    return { valid, invalid };
}
function toPathInfo(path, raw, storeDir) {
    const { narHash, narSize, references, deriver } = raw;
    if (typeof narHash !== 'string')
        throw new Error(`${path} has no narHash`);
    if (typeof narSize !== 'number' || !Number.isFinite(narSize))
        throw new Error(`${path} has no narSize`);
    if (!Array.isArray(references) || !references.every((r) => typeof r === 'string'))
        throw new Error(`${path} has no list of references`);
    const full = (p) => (storeDir === undefined ? p : inStore(storeDir, p));
    return {
        path,
        narHash,
        narSize,
        references: references.map(full),
        ...(typeof deriver === 'string' ? { deriver: full(deriver) } : {}),
    };
}
/** A base name (format 2) made a full path; full paths stay as they are. */
function inStore(storeDir, name) {
    return name.startsWith('/') ? name : `${storeDir.replace(/\/+$/, '')}/${name}`;
}
function isRecord(value) {
    return typeof value === 'object' && value !== null && !Array.isArray(value);
}
function execOptions(options) {
    return {
        timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        ...(options.env === undefined ? {} : { env: options.env }),
    };
}
/** An Error carrying the command's exit code and the end of what it printed on stderr. */
function commandFailed(name, result) {
    const said = lastLines(result.stderr, 6) || lastLines(result.stdout, 3) || 'no output';
    return new Error(`${name} failed (exit code ${result.code}): ${said}`);
}
function lastLines(text, count) {
    const lines = text
        .trim()
        .split('\n')
        .map((l) => l.trimEnd())
        .filter((l) => l !== '');
    const tail = lines.slice(-count).join('\n');
    return tail.length > 2000 ? `…${tail.slice(-2000)}` : tail;
}
/** Runs `fn` over `items` with at most `limit` in flight; rejects with the first failure. */
async function eachLimited(items, limit, fn) {
    let next = 0;
    const worker = async () => {
        while (next < items.length) {
            const item = items[next++];
            await fn(item);
        }
    };
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
function compare(a, b) {
    return a < b ? -1 : a > b ? 1 : 0;
}

;// CONCATENATED MODULE: external "node:events"
const external_node_events_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:events");
;// CONCATENATED MODULE: ./src/push/batches.ts
/**
 * What each free `nix copy` job takes next (pure). Nix 2.8 uploads the paths of one `nix copy` one at a
 * time, references first, and refuses a path whose references the cache lacks; so a batch is a set of
 * paths whose not-yet-uploaded references are in the same batch. The work that can go now and the work
 * running copies still have (paths, weighted by NAR size) is shared evenly among the jobs; the rest
 * waits for the next free job. A path that only waits on the last path of a batch joins it whatever its
 * size (a chain gains nothing from another process), so one job gets everything in one batch.
 */
/** Paths per `nix copy` command line (~70 bytes each: far below the argv limit). */
const MAX_PATHS_PER_COPY = 2000;
/** A NAR this big weighs like one more path (bandwidth against round trips). */
const BYTES_PER_PATH = 8 * 1024 * 1024;
const pathWeight = (narSize) => 1 + narSize / BYTES_PER_PATH;
/**
 * The paths that can be given to a copy now, in the given order (references first): `ready` ones
 * (pending, not waiting for a retry) whose references are all uploaded or themselves in the answer.
 */
function availableNow(order, ready, isDone) {
    const available = [];
    const taken = new Set();
    for (const n of order) {
        if (!ready(n))
            continue;
        if (n.refs.every((r) => isDone(r) || taken.has(r))) {
            available.push(n);
            taken.add(n.path);
        }
    }
    return available;
}
/** Up to `free` batches, each in upload order; paths left out wait for a later call. */
function planBatches(input) {
    const { available, isDone, jobs, free } = input;
    const max = input.maxPerBatch ?? MAX_PATHS_PER_COPY;
    if (free <= 0 || available.length === 0)
        return [];
    let load = input.runningLoad;
    for (const n of available)
        load += n.weight;
    const target = load / Math.max(1, jobs);
    const batches = [];
    const home = new Map();
    const room = (b) => b.nodes.length < max;
    for (const n of available) {
        const waits = n.refs.filter((r) => !isDone(r));
        let chosen;
        if (waits.length === 0) {
            if (batches.length < free) {
                chosen = { nodes: [], weight: 0, tail: '' };
                batches.push(chosen);
            }
            else {
                for (const b of batches) {
                    if (room(b) && b.weight < target && (chosen === undefined || b.weight < chosen.weight))
                        chosen = b;
                }
            }
        }
        else {
            const homes = new Set(waits.map((r) => home.get(r)));
            const [only] = homes;
            if (homes.size === 1 && only !== undefined && room(only)) {
                if (waits.includes(only.tail) || only.weight < target)
                    chosen = only;
            }
        }
        if (chosen === undefined)
            continue;
        chosen.nodes.push(n);
        chosen.weight += n.weight;
        chosen.tail = n.path;
        home.set(n.path, chosen);
    }
    return batches.map((b) => b.nodes);
}

;// CONCATENATED MODULE: ./src/push/ledger.ts
/**
 * The books of one push: every path of it with its references in the push, what became of it (pushed,
 * present, failed with a reason, which fails everything that references it too), and the progress
 * counts for the heartbeat.
 */

class Ledger {
    nodes = new Map();
    /** References first, as given. */
    order;
    pushed = [];
    present = [];
    failed = [];
    bytesDone = 0;
    bytesTotal;
    constructor(paths) {
        const inPush = new Set(paths.map((p) => p.path));
        for (const info of paths) {
            if (this.nodes.has(info.path))
                continue;
            const refs = [...new Set(info.references)].filter((r) => r !== info.path && inPush.has(r));
            const weight = pathWeight(info.narSize);
            const fresh = { state: 'pending', failures: 0, notBefore: 0, tried: false };
            this.nodes.set(info.path, { path: info.path, info, refs, weight, dependents: [], ...fresh });
        }
        for (const n of this.nodes.values())
            for (const r of n.refs)
                this.nodes.get(r)?.dependents.push(n.path);
        this.order = [...this.nodes.values()];
        this.bytesTotal = this.order.reduce((sum, n) => sum + n.info.narSize, 0);
    }
    get(path) {
        return this.nodes.get(path);
    }
    has(path) {
        return this.nodes.has(path);
    }
    isDone = (path) => this.nodes.get(path)?.state === 'done';
    /** In the cache now: `found` there by a copy (present, unless this push had started uploading it). */
    done(n, found, fileSize) {
        n.state = 'done';
        this.bytesDone += n.info.narSize;
        if (found && !n.tried)
            this.present.push(n.path);
        else {
            this.pushed.push({ path: n.path, narSize: n.info.narSize, fileSize });
            this.onPushed?.(n.info);
        }
    }
    /** Told about each path this push put in the cache, as soon as it is there. */
    onPushed;
    /** Fails `first`, and everything that references it (never uploaded now) with it as the reason. */
    fail(first, reason) {
        const queue = [first];
        for (let n = queue.shift(); n !== undefined; n = queue.shift()) {
            if (n.state === 'done' || n.state === 'failed')
                continue;
            n.state = 'failed';
            this.failed.push({ path: n.path, reason: n === first ? reason : `a reference failed: ${first.path}` });
            for (const d of n.dependents) {
                const dn = this.nodes.get(d);
                if (dn !== undefined)
                    queue.push(dn);
            }
        }
    }
    /**
     * After a failed copy: `left` are its paths still unsettled. The ones it was uploading take the blame
     * (all of them when it failed before any); a path blamed `attempts` times fails with `reason`, the
     * others wait `backoff(failures)` from `now`. Answers how many go again, and after how long.
     */
    retryOrFail(left, uploading, reason, rules) {
        const culprits = left.filter((n) => uploading.has(n.path));
        for (const n of culprits.length > 0 ? culprits : left)
            n.failures += 1;
        const delay = rules.backoff(Math.max(1, ...left.map((n) => n.failures)));
        let again = 0;
        for (const n of left) {
            if (n.state !== 'running')
                continue; // failed with a reference a moment ago
            if (n.failures >= rules.attempts) {
                this.fail(n, reason);
            }
            else {
                n.state = 'pending';
                n.notBefore = rules.now + delay;
                again += 1;
            }
        }
        return { again, delay };
    }
    /** Fails what is not done yet, each with `reason` (the push stopped). */
    giveUp(reason) {
        for (const n of this.order) {
            if (n.state !== 'pending' && n.state !== 'running')
                continue;
            n.state = 'failed';
            this.failed.push({ path: n.path, reason });
        }
    }
    progress(inFlight, elapsedMs) {
        return {
            done: this.pushed.length + this.present.length,
            total: this.order.length,
            bytesDone: this.bytesDone,
            bytesTotal: this.bytesTotal,
            inFlight,
            elapsedMs,
        };
    }
}

;// CONCATENATED MODULE: ./src/push/nix-copy.ts
/**
 * One `nix copy --no-recursive` to a binary cache: its command line, and a reader of its
 * `--log-format internal-json -v` output that says, while it runs, which paths are being copied and
 * which are known to be in the cache, and at the end which were copied, which the cache already had
 * and why it failed.
 *
 * What Nix 2.8 does (measured against the test cache): the paths the cache lacks are uploaded one at a
 * time, references first (NAR, then narinfo); a path the cache has is skipped without a trace; the first
 * failure ends the whole copy; a path whose reference the cache lacks is refused ("cannot add … because
 * the reference … is not valid"). After a failed PUT Nix retries with `Expect: 100-continue` and no body
 * and stalls until `stalled-download-timeout` (300 s, five attempts: ~25 min), so the copy runs with
 * `download-attempts 1` and the caller retries by running it again (Nix skips what arrived).
 */

const DEFAULT_CONNECT_TIMEOUT_SEC = 15;
const DEFAULT_STALLED_TIMEOUT_SEC = 60;
/** `nix` arguments copying `paths` (no closure) to `url`, the complete store URL (`compression=` etc.). */
function nixCopyArgs(url, paths, settings = {}) {
    if (paths.length > MAX_PATHS_PER_COPY) {
        throw new Error(`nix copy of ${paths.length} paths: at most ${MAX_PATHS_PER_COPY} per command`);
    }
    const option = (name, value) => ['--option', name, value];
    return [
        'copy',
        '--extra-experimental-features',
        'nix-command',
        '--no-recursive',
        '--to',
        url,
        '--log-format',
        'internal-json',
        '-v',
        ...option('download-attempts', '1'),
        ...option('connect-timeout', String(settings.connectTimeoutSec ?? DEFAULT_CONNECT_TIMEOUT_SEC)),
        ...option('stalled-download-timeout', String(settings.stalledTimeoutSec ?? DEFAULT_STALLED_TIMEOUT_SEC)),
        ...(settings.extraArgs ?? []),
        ...paths,
    ];
}
const ACT_COPY_PATH = 100;
const ACT_FILE_TRANSFER = 101;
const ACT_COPY_PATHS = 103;
const ACT_QUERY_PATH_INFO = 109;
const LVL_ERROR = 0;
// eslint-disable-next-line no-control-regex -- ANSI colour codes are what this removes
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;
const SIZES = /^copying path '([^']+)' \((\d+) bytes, compressed (-?[\d.]+|nan|-?inf)% in \d+ ms\) to binary cache/;
const REFUSED = /cannot add '([^']+)' to the binary cache because the reference '([^']+)' (?:is not valid|does not exist)/;
const NARINFO = /\/([0-9a-df-np-sv-z]{32})\.narinfo$/;
/** A Nix message as one clean line: no colours, no `user:password@` in URLs, whitespace collapsed. */
function cleanMessage(text) {
    return text
        .replace(ANSI, '')
        .replace(/\/\/[^/@\s']+@/g, '//')
        .replace(/^error:\s*/, '')
        .replace(/\s+/g, ' ')
        .trim();
}
const hashOf = (storePath) => /\/([0-9a-df-np-sv-z]{32})-[^/]*$/.exec(storePath)?.[1] ?? '';
/** Reads one `nix copy` run's internal-json stderr, line by line. */
class NixCopyLog {
    paths;
    activities = new Map();
    /** In order (a Set keeps insertion order). */
    started = new Set();
    /** Paths whose copy activity ended, not yet known to have arrived. */
    ended = new Set();
    copied = new Set();
    narinfoSent = new Set();
    errors = [];
    refused = [];
    opened = false;
    sizes = new Map();
    /** `paths`: what the run was given (to tell which ones the cache had). */
    constructor(paths) {
        this.paths = paths;
    }
    /** Events in this line (none for most lines). */
    feed(line) {
        const at = line.indexOf('@nix ');
        // Plain text comes before the JSON logger is up (bad arguments): only its errors matter.
        if (at < 0)
            return /^error:/.test(line.replace(ANSI, '').trim()) ? this.error(line) : [];
        let entry;
        try {
            entry = JSON.parse(line.slice(at + 5));
        }
        catch {
            return [];
        }
        if (typeof entry !== 'object' || entry === null)
            return [];
        const e = entry;
        const id = typeof e['id'] === 'number' ? e['id'] : undefined;
        const fields = Array.isArray(e['fields']) ? e['fields'] : [];
        switch (e['action']) {
            case 'start': {
                if (id === undefined)
                    return [];
                const opened = this.open(e['type'], String(e['text']));
                if (e['type'] === ACT_COPY_PATH && typeof fields[0] === 'string')
                    return [...opened, ...this.start(id, fields[0])];
                if (e['type'] === ACT_FILE_TRANSFER &&
                    typeof fields[0] === 'string' &&
                    /^upload/.test(String(e['text']))) {
                    const hash = NARINFO.exec(fields[0])?.[1];
                    if (hash !== undefined)
                        this.activities.set(id, { kind: 'narinfo', hash });
                }
                return opened;
            }
            case 'stop': {
                const act = id === undefined ? undefined : this.activities.get(id);
                if (act?.kind === 'path')
                    this.ended.add(act.path);
                if (act?.kind === 'narinfo')
                    this.narinfoSent.add(act.hash);
                return [];
            }
            case 'msg': {
                const text = typeof e['msg'] === 'string' ? e['msg'] : '';
                if (e['level'] === LVL_ERROR) {
                    return this.error(typeof e['raw_msg'] === 'string' && e['raw_msg'] !== '' ? e['raw_msg'] : text);
                }
                const m = SIZES.exec(text.replace(ANSI, ''));
                if (m?.[1] !== undefined) {
                    const narSize = Number(m[2]);
                    const saved = Number(m[3]);
                    const fileSize = Number.isFinite(saved) ? Math.round(narSize * (1 - saved / 100)) : narSize;
                    this.sizes.set(m[1], { narSize, fileSize });
                }
                return [];
            }
            default:
                return [];
        }
    }
    /** The first sign that Nix opened the cache: a query of it, or the copy itself beginning. */
    open(type, text) {
        if (this.opened)
            return [];
        const copying = type === ACT_COPY_PATHS && text.startsWith('copying');
        if (!copying && type !== ACT_QUERY_PATH_INFO && type !== ACT_COPY_PATH)
            return [];
        this.opened = true;
        return [{ kind: 'opened' }];
    }
    start(id, path) {
        this.activities.set(id, { kind: 'path', path });
        // Nix moved on: what ended before this start arrived (a failure would have ended the run).
        const events = [...this.ended].map((p) => this.copy(p));
        this.ended.clear();
        this.started.add(path);
        events.push({ kind: 'started', path });
        return events;
    }
    copy(path) {
        this.copied.add(path);
        return { kind: 'copied', path };
    }
    error(raw) {
        const message = cleanMessage(raw);
        if (message === '')
            return [];
        this.errors.push(message);
        const r = REFUSED.exec(message);
        if (r?.[1] !== undefined && r[2] !== undefined)
            this.refused.push({ path: r[1], reference: r[2], message });
        return [{ kind: 'error', message }];
    }
    /**
     * The outcome once the command ended: `exited` when it ended by itself with `code` (not stopped by a
     * signal we sent). Events for paths that turn out copied are returned with it.
     */
    finish(code, exited) {
        const events = [];
        if (exited) {
            const blamed = this.errors.join('\n');
            for (const path of this.started) {
                if (this.copied.has(path))
                    continue;
                // Success: everything started arrived. Failure: a path whose narinfo went up with no error about it.
                const sent = this.ended.has(path) && this.narinfoSent.has(hashOf(path));
                if (code === 0 || (sent && !blamed.includes(path) && !blamed.includes(`${hashOf(path)}.narinfo`))) {
                    events.push(this.copy(path));
                }
            }
        }
        const present = code === 0 && exited ? this.paths.filter((p) => !this.started.has(p)) : [];
        return {
            events,
            result: {
                copied: [...this.copied],
                present,
                incomplete: [...this.started].filter((p) => !this.copied.has(p)),
                refused: [...this.refused],
                errors: [...this.errors],
            },
        };
    }
}

;// CONCATENATED MODULE: ./src/push/types.ts
/** The shapes shared by the push stage: discovery, selection, upstream checks, copying, verification. */
/** `nix copy` processes at once by default (measured: 8 is ≈ 6× one copy on a cache 50 ms away). */
const DEFAULT_PUSH_JOBS = 8;

;// CONCATENATED MODULE: ./src/push/schedule.ts
/**
 * The push itself: `nix copy` of a topologically ordered set of paths, several copies at a time (batches
 * chosen by batches.ts), never a path before its references in the set are in the cache. A failed copy
 * is run again, after a backoff, for what is still missing (Nix skips what arrived); what keeps failing
 * is listed with the reason, and so is everything that references it (never uploaded). A drain bound
 * stops the lot, and a heartbeat says how far it got while it runs.
 */





/** Concurrent `nix copy` processes when the caller does not say (see bench/push-latency.bench.mjs). */


const DEFAULT_ATTEMPTS = 3;
const DEFAULT_HEARTBEAT_MS = 30_000;
const DRAIN_BOUND_REACHED = 'drain bound reached';
const PUSH_STOPPED = 'push stopped';
const defaultBackoff = (failures) => Math.min(30_000, 1000 * 2 ** (failures - 1));
const realSleep = (ms, signal) => new Promise((resolve) => {
    const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    signal.addEventListener('abort', done, { once: true });
    if (signal.aborted)
        done();
});
const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;
async function pushPaths(paths, opts) {
    const now = opts.now ?? Date.now;
    const sleep = opts.sleep ?? realSleep;
    const jobs = Math.max(1, Math.floor(opts.jobs ?? DEFAULT_PUSH_JOBS));
    const attempts = Math.max(1, opts.attempts ?? DEFAULT_ATTEMPTS);
    const backoff = opts.backoff ?? defaultBackoff;
    const started = now();
    const book = new Ledger(paths);
    book.onPushed = opts.onPushed;
    const { order, isDone } = book;
    const sizes = new Map();
    const running = new Set();
    const stop = new AbortController();
    (0,external_node_events_namespaceObject.setMaxListeners)(0, stop.signal); // one per retry timer
    // Until one copy has opened the cache, one at a time: Nix 2.8 copies that register a new cache in the
    // same narinfo disk cache at once fail ("insert or replace into NARs …: constraint failed").
    const status = { timedOut: false, halted: undefined, opened: false };
    // Wakes the main loop; `dirty` keeps a wake-up that comes before the loop waits.
    let dirty = false;
    let wake = () => undefined;
    const signal = () => {
        dirty = true;
        wake();
    };
    const woken = () => dirty
        ? Promise.resolve()
        : new Promise((resolve) => {
            wake = resolve;
        });
    const onEvent = (b, e) => {
        const n = e.kind === 'error' || e.kind === 'opened' ? undefined : book.get(e.path);
        if (e.kind === 'opened' && !status.opened) {
            status.opened = true;
            signal();
        }
        else if (e.kind === 'started') {
            b.inFlight.add(e.path);
            if (n !== undefined)
                n.tried = true;
        }
        else if (e.kind === 'copied') {
            b.inFlight.delete(e.path);
            const s = b.log.sizes.get(e.path);
            if (s !== undefined)
                sizes.set(e.path, s);
            if (n?.state === 'running')
                book.done(n, false, sizes.get(e.path)?.fileSize);
            signal();
        }
    };
    const finishBatch = (b, res) => {
        running.delete(b);
        signal();
        const exited = !res.aborted && !res.timedOut;
        const { result, events } = b.log.finish(res.code, exited);
        for (const e of events)
            onEvent(b, e);
        for (const p of result.present) {
            const n = book.get(p);
            if (n?.state === 'running')
                book.done(n, true, sizes.get(p)?.fileSize);
        }
        const stillRunning = () => b.nodes.filter((n) => n.state === 'running');
        if (!exited) {
            for (const n of stillRunning())
                n.state = 'pending'; // stopped (drain bound, signal)
            return;
        }
        if (stillRunning().length === 0)
            return;
        const reason = result.errors.at(-1) ?? `nix copy exited with code ${res.code}`;
        for (const r of result.refused) {
            const n = book.get(r.path);
            if (n?.state === 'running' && !book.has(r.reference)) {
                book.fail(n, `the cache lacks its reference ${r.reference}, which is not in this push`);
            }
        }
        const rules = { attempts, backoff, now: now() };
        const { again, delay } = book.retryOrFail(stillRunning(), new Set(result.incomplete), reason, rules);
        const next = again > 0 ? `; ${plural(again, 'path')} tried again in ${(delay / 1000).toFixed(1)} s` : '';
        opts.log?.(`nix copy of ${plural(b.nodes.length, 'path')} failed: ${reason}${next}`);
    };
    const launch = (batch) => {
        const log = new NixCopyLog(batch.map((n) => n.path));
        const b = { nodes: batch, log, controller: new AbortController(), inFlight: new Set() };
        for (const n of batch)
            n.state = 'running';
        running.add(b);
        const args = nixCopyArgs(opts.url, log.paths, opts.copy);
        const broke = (error) => {
            log.feed(`error: ${errorMessage(error)}`);
            finishBatch(b, { code: 1, timedOut: false, aborted: false, stderrTail: '' });
        };
        try {
            opts
                .run(opts.nix ?? 'nix', args, {
                ...(opts.env === undefined ? {} : { env: opts.env }),
                signal: b.controller.signal,
                onStderrLine: (line) => {
                    for (const e of log.feed(line))
                        onEvent(b, e);
                },
            })
                .then((res) => {
                finishBatch(b, res);
            }, broke);
        }
        catch (error) {
            broke(error);
        }
    };
    /** Starts batches on the free jobs; answers how many paths could go now. */
    const schedule = (t) => {
        const free = (status.opened ? jobs : 1) - running.size;
        if (free <= 0)
            return 0;
        const available = availableNow(order, (n) => n.state === 'pending' && n.notBefore <= t, isDone);
        let runningLoad = 0;
        for (const b of running)
            for (const n of b.nodes)
                if (n.state === 'running')
                    runningLoad += n.weight;
        for (const batch of planBatches({ available, isDone, runningLoad, jobs, free }))
            launch(batch);
        return available.length;
    };
    const progress = () => book.progress([...running].flatMap((b) => [...b.inFlight]), now() - started);
    const halt = (reason) => {
        if (status.halted !== undefined || stop.signal.aborted)
            return;
        status.halted = reason;
        status.timedOut = reason === DRAIN_BOUND_REACHED;
        for (const b of running)
            b.controller.abort();
        signal();
    };
    const onStop = () => {
        halt(PUSH_STOPPED);
    };
    opts.signal?.addEventListener('abort', onStop, { once: true });
    if (opts.signal?.aborted === true)
        onStop();
    const deadline = (async () => {
        const ms = opts.deadline - now();
        if (ms > 0)
            await sleep(ms, stop.signal);
        halt(DRAIN_BOUND_REACHED);
    })();
    const heartbeat = (async () => {
        const every = Math.max(1, opts.heartbeatMs ?? DEFAULT_HEARTBEAT_MS);
        for (;;) {
            await sleep(every, stop.signal);
            if (stop.signal.aborted)
                return;
            opts.onHeartbeat?.(progress());
        }
    })();
    for (;;) {
        dirty = false;
        // One reading of the clock per turn: what may start and what waits for a retry must agree.
        const t = now();
        const available = status.halted === undefined ? schedule(t) : 0;
        const pending = order.filter((n) => n.state === 'pending');
        if (running.size === 0) {
            if (status.halted !== undefined || pending.length === 0)
                break;
            if (available > 0)
                continue; // what started ended at once (a runner that could not start)
            if (!pending.some((n) => n.notBefore > t)) {
                // Nothing runs, nothing waits for a retry and nothing can start: references that never arrive.
                for (const n of pending)
                    book.fail(n, 'its references in this push could not be ordered');
                break;
            }
        }
        // Woken for the next retry that falls due, armed afresh on every turn: a timer may fire a moment
        // before `now()` says the retry is due (timers and Date.now() keep different clocks), and a one-shot
        // wake-up would then leave the push waiting for the drain bound.
        const due = Math.min(...pending.map((n) => n.notBefore).filter((at) => at > t));
        const turn = new AbortController();
        if (status.halted === undefined && Number.isFinite(due)) {
            void sleep(due - t, AbortSignal.any([turn.signal, stop.signal])).then(() => {
                if (!turn.signal.aborted)
                    signal();
            });
        }
        await woken();
        turn.abort();
    }
    stop.abort();
    opts.signal?.removeEventListener('abort', onStop);
    await Promise.all([deadline, heartbeat]);
    book.giveUp(status.halted ?? DRAIN_BOUND_REACHED);
    const { pushed, present, failed } = book;
    return { pushed, present, failed, timedOut: status.timedOut, elapsedMs: now() - started };
}

;// CONCATENATED MODULE: ./src/push/select.ts
/** Splits `closure` into what is pushed (references first) and what is skipped, with the reason. */
function selectPush(found, closure, filters, upstream) {
    const exclude = filters.exclude === undefined ? undefined : stateless(filters.exclude);
    const include = filters.include === undefined ? undefined : stateless(filters.include);
    const unique = uniqueByPath(closure);
    const skipped = new Map();
    for (const { path } of unique) {
        const reason = skipReason(path);
        if (reason !== undefined)
            skipped.set(path, reason);
    }
    // New derivations whose closure was not asked for (derivations are not pushed): counted all the same.
    if (!filters.derivations) {
        for (const path of found)
            if (path.endsWith('.drv') && !skipped.has(path))
                skipped.set(path, 'derivation');
    }
    const toPush = topoOrder(unique).filter((info) => !skipped.has(info.path));
    return { found, closure: unique, skipped, toPush };
    function skipReason(path) {
        if (!filters.derivations && path.endsWith('.drv'))
            return 'derivation';
        if (exclude?.test(path) === true)
            return 'filtered';
        if (include !== undefined && !include.test(path))
            return 'filtered';
        if (upstream.has(path))
            return 'upstream';
        return undefined;
    }
}
/**
 * For a cache Nix checks references in (every binary cache: a narinfo is only added when the cache has
 * its references), and no way to show it the upstream's paths: upstream paths that a pushed path
 * references, transitively, are pushed after all. Returns the new selection and how many were taken back.
 */
function keepReferencedUpstream(selection) {
    const byPath = new Map(selection.closure.map((p) => [p.path, p]));
    const skipped = new Map(selection.skipped);
    const stack = selection.toPush.map((p) => p.path);
    let kept = 0;
    for (let path = stack.pop(); path !== undefined; path = stack.pop()) {
        for (const ref of byPath.get(path)?.references ?? []) {
            if (skipped.get(ref) !== 'upstream')
                continue;
            skipped.delete(ref);
            kept += 1;
            stack.push(ref);
        }
    }
    if (kept === 0)
        return { selection, kept };
    const toPush = topoOrder(selection.closure).filter((info) => !skipped.has(info.path));
    return { selection: { ...selection, skipped, toPush }, kept };
}
/** Total NAR bytes of `infos`. */
function closureBytes(infos) {
    let total = 0;
    for (const info of infos)
        total += info.narSize;
    return total;
}
/**
 * `infos` ordered so that each path comes after every path of the set it references (references to
 * paths outside the set and self-references are ignored); among paths ready at the same time, the
 * smallest path first. Iterative (Kahn's algorithm with a heap). A cycle (which valid Nix stores do not
 * have) cannot lose paths: what it holds up is appended in path order.
 */
function topoOrder(infos) {
    const unique = uniqueByPath(infos);
    const index = new Map();
    unique.forEach((info, i) => index.set(info.path, i));
    const pending = new Array(unique.length).fill(0);
    const referrers = unique.map(() => []);
    unique.forEach((info, i) => {
        const seen = new Set();
        for (const ref of info.references) {
            const j = index.get(ref);
            if (j === undefined || j === i || seen.has(j))
                continue;
            seen.add(j);
            pending[i] = (pending[i] ?? 0) + 1;
            referrers[j]?.push(i);
        }
    });
    const byPath = (a, b) => (unique[a]?.path ?? '') < (unique[b]?.path ?? '');
    const ready = new MinHeap(byPath);
    pending.forEach((count, i) => {
        if (count === 0)
            ready.push(i);
    });
    const order = [];
    const placed = new Array(unique.length).fill(false);
    for (let i = ready.pop(); i !== undefined; i = ready.pop()) {
        placed[i] = true;
        order.push(unique[i]);
        for (const r of referrers[i] ?? []) {
            const left = (pending[r] ?? 0) - 1;
            pending[r] = left;
            if (left === 0)
                ready.push(r);
        }
    }
    if (order.length < unique.length) {
        const rest = unique.filter((_, i) => placed[i] !== true);
        order.push(...rest.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)));
    }
    return order;
}
function uniqueByPath(infos) {
    const seen = new Set();
    const out = [];
    for (const info of infos) {
        if (seen.has(info.path))
            continue;
        seen.add(info.path);
        out.push(info);
    }
    return out;
}
/** A copy without the `g`/`y` flags, whose `test` would otherwise carry `lastIndex` from one path to the next. */
function stateless(re) {
    return re.global || re.sticky ? new RegExp(re.source, re.flags.replace(/[gy]/g, '')) : re;
}
/** A binary heap of numbers ordered by `less`. */
class MinHeap {
    less;
    items = [];
    constructor(less) {
        this.less = less;
    }
    push(value) {
        const items = this.items;
        items.push(value);
        let i = items.length - 1;
        while (i > 0) {
            const parent = (i - 1) >> 1;
            if (!this.less(items[i], items[parent]))
                break;
            [items[i], items[parent]] = [items[parent], items[i]];
            i = parent;
        }
    }
    pop() {
        const items = this.items;
        const top = items[0];
        const last = items.pop();
        if (top === undefined || last === undefined || items.length === 0)
            return top;
        items[0] = last;
        for (let i = 0;;) {
            const left = 2 * i + 1;
            const right = left + 1;
            let smallest = i;
            if (left < items.length && this.less(items[left], items[smallest]))
                smallest = left;
            if (right < items.length && this.less(items[right], items[smallest]))
                smallest = right;
            if (smallest === i)
                break;
            [items[i], items[smallest]] = [items[smallest], items[i]];
            i = smallest;
        }
        return top;
    }
}

;// CONCATENATED MODULE: external "node:crypto"
const external_node_crypto_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:crypto");
;// CONCATENATED MODULE: external "node:http"
const external_node_http_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:http");
var external_node_http_default = /*#__PURE__*/__nccwpck_require__.n(external_node_http_namespaceObject);
;// CONCATENATED MODULE: external "node:https"
const external_node_https_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:https");
var external_node_https_default = /*#__PURE__*/__nccwpck_require__.n(external_node_https_namespaceObject);
;// CONCATENATED MODULE: ./src/config/text.ts
/**
 * Character checks shared by the validators, the nix.conf writer and the netrc writer. Messages built
 * from these name the character and its position, never the value around it (it may be a secret).
 */
const NAMES = {
    ' ': 'a space',
    '\t': 'a tab',
    '\n': 'a newline',
    '\r': 'a carriage return',
    '\0': 'a NUL character',
    '\v': 'a vertical tab',
    '\f': 'a form feed',
};
/** A name for one character that does not reveal a secret's content (letters are never named). */
function describeChar(ch) {
    const named = NAMES[ch];
    if (named !== undefined)
        return named;
    const code = ch.codePointAt(0) ?? 0;
    if (code < 0x20 || code === 0x7f)
        return `a control character (U+${code.toString(16).toUpperCase().padStart(4, '0')})`;
    if (code > 0x7e)
        return code === 0xa0 || code === 0x3000 || code === 0x2028 ? 'a space' : 'a non-ASCII character';
    return `'${ch}'`;
}
/** The first character that breaks `rules`: control characters and newlines always do. */
function text_findUnsafeChar(value, rules = {}) {
    let position = 0;
    for (const ch of value) {
        position += 1;
        const code = ch.codePointAt(0) ?? 0;
        let bad;
        if (ch === ' ' || ch === '\t')
            bad = rules.allowSpace !== true;
        else if (code < 0x20 || code === 0x7f)
            bad = true;
        else if (ch === '#')
            bad = rules.allowHash !== true;
        else if (code > 0x7e)
            bad = rules.allowNonAscii !== true || /\s/u.test(ch);
        else
            bad = false;
        if (bad)
            return { position, what: describeChar(ch) };
    }
    return undefined;
}
/** "1st", "2nd", "3rd", "4th"… for naming an entry in a list input. */
function ordinal(n) {
    const tens = n % 100;
    if (tens >= 11 && tens <= 13)
        return `${n}th`;
    switch (n % 10) {
        case 1:
            return `${n}st`;
        case 2:
            return `${n}nd`;
        case 3:
            return `${n}rd`;
        default:
            return `${n}th`;
    }
}
/** Splits a list input on any whitespace (newlines included); empty items are dropped. */
function splitList(value) {
    return value.split(/\s+/u).filter((item) => item !== '');
}

;// CONCATENATED MODULE: ./src/config/netrc.ts
/**
 * netrc files as curl (and so Nix) reads them: words separated by any whitespace, `machine NAME`,
 * `default`, then `login`, `password`, `account` with a value each; `macdef NAME` starts a macro whose
 * body runs to the next blank line; a line whose first word starts with `#` is a comment. Messages
 * never include a login, password or account.
 */

/** The entries in file order. Throws on words curl would not understand (never quoting them). */
function parseNetrc(text) {
    const entries = [];
    let current;
    let expect;
    let inMacro = false;
    const lines = text.split('\n');
    lines.forEach((line, index) => {
        if (inMacro) {
            if (line.trim() === '')
                inMacro = false;
            return;
        }
        const words = line.split(/\s+/u).filter((w) => w !== '');
        if (words[0]?.startsWith('#') === true)
            return;
        for (const word of words) {
            if (expect !== undefined) {
                const field = expect;
                expect = undefined;
                if (field === 'macdef') {
                    inMacro = true; // the body starts on the next line; the rest of this line is ignored
                    break;
                }
                if (field === 'machine') {
                    current = { machine: word };
                    entries.push(current);
                }
                else if (current !== undefined) {
                    current[field] = word;
                }
                continue;
            }
            switch (word) {
                case 'machine':
                case 'macdef':
                    expect = word;
                    break;
                case 'default':
                    current = { machine: undefined };
                    entries.push(current);
                    break;
                case 'login':
                case 'password':
                case 'account':
                    if (current === undefined) {
                        throw new Error(`netrc line ${index + 1}: '${word}' comes before any 'machine' or 'default'`);
                    }
                    expect = word;
                    break;
                default:
                    throw new Error(`netrc line ${index + 1}: an unexpected word where 'machine', 'default', 'login', 'password', 'account' or 'macdef' should be`);
            }
        }
    });
    if (expect !== undefined && expect !== 'macdef')
        throw new Error(`netrc ends after '${expect}' without its value`);
    return entries.map(freeze);
}
function freeze(d) {
    return {
        machine: d.machine,
        ...(d.login === undefined ? {} : { login: d.login }),
        ...(d.password === undefined ? {} : { password: d.password }),
        ...(d.account === undefined ? {} : { account: d.account }),
    };
}
function checkValue(entry, what, value) {
    const subject = entry.machine === undefined ? 'the default netrc entry' : `the netrc entry for a machine`;
    if (value === '')
        throw new Error(`${subject}: the ${what} is empty`);
    const bad = findUnsafeChar(value, { allowHash: true, allowNonAscii: true });
    if (bad !== undefined)
        throw new Error(`${subject}: the ${what} contains ${bad.what} at position ${bad.position}`);
}
function renderEntry(entry) {
    const words = [];
    if (entry.machine === undefined) {
        words.push('default');
    }
    else {
        checkValue(entry, 'machine name', entry.machine);
        words.push('machine', entry.machine);
    }
    for (const field of ['login', 'password', 'account']) {
        const value = entry[field];
        if (value === undefined)
            continue;
        checkValue(entry, field, value);
        words.push(field, value);
    }
    return `${words.join(' ')}\n`;
}
/** One line per entry (`machine H login L password P`), `default` entries last (curl stops at one). */
function renderNetrc(entries) {
    const machines = entries.filter((e) => e.machine !== undefined);
    const defaults = entries.filter((e) => e.machine === undefined);
    return [...machines, ...defaults].map(renderEntry).join('');
}
/** curl compares netrc machine names with host names case-insensitively. */
function sameMachine(a, b) {
    return a === undefined || b === undefined ? a === b : a.toLowerCase() === b.toLowerCase();
}
/**
 * The netrc text with `entry` in place of any entry for the same machine (where the first one was), or
 * added before the `default` entry; every other entry kept as it was.
 */
function mergeNetrc(existing, entry) {
    renderEntry(entry); // validates before anything else happens
    const entries = existing === undefined ? [] : parseNetrc(existing);
    const first = entries.findIndex((e) => sameMachine(e.machine, entry.machine));
    const others = entries.filter((e) => !sameMachine(e.machine, entry.machine));
    // No entry for the machine comes before `first`, so it is also ours' index among the others.
    const at = first === -1 ? others.length : first;
    return renderNetrc([...others.slice(0, at), entry, ...others.slice(at)]);
}
/** The netrc text without the entries of `machine` ('' when nothing is left). */
function removeMachine(text, machine) {
    return renderNetrc(parseNetrc(text).filter((e) => !sameMachine(e.machine, machine)));
}

;// CONCATENATED MODULE: ./src/push/http.ts
/**
 * The small HTTP layer of the upstream check and the verification: a fetch-shaped seam, a default
 * client on node:http(s) with keep-alive agents (global fetch closes the connection after every HEAD,
 * so a check of thousands of paths would open thousands of connections), netrc credentials as Nix
 * sends them, narinfo URLs, short reasons for network failures, and a concurrency-limited loop.
 */




/** Answers bigger than this are refused (a narinfo is a few hundred bytes). */
const MAX_BODY = 1 << 20;
const MAX_REDIRECTS = 5;
/** A client whose connections stay open between requests until close(). */
function createHttpClient() {
    const agents = {
        'http:': new (external_node_http_default()).Agent({ keepAlive: true }),
        'https:': new (external_node_https_default()).Agent({ keepAlive: true }),
    };
    const once = (url, init, headers) => new Promise((resolve, reject) => {
        if (url.protocol !== 'http:' && url.protocol !== 'https:') {
            reject(new Error(`${url.protocol}// is not HTTP`));
            return;
        }
        if (init.signal.aborted) {
            reject(new Error('aborted'));
            return;
        }
        const request = url.protocol === 'https:' ? (external_node_https_default()).request : (external_node_http_default()).request;
        const req = request(url, { method: init.method, headers, agent: agents[url.protocol] }, (res) => {
            const chunks = [];
            let size = 0;
            res.on('data', (chunk) => {
                size += chunk.length;
                if (size > MAX_BODY)
                    req.destroy(new Error(`an answer larger than ${MAX_BODY} bytes`));
                else
                    chunks.push(chunk);
            });
            res.on('end', () => {
                done();
                const body = Buffer.concat(chunks).toString('utf8');
                resolve({
                    status: res.statusCode ?? 0,
                    headers: {
                        get(name) {
                            const value = res.headers[name.toLowerCase()];
                            return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
                        },
                    },
                    text: () => Promise.resolve(body),
                });
            });
            res.on('error', fail);
        });
        const onAbort = () => {
            req.destroy(new Error('aborted'));
        };
        const done = () => {
            init.signal.removeEventListener('abort', onAbort);
        };
        function fail(error) {
            done();
            reject(error);
        }
        init.signal.addEventListener('abort', onAbort, { once: true });
        req.on('error', fail);
        req.end();
    });
    const fetchLike = async (url, init) => {
        const first = new URL(url);
        let current = first;
        for (let hop = 0;; hop++) {
            // Like fetch: credentials never follow a redirect to another origin.
            const headers = current.origin === first.origin
                ? init.headers
                : Object.fromEntries(Object.entries(init.headers).filter(([k]) => k.toLowerCase() !== 'authorization'));
            const res = await once(current, init, headers);
            const location = res.headers.get('location');
            if (init.redirect === 'manual' || res.status < 300 || res.status >= 400 || location === null)
                return res;
            if (hop >= MAX_REDIRECTS)
                throw new Error(`more than ${MAX_REDIRECTS} redirects`);
            current = new URL(location, current);
        }
    };
    return {
        fetch: fetchLike,
        close() {
            agents['http:'].destroy();
            agents['https:'].destroy();
        },
    };
}
/** `Basic …` for `host` from netrc text (curl's choice: the first entry for the host, else default). */
function netrcAuthorization(netrc, host) {
    let entries;
    try {
        entries = parseNetrc(netrc);
    }
    catch (error) {
        throw new ActionError(`The netrc file for the cache cannot be read: ${errorMessage(error)}`);
    }
    const wanted = host.toLowerCase();
    const entry = entries.find((e) => e.machine?.toLowerCase() === wanted) ?? entries.find((e) => e.machine === undefined);
    if (entry === undefined || (entry.login === undefined && entry.password === undefined))
        return undefined;
    return `Basic ${Buffer.from(`${entry.login ?? ''}:${entry.password ?? ''}`).toString('base64')}`;
}
/** The 32-character hash of a store path, or undefined when it is not one. */
function storeHash(path) {
    const base = path.slice(path.lastIndexOf('/') + 1);
    return /^([0-9a-df-np-sv-z]{32})-/.exec(base)?.[1];
}
/** `<cache>/<hash>.narinfo`, the cache URL's query (Nix store parameters) and fragment dropped. */
function narinfoUrl(cacheUrl, hash) {
    const base = cacheUrl.replace(/[?#].*$/s, '').replace(/\/+$/, '');
    return `${base}/${hash}.narinfo`;
}
const NETWORK_CODES = {
    ECONNREFUSED: 'connection refused',
    ENOTFOUND: 'host name not found (DNS)',
    EAI_AGAIN: 'host name lookup failed (DNS)',
    ECONNRESET: 'connection reset',
    EPIPE: 'connection reset',
    UND_ERR_SOCKET: 'connection closed by the server',
    ENETUNREACH: 'network unreachable',
    EHOSTUNREACH: 'host unreachable',
    ETIMEDOUT: 'connection timed out',
    UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
};
/** A short reason for a failed request (fetch hides the network error in `cause`). */
function describeFailure(error) {
    let current = error;
    for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth++) {
        const code = current.code;
        if (typeof code === 'string' && NETWORK_CODES[code] !== undefined)
            return NETWORK_CODES[code];
        const errors = current.errors;
        const next = current.cause ??
            (Array.isArray(errors) ? errors[0] : undefined);
        if (next === undefined)
            break;
        current = next;
    }
    const message = current?.message;
    return typeof message === 'string' && message !== '' ? message : errorMessage(current);
}
/** Runs `fn` on every item, at most `limit` at once; stops starting new ones once `signal` aborts. */
async function forEachLimit(items, limit, fn, signal) {
    let next = 0;
    const worker = async () => {
        while (next < items.length && signal?.aborted !== true) {
            const item = items[next++];
            await fn(item);
        }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}

;// CONCATENATED MODULE: ./src/push/narinfo.ts
/**
 * `.narinfo` files of Nix binary caches: parsing them, the fingerprint Nix signs
 * (`1;<storePath>;sha256:<nix-base32 NAR hash>;<narSize>;<sorted full reference paths, comma-separated>`)
 * and NAR hashes in any of the spellings Nix prints, reduced to the one the fingerprint uses.
 */

/** Nix's base-32 alphabet (no e, o, t, u). */
const NIX_BASE32 = '0123456789abcdfghijklmnpqrsvwxyz';
const BASE32_HASH = /^[0-9a-df-np-sv-z]{52}$/;
const BASE16_HASH = /^[0-9a-fA-F]{64}$/;
const BASE64_HASH = /^[A-Za-z0-9+/]{43}=$/;
const STORE_BASE = /^[0-9a-df-np-sv-z]{32}-[A-Za-z0-9+\-._?=]+$/;
const SIZE = /^(0|[1-9][0-9]{0,15})$/;
/** Nix's base-32 encoding (the last byte's bits first). */
function toNixBase32(bytes) {
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
function normalizeSha256(text) {
    const sri = /^sha256-(.*)$/.exec(text);
    const typed = /^sha256:(.*)$/.exec(text);
    const digest = sri?.[1] ?? typed?.[1];
    if (digest === undefined)
        return undefined;
    if (sri === null && BASE32_HASH.test(digest))
        return `sha256:${digest}`;
    if (sri === null && BASE16_HASH.test(digest))
        return `sha256:${toNixBase32(Buffer.from(digest, 'hex'))}`;
    if (BASE64_HASH.test(digest))
        return `sha256:${toNixBase32(Buffer.from(digest, 'base64'))}`;
    return undefined;
}
function parseSize(field, value) {
    if (!SIZE.test(value))
        throw new Error(`${field} is not a size`);
    const n = Number(value);
    if (!Number.isSafeInteger(n))
        throw new Error(`${field} is too large`);
    return n;
}
/**
 * Parses narinfo text. Throws (a message without the file's content) when a field Nix requires is
 * missing or malformed: StorePath, URL, NarHash, NarSize; References must be store base names.
 */
function parseNarInfo(text) {
    const fields = new Map();
    const sigs = [];
    for (const raw of text.split('\n')) {
        const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
        if (line === '')
            continue;
        const match = /^([A-Za-z][A-Za-z0-9-]*):(?: (.*))?$/.exec(line);
        if (match?.[1] === undefined)
            throw new Error('a line is not "Key: value"');
        const value = match[2] ?? '';
        if (match[1] === 'Sig')
            sigs.push(value);
        else if (!fields.has(match[1]))
            fields.set(match[1], value);
    }
    const need = (key) => {
        const value = fields.get(key);
        if (value === undefined || value === '')
            throw new Error(`${key} is missing`);
        return value;
    };
    const storePath = need('StorePath');
    if (!storePath.startsWith('/') || !STORE_BASE.test(basename(storePath))) {
        throw new Error('StorePath is not a store path');
    }
    const narHash = need('NarHash');
    if (normalizeSha256(narHash) === undefined)
        throw new Error('NarHash is not a SHA-256 hash');
    const references = (fields.get('References') ?? '').split(' ').filter((r) => r !== '');
    if (references.some((r) => !STORE_BASE.test(r)))
        throw new Error('References are not store names');
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
/** The text Nix signs for a path (`ValidPathInfo::fingerprint`); throws when Nix would refuse to. */
function fingerprint(info) {
    const hash = normalizeSha256(info.narHash);
    if (hash === undefined)
        throw new Error(`the NAR hash of ${info.storePath} is not a SHA-256 hash`);
    if (info.narSize === 0)
        throw new Error(`the NAR size of ${info.storePath} is not known`);
    const storeDir = dirname(info.storePath);
    const references = [...new Set(info.references)].map((r) => `${storeDir}/${r}`).sort();
    return `1;${info.storePath};${hash};${info.narSize};${references.join(',')}`;
}
/** The fingerprint of a local path, as Nix computes it when it signs the path's narinfo. */
function pathInfoFingerprint(info) {
    return fingerprint({
        storePath: info.path,
        narHash: info.narHash,
        narSize: info.narSize,
        references: info.references.map((r) => basename(r)),
    });
}

;// CONCATENATED MODULE: ./src/push/proxy.ts
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








const VIRTUAL_NARINFO = /^\/([0-9a-df-np-sv-z]{32})\.narinfo$/;
const HOP_BY_HOP = 'connection keep-alive proxy-connection proxy-authenticate proxy-authorization te trailer transfer-encoding upgrade';
/** Request headers never forwarded: the target's are set here (Expect is answered here). */
const REQUEST_DROPS = new Set(`${HOP_BY_HOP} host authorization expect`.split(' '));
const RESPONSE_DROPS = new Set(HOP_BY_HOP.split(' '));
/** The narinfo Nix reads for a path the cache is taken to have (`Compression: none`, never fetched). */
function virtualNarInfo(info, storeDir) {
    const narHash = normalizeSha256(info.narHash);
    if (narHash === undefined)
        throw new Error(`the NAR hash of ${info.path} is not a SHA-256 hash`);
    const lines = [
        `StorePath: ${storeDir ?? (0,external_node_path_namespaceObject.dirname)(info.path)}/${(0,external_node_path_namespaceObject.basename)(info.path)}`,
        `URL: nar/${narHash.slice('sha256:'.length)}.nar`,
        'Compression: none',
        `NarHash: ${narHash}`,
        `NarSize: ${info.narSize}`,
        `References: ${info.references.map((r) => (0,external_node_path_namespaceObject.basename)(r)).join(' ')}`,
    ];
    if (info.deriver !== undefined && info.deriver !== '')
        lines.push(`Deriver: ${(0,external_node_path_namespaceObject.basename)(info.deriver)}`);
    return `${lines.join('\n')}\n`;
}
/** `authorization` for startPushProxy from a netrc read every time (curl's entry for the target's host). */
function netrcAuthorizer(readNetrc, targetUrl) {
    const host = new URL(targetUrl).hostname.replace(/^\[(.*)\]$/, '$1');
    return async () => {
        const text = await readNetrc();
        return text === undefined ? undefined : netrcAuthorization(text, host);
    };
}
/** Headers without those of `drop` and those the Connection header names (hop-by-hop). */
function endToEnd(headers, drop) {
    const named = (headers.connection ?? '').split(',').map((h) => h.trim().toLowerCase());
    return Object.fromEntries(Object.entries(headers).filter(([name, v]) => v !== undefined && !drop.has(name) && !named.includes(name)));
}
const hasBody = (req) => req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
/** An answer of the proxy's own; a request body not read (or not all sent on) ends the connection. */
function reply(req, res, status, body, type = 'text/plain; charset=utf-8') {
    if (res.headersSent || res.destroyed)
        return;
    res.writeHead(status, {
        'content-type': type,
        'content-length': Buffer.byteLength(body),
        ...(hasBody(req) ? { connection: 'close' } : {}),
    });
    res.end(req.method === 'HEAD' ? undefined : body);
}
async function startPushProxy(options) {
    const target = new URL(options.target);
    const secure = target.protocol === 'https:';
    if (!secure && target.protocol !== 'http:') {
        throw new Error(`the push proxy forwards to http(s) caches only, not ${target.protocol}//`);
    }
    const { username, password } = target;
    // Credentials in the URL (Nix allows them) serve when `authorization` gives none.
    const urlAuth = username === '' && password === ''
        ? undefined
        : `Basic ${Buffer.from(`${decodeURIComponent(username)}:${decodeURIComponent(password)}`).toString('base64')}`;
    const where = `${target.protocol}//${target.host}`;
    const targetBase = `${where}${target.pathname.replace(/\/+$/, '')}`;
    const narinfos = new Map();
    const narinfoFor = (hash) => {
        const info = options.virtual.get(hash);
        const known = narinfos.get(hash);
        if (info === undefined)
            return undefined;
        if (known?.info === info)
            return known.text;
        if (storeHash(info.path) !== hash)
            throw new Error(`virtual path ${info.path} is not filed under ${hash}`);
        const text = virtualNarInfo(info, options.storeDir);
        narinfos.set(hash, { info, text });
        return text;
    };
    for (const hash of options.virtual.keys())
        narinfoFor(hash); // malformed entries throw here
    const connectTimeoutMs = options.connectTimeoutMs ?? 15_000;
    const idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
    // Idle connections are dropped before common servers drop them (node's own: 5 s).
    const agent = new (secure ? (external_node_https_default()) : (external_node_http_default())).Agent({ keepAlive: true, timeout: 4000 });
    const send = secure ? (external_node_https_default()).request : (external_node_http_default()).request;
    const nonce = `/nca-${(0,external_node_crypto_namespaceObject.randomBytes)(8).toString('hex')}`;
    const stats = { forwarded: 0, virtual: 0 };
    const sockets = new Set();
    const inFlight = new Set();
    let closing = false;
    let proxyBase = '';
    const forward = (req, res, rest, auth, retry = true) => {
        const url = new URL(targetBase + rest);
        const headers = endToEnd(req.headers, REQUEST_DROPS);
        if ((auth ?? urlAuth) !== undefined)
            headers.authorization = auth ?? urlAuth;
        const upstream = send(url, { method: req.method ?? 'GET', headers, agent, timeout: idleTimeoutMs });
        inFlight.add(upstream);
        const body = hasBody(req);
        let connectTimer;
        upstream.on('socket', (socket) => {
            if (!socket.connecting)
                return;
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
        upstream.on('error', (error) => {
            // A kept-alive connection the target had just closed: a request without a body is sent again.
            const stale = upstream.reusedSocket && error.code === 'ECONNRESET';
            if (retry && stale && !body && !res.headersSent && !closing) {
                forward(req, res, rest, auth, false);
                return;
            }
            req.unpipe(upstream);
            if (!res.headersSent)
                reply(req, res, 502, `push proxy: ${describeFailure(error)} (${where})\n`);
            else if (!res.writableFinished)
                res.destroy();
        });
        upstream.on('response', (answer) => {
            if (res.headersSent || res.destroyed) {
                answer.resume();
                return;
            }
            const out = endToEnd(answer.headers, RESPONSE_DROPS);
            const { location } = answer.headers;
            const moved = location !== undefined && URL.canParse(location, url.href) ? new URL(location, url).href : '';
            if (moved.startsWith(`${targetBase}/`))
                out.location = proxyBase + moved.slice(targetBase.length);
            // The target answered before the whole body went up: Nix must not reuse the connection.
            if (body && !req.complete)
                out.connection = 'close';
            res.writeHead(answer.statusCode ?? 502, answer.statusMessage, out);
            answer.pipe(res);
            answer.on('close', () => {
                if (!answer.complete && !res.writableFinished)
                    res.destroy();
            });
        });
        // Nix gave up (its own timeouts) or went away: so does the request to the target.
        res.on('close', () => {
            if (!res.writableFinished)
                upstream.destroy();
        });
        res.on('error', () => upstream.destroy());
        if (!body) {
            upstream.end();
            req.resume();
            return;
        }
        // Nix waits for this before a large body; the target gets the body without being asked.
        if (req.headers.expect?.toLowerCase() === '100-continue')
            res.writeContinue();
        req.pipe(upstream);
    };
    const handle = (req, res) => {
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
            .then((auth) => {
            if (!res.destroyed && !closing)
                forward(req, res, rest, auth);
        }, (error) => {
            reply(req, res, 502, `push proxy: no credentials for ${where}: ${errorMessage(error)}\n`);
        })
            .catch((error) => {
            reply(req, res, 502, `push proxy: ${errorMessage(error)}\n`);
        });
    };
    const server = external_node_http_default().createServer({ requestTimeout: 0, keepAliveTimeout: 30_000 }, (req, res) => {
        try {
            handle(req, res);
        }
        catch (error) {
            reply(req, res, 502, `push proxy: ${errorMessage(error)}\n`);
        }
    });
    // Expect: 100-continue is answered once the request to the target is under way (in forward).
    server.on('checkContinue', (req, res) => {
        server.emit('request', req, res);
    });
    server.on('connection', (socket) => {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
    });
    server.listen(0, '127.0.0.1');
    await (0,external_node_events_namespaceObject.once)(server, 'listening');
    proxyBase = `http://127.0.0.1:${server.address().port}${nonce}`;
    let closed;
    return {
        url: proxyBase,
        stats,
        close() {
            closed ??= new Promise((resolve) => {
                closing = true;
                server.close(() => {
                    resolve();
                });
                for (const request of inFlight)
                    request.destroy();
                server.closeAllConnections();
                for (const socket of sockets)
                    socket.destroy();
                agent.destroy();
            });
            return closed;
        },
    };
}

;// CONCATENATED MODULE: ./src/push/target.ts
/**
 * Where `nix copy` sends the push. Nix adds a path to a binary cache only when the cache has its
 * references, so paths left to an upstream cache would make their referrers unpushable. For an http(s)
 * cache a loopback proxy answers for those upstream paths (and forwards everything else); for other
 * caches the upstream paths a pushed path references are pushed after all.
 */



async function pushTarget(cache, selection, readNetrc) {
    const upstream = selection.closure.filter((p) => selection.skipped.get(p.path) === 'upstream');
    const none = { url: cache, selection, note: undefined, close: () => Promise.resolve() };
    if (upstream.length === 0 || selection.toPush.length === 0)
        return none;
    if (/^https?:\/\//iu.test(cache)) {
        const at = cache.indexOf('?');
        const base = at === -1 ? cache : cache.slice(0, at);
        const proxy = await startPushProxy({
            target: base,
            virtual: new Map(upstream.map((p) => [storeHash(p.path) ?? p.path, p])),
            authorization: netrcAuthorizer(readNetrc, base),
        });
        return {
            url: at === -1 ? proxy.url : `${proxy.url}${cache.slice(at)}`,
            selection,
            note: `${upstream.length} upstream path(s) are shown to nix copy as present (through a loopback proxy), so paths referencing them can be pushed without them.`,
            close: () => proxy.close(),
        };
    }
    const kept = keepReferencedUpstream(selection);
    return {
        ...none,
        selection: kept.selection,
        note: kept.kept === 0
            ? undefined
            : `${kept.kept} upstream path(s) are pushed after all: pushed paths reference them, and a ${cache.slice(0, cache.indexOf(':'))} cache only takes a path whose references it has.`,
    };
}

;// CONCATENATED MODULE: ./src/util/cached.ts
/**
 * A read that serves for a few seconds: credentials read for every request of a push (the netrc behind
 * the proxy or a verification, the AWS session for S3 signatures). Renewals come minutes before the old
 * credential expires, so a value a few seconds old is never stale; a failed read is retried after as long.
 */
function cachedFor(read, ttlMs = 5_000, now = Date.now) {
    let last;
    return () => {
        const t = now();
        if (last === undefined || t - last.at > ttlMs)
            last = { at: t, value: read() };
        return last.value;
    };
}

;// CONCATENATED MODULE: external "node:perf_hooks"
const external_node_perf_hooks_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:perf_hooks");
;// CONCATENATED MODULE: external "node:os"
const external_node_os_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:os");
;// CONCATENATED MODULE: external "node:child_process"
const external_node_child_process_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:child_process");
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

;// CONCATENATED MODULE: ./src/system/real.ts
/** The real machine behind the `System` seam: child processes for commands, node:fs for files. */




const files = {
    async read(path) {
        try {
            return await (0,promises_namespaceObject.readFile)(path, 'utf8');
        }
        catch {
            return undefined;
        }
    },
    async exists(path) {
        return (await files.kind(path)) !== undefined;
    },
    async list(dir) {
        try {
            return await (0,promises_namespaceObject.readdir)(dir);
        }
        catch {
            return [];
        }
    },
    async kind(path) {
        try {
            const s = await (0,promises_namespaceObject.stat)(path);
            if (s.isFile())
                return 'file';
            if (s.isDirectory())
                return 'directory';
            if (s.isSocket())
                return 'socket';
            return 'other';
        }
        catch {
            return undefined;
        }
    },
};
function host() {
    const uid = process.getuid?.() ?? -1;
    let user = process.env['USER'] ?? process.env['USERNAME'] ?? String(uid);
    let home = process.env['HOME'] ?? '';
    try {
        // The account database, not $USER/$HOME: those can be inherited from another user (sudo -E).
        const info = (0,external_node_os_namespaceObject.userInfo)();
        user = info.username;
        home = info.homedir;
    }
    catch {
        // No passwd entry for this uid (some containers): keep the environment's answer.
    }
    return { platform: process.platform, arch: process.arch, uid, user, home };
}
function realSystem() {
    return { exec: { run: runCommand }, files, env: process.env, host: host() };
}

;// CONCATENATED MODULE: ./src/push/upstream.ts
/**
 * "Skip what upstream has": which store paths any upstream cache already holds. HTTP(S) caches get a
 * `HEAD <url>/<hash>.narinfo` per path (200 present, 404/403 absent), many at once over keep-alive
 * connections; a `file://` cache has its directory listed once. Each HTTP upstream is first asked one
 * path alone (the probe, with a short timeout): one that does not answer it (DNS, refused, timeout, an
 * error status) is given up on and reported once, so an offline machine costs one short timeout, not
 * one per path. After that, failures in a row give an upstream up. Every wait is bounded.
 */



const isLive = (u) => u.gaveUp === undefined;
/** Credentials for a host; none when the netrc does not parse (the upstream may then refuse: reported). */
function credentials(netrc, host) {
    try {
        return netrcAuthorization(netrc, host);
    }
    catch {
        return undefined;
    }
}
/** Opens a file:// upstream: its narinfo names, or why it cannot be read. */
async function listFileCache(url, files) {
    const dir = decodeURIComponent(url.pathname);
    if ((await files.kind(dir)) !== 'directory')
        return `${dir} is not a directory`;
    const hashes = new Set();
    for (const name of await files.list(dir)) {
        const match = /^([0-9a-df-np-sv-z]{32})\.narinfo$/.exec(name);
        if (match?.[1] !== undefined)
            hashes.add(match[1]);
    }
    return hashes;
}
async function ask(upstream, hash, fetchLike, timeoutMs, overall) {
    const timeout = AbortSignal.timeout(timeoutMs);
    try {
        const res = await fetchLike(narinfoUrl(upstream.url, hash), {
            method: 'HEAD',
            headers: upstream.authorization === undefined ? {} : { authorization: upstream.authorization },
            redirect: 'follow',
            signal: AbortSignal.any([timeout, upstream.abort.signal, overall]),
        });
        if (res.status === 200)
            return { kind: 'present' };
        // Nix treats 403 as 404 (a bucket without list permission answers 403 for a missing key).
        if (res.status === 404 || res.status === 403)
            return { kind: 'absent' };
        return { kind: 'failed', reason: `HTTP ${res.status}`, timedOut: false };
    }
    catch (error) {
        if (timeout.aborted)
            return { kind: 'failed', reason: `no answer within ${timeoutMs} ms`, timedOut: true };
        return { kind: 'failed', reason: describeFailure(error), timedOut: false };
    }
}
/**
 * Which of `paths` (full store paths) any of `upstreams` (cache URLs; query parameters ignored) has.
 * Upstreams are asked in order, a path no further once one has it. Never throws for an unreachable or
 * unsupported upstream: it is listed in `unreachable` and its paths count as absent.
 */
async function checkUpstream(upstreams, paths, options = {}) {
    const started = external_node_perf_hooks_namespaceObject.performance.now();
    const timeoutMs = options.timeoutMs ?? 5_000;
    const firstTimeoutMs = Math.min(options.firstAnswerTimeoutMs ?? 1_000, timeoutMs);
    const giveUpAfter = Math.max(1, options.giveUpAfter ?? 3);
    const overall = AbortSignal.timeout(options.overallTimeoutMs ?? 60_000);
    const present = new Set();
    const unreachable = [];
    const perUpstream = new Map();
    const state = [];
    const giveUp = (u, reason) => {
        if (u.gaveUp !== undefined)
            return;
        u.gaveUp = reason;
        unreachable.push({ url: u.url, reason });
        u.abort.abort();
    };
    for (const url of [...new Set(upstreams)]) {
        perUpstream.set(url, 0);
        const u = { url, failuresInARow: 0, found: 0, abort: new AbortController() };
        state.push(u);
        let parsed;
        try {
            parsed = new URL(url);
        }
        catch {
            giveUp(u, 'not a URL');
            continue;
        }
        if (parsed.protocol === 'file:') {
            const listed = await listFileCache(parsed, options.files ?? realSystem().files);
            if (typeof listed === 'string')
                giveUp(u, listed);
            else
                u.hashes = listed;
        }
        else if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
            giveUp(u, `${parsed.protocol}// caches cannot be checked (only http, https and file)`);
        }
        else if (options.netrc !== undefined) {
            const authorization = credentials(options.netrc, parsed.hostname);
            if (authorization !== undefined)
                u.authorization = authorization;
        }
    }
    const client = options.fetch === undefined ? createHttpClient() : { fetch: options.fetch, close() { } };
    /** The first request to an upstream; a quick failure is tried once more, a timeout is not. */
    const probeWith = async (u, hash) => {
        let answer = await ask(u, hash, client.fetch, firstTimeoutMs, overall);
        if (answer.kind === 'failed' && !answer.timedOut && !overall.aborted) {
            answer = await ask(u, hash, client.fetch, firstTimeoutMs, overall);
        }
        if (answer.kind === 'failed' && !overall.aborted)
            giveUp(u, answer.reason);
        return answer;
    };
    let checked = 0;
    const checkOne = async (path) => {
        const hash = storeHash(path);
        if (hash === undefined)
            return;
        let decided = false;
        for (const u of state) {
            if (!isLive(u))
                continue;
            let answer;
            if (u.hashes !== undefined) {
                answer = { kind: u.hashes.has(hash) ? 'present' : 'absent' };
            }
            else if (u.probe === undefined) {
                const probe = probeWith(u, hash);
                u.probe = probe;
                answer = await probe;
                if (answer.kind === 'failed')
                    continue;
            }
            else {
                await u.probe;
                if (!isLive(u))
                    continue;
                answer = await ask(u, hash, client.fetch, timeoutMs, overall);
                if (overall.aborted)
                    return;
                if (!isLive(u))
                    continue; // given up while this request was in flight
                if (answer.kind === 'failed') {
                    u.failuresInARow += 1;
                    if (u.failuresInARow >= giveUpAfter)
                        giveUp(u, answer.reason);
                    continue;
                }
            }
            u.failuresInARow = 0;
            decided = true;
            if (answer.kind === 'present') {
                present.add(path);
                perUpstream.set(u.url, (u.found += 1));
                break;
            }
        }
        if (decided)
            checked += 1;
    };
    try {
        if (state.some(isLive))
            await forEachLimit(paths, options.concurrency ?? 32, checkOne, overall);
    }
    finally {
        client.close();
    }
    return {
        present,
        perUpstream,
        unreachable,
        checked,
        timedOut: overall.aborted,
        elapsedMs: Math.round(external_node_perf_hooks_namespaceObject.performance.now() - started),
    };
}

;// CONCATENATED MODULE: ./src/push/uploader-spec.ts
const UPLOADER_SPEC_VERSION = 1;
function filtersOf(spec) {
    return {
        exclude: spec.exclude === undefined ? undefined : new RegExp(spec.exclude, 'u'),
        include: spec.include === undefined ? undefined : new RegExp(spec.include, 'u'),
        derivations: spec.derivations,
    };
}
function parseUploaderSpec(text) {
    const raw = JSON.parse(text);
    if (raw.version !== UPLOADER_SPEC_VERSION)
        throw new Error(`unknown uploader spec version ${String(raw.version)}`);
    for (const key of ['queue', 'url', 'logFile', 'recordFile', 'lifeline']) {
        if (typeof raw[key] !== 'string' || raw[key] === '')
            throw new Error(`spec.${key} must be a non-empty string`);
    }
    if (typeof raw.jobs !== 'number' || raw.jobs < 1)
        throw new Error('spec.jobs must be a positive number');
    return raw;
}
/** The uploader's record, as post reads it (a torn last line is skipped). */
function parseRecord(text) {
    const out = [];
    for (const line of text.split('\n')) {
        if (line.trim() === '')
            continue;
        try {
            const v = JSON.parse(line);
            if (typeof v.path === 'string' && typeof v.narSize === 'number') {
                out.push({
                    path: v.path,
                    narSize: v.narSize,
                    fileSize: typeof v.fileSize === 'number' ? v.fileSize : undefined,
                });
            }
        }
        catch {
            // a line cut short when the uploader was stopped
        }
    }
    return out;
}

;// CONCATENATED MODULE: ./src/system/detached-side.ts
/**
 * The helper's side of system/detached.ts: read the spec from stdin, say `ready` on the descriptor main
 * waits on, and log timestamped lines to the log file (never a secret).
 */

async function readStdin() {
    const chunks = [];
    for await (const chunk of process.stdin)
        chunks.push(chunk);
    return Buffer.concat(chunks).toString('utf8');
}
/** Tells main the helper runs (`readyFd` from the spec; nothing when main did not ask). */
function sayReady(readyFd) {
    if (readyFd === undefined)
        return;
    try {
        (0,external_node_fs_namespaceObject.writeSync)(readyFd, 'ready\n');
        (0,external_node_fs_namespaceObject.closeSync)(readyFd);
    }
    catch {
        // main stopped waiting: it reports that itself
    }
}
/** `<time> <name>[<pid>] <line>` to `fd`; silent once the log is gone with the job's temporary folder. */
function helperLog(fd, name) {
    return (line) => {
        try {
            (0,external_node_fs_namespaceObject.writeSync)(fd, `${new Date().toISOString()} ${name}[${process.pid}] ${line}\n`);
        }
        catch {
            // the log is gone with the job's temporary folder: nothing left to tell
        }
    };
}

;// CONCATENATED MODULE: external "node:string_decoder"
const external_node_string_decoder_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:string_decoder");
;// CONCATENATED MODULE: ./src/system/stream.ts
/**
 * Running a long command whose output is read as it comes: a callback per line of stdout and stderr
 * (nothing is echoed to the log, so a caller decides what may be shown), input on stdin, and an
 * AbortSignal or a timeout that stops the command's whole process group (SIGTERM, then SIGKILL after
 * a grace). Resolves, never rejects, with the exit code and the last lines of stderr.
 */




const DEFAULT_KILL_GRACE_MS = 2000;
const DEFAULT_TAIL_LINES = 20;
/** Calls `onLine` per complete line of a byte stream; `end()` flushes a last unterminated line. */
function lineSplitter(onLine) {
    const decoder = new external_node_string_decoder_namespaceObject.StringDecoder('utf8');
    let rest = '';
    const emit = (text) => {
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
            if (rest !== '')
                onLine(rest);
            rest = '';
        },
    };
}
/** Calls `fn`, swallowing what it throws: a caller's line callback must not break the runner. */
function safely(fn, line) {
    try {
        fn?.(line);
    }
    catch {
        // the caller's problem, not the command's
    }
}
const streamCommand = (command, args, options = {}) => new Promise((resolve) => {
    const tailLines = options.tailLines ?? DEFAULT_TAIL_LINES;
    const grace = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
    const tail = [];
    const tailText = () => tail.map((l) => `${l}\n`).join('');
    if (options.signal?.aborted === true) {
        resolve({ code: 128 + external_node_os_namespaceObject.constants.signals.SIGTERM, timedOut: false, aborted: true, stderrTail: '' });
        return;
    }
    const child = (0,external_node_child_process_namespaceObject.spawn)(command, args, {
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
        if (tail.length > tailLines)
            tail.shift();
        safely(options.onStderrLine, line);
    });
    child.stdout.on('data', out.push);
    child.stderr.on('data', err.push);
    child.stdin.on('error', () => undefined); // the command may exit without reading its input
    child.stdin.end(options.input ?? '');
    let timedOut = false;
    let aborted = false;
    const timers = [];
    const killGroup = (signal) => {
        try {
            if (child.pid !== undefined)
                process.kill(-child.pid, signal);
        }
        catch {
            // already gone
        }
    };
    let settled = false;
    const finish = (result) => {
        if (settled)
            return;
        settled = true;
        for (const t of timers)
            clearTimeout(t);
        options.signal?.removeEventListener('abort', onAbort);
        resolve(result);
    };
    const stop = () => {
        killGroup('SIGTERM');
        timers.push(setTimeout(() => {
            killGroup('SIGKILL');
            // A process that not even SIGKILL ends (stuck in the kernel) must not hang the caller.
            timers.push(setTimeout(() => {
                child.stdout.destroy();
                child.stderr.destroy();
                child.unref();
                finish({ code: 128 + external_node_os_namespaceObject.constants.signals.SIGKILL, timedOut, aborted, stderrTail: tailText() });
            }, grace).unref());
        }, grace).unref());
    };
    function onAbort() {
        if (settled || aborted || timedOut)
            return;
        aborted = true;
        stop();
    }
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.timeoutMs !== undefined) {
        timers.push(setTimeout(() => {
            if (aborted)
                return;
            timedOut = true;
            stop();
        }, options.timeoutMs));
    }
    child.on('error', (error) => {
        err.push(Buffer.from(`${command}: ${error.message}\n`));
        finish({ code: NOT_FOUND_EXIT_CODE, timedOut: false, aborted: false, stderrTail: tailText() });
    });
    child.on('close', (code, signal) => {
        out.end();
        err.end();
        if (timedOut || aborted)
            killGroup('SIGKILL'); // what the command started and left behind
        const exit = timedOut
            ? TIMEOUT_EXIT_CODE
            : (code ?? 128 + (signal === null ? 0 : external_node_os_namespaceObject.constants.signals[signal]));
        finish({ code: exit, timedOut, aborted, stderrTail: tailText() });
    });
});

;// CONCATENATED MODULE: ./src/util/env.ts
/** An environment as a child process takes it: unset variables left out, and those `drop` names too. */
function definedEnv(env, drop) {
    const out = {};
    for (const [k, v] of Object.entries(env))
        if (v !== undefined && drop?.test(k) !== true)
            out[k] = v;
    return out;
}

;// CONCATENATED MODULE: ./src/steps/upload.ts
/**
 * The during-build uploader (dist/upload/index.js), started detached by main when our post-build hook is
 * in place: it reads the hook's queue, finds each build's outputs and their closure, applies post's
 * filters and upstream check, and pushes while the job runs. Post stops it and pushes the rest; every
 * path it pushed is recorded so post can report it. It never holds a secret.
 */















const POLL_MS = 500;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
/** Reads what was appended to the queue since `offset`. */
async function readFrom(path, offset) {
    const handle = await (0,promises_namespaceObject.open)(path, 'r').catch(() => undefined);
    if (handle === undefined)
        return { text: '', offset };
    try {
        const { size } = await handle.stat();
        if (size <= offset)
            return { text: '', offset: size < offset ? 0 : offset };
        const buffer = Buffer.alloc(size - offset);
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
        return { text: buffer.subarray(0, bytesRead).toString('utf8'), offset: offset + bytesRead };
    }
    finally {
        await handle.close();
    }
}
/** The outputs of queued builds: given by the hook, or asked of the store (Nix 2.8 gives none). */
async function outputsOf(builds, env) {
    const outputs = new Set(builds.flatMap((b) => b.outputs));
    const drvs = builds.filter((b) => b.outputs.length === 0 && b.drv !== undefined).map((b) => b.drv ?? '');
    if (drvs.length > 0) {
        const res = await runCommand('nix-store', ['--query', '--outputs', ...drvs], { env, timeoutMs: 60_000 });
        for (const line of res.stdout.split('\n'))
            if (line.startsWith('/'))
                outputs.add(line.trim());
    }
    return [...outputs];
}
async function run() {
    let spec;
    try {
        spec = parseUploaderSpec(await readStdin());
    }
    catch (error) {
        process.stderr.write(`nix-cache-action uploader: ${errorMessage(error)}\n`);
        process.exit(2);
    }
    const log = helperLog((0,external_node_fs_namespaceObject.openSync)(spec.logFile, 'a', 0o600), 'uploader');
    const env = { ...definedEnv(process.env), ...spec.env };
    const filters = filtersOf(spec);
    // The cache without our store parameters (the proxy, if any, stands in for it) and those parameters.
    const at = spec.url.indexOf('?');
    const cacheUrl = at === -1 ? spec.url : spec.url.slice(0, at);
    const params = at === -1 ? '' : spec.url.slice(at);
    const readNetrc = cachedFor(async () => {
        for (const file of spec.netrcFiles) {
            const text = await (0,promises_namespaceObject.readFile)(file, 'utf8').catch(() => undefined);
            if (text !== undefined)
                return text;
        }
        return undefined;
    });
    const stop = new AbortController();
    process.on('SIGTERM', () => {
        stop.abort();
    });
    process.on('SIGHUP', () => undefined);
    sayReady(spec.readyFd);
    log(`started: reading ${spec.queue}; ends when ${spec.lifeline} is gone`);
    const handled = new Set(); // pushed, present, skipped or failed: not tried again here
    const upstreamHas = new Set();
    let offset = 0;
    let rest = '';
    let pushedCount = 0;
    while (!stop.signal.aborted && (0,external_node_fs_namespaceObject.existsSync)(spec.lifeline)) {
        const read = await readFrom(spec.queue, offset);
        offset = read.offset;
        const { builds, rest: left } = parseQueue(rest + read.text);
        rest = left;
        if (builds.length === 0) {
            await sleep(POLL_MS);
            continue;
        }
        try {
            const roots = (await outputsOf(builds, env)).filter((p) => !handled.has(p));
            if (roots.length === 0)
                continue;
            const { valid } = await queryPathInfo({ run: runCommand }, roots, { closure: true, env });
            const validSet = new Set(valid.map((p) => p.path));
            const found = roots.filter((p) => validSet.has(p));
            const closure = valid.filter((p) => !handled.has(p.path));
            const first = selectPush(found, closure, filters, upstreamHas);
            if (spec.upstream.length > 0 && first.toPush.length > 0) {
                const check = await checkUpstream(spec.upstream, first.toPush.map((p) => p.path));
                for (const p of check.present)
                    upstreamHas.add(p);
            }
            const chosen = selectPush(found, closure, filters, upstreamHas);
            if (chosen.toPush.length === 0) {
                for (const p of chosen.skipped.keys())
                    handled.add(p);
                continue;
            }
            const target = await pushTarget(cacheUrl, chosen, readNetrc);
            const selection = target.selection;
            for (const p of selection.skipped.keys())
                handled.add(p);
            const outcome = await pushPaths(selection.toPush, {
                url: `${target.url}${params}`,
                env,
                jobs: spec.jobs,
                deadline: Date.now() + 3_600_000,
                run: streamCommand,
                signal: stop.signal,
                log,
            }).finally(() => target.close());
            for (const p of outcome.pushed) {
                (0,external_node_fs_namespaceObject.appendFileSync)(spec.recordFile, `${JSON.stringify(p)}\n`, { mode: 0o644 });
                handled.add(p.path);
            }
            for (const p of outcome.present)
                handled.add(p);
            pushedCount += outcome.pushed.length;
            log(`pushed ${outcome.pushed.length} path(s) (${outcome.present.length} already there, ${outcome.failed.length} failed) ` +
                `for ${builds.length} build(s)`);
        }
        catch (error) {
            log(`a batch failed: ${errorMessage(error)}; post pushes what is missing`);
        }
    }
    log(`exiting (${stop.signal.aborted ? 'stopped' : 'job over'}) after pushing ${pushedCount} path(s)`);
    process.exit(0);
}


/***/ }),

/***/ 550:
/***/ ((module, __unused_webpack___webpack_exports__, __nccwpck_require__) => {

__nccwpck_require__.a(module, async (__webpack_handle_async_dependencies__, __webpack_async_result__) => { try {
/* harmony import */ var _steps_upload_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(7);

await (0,_steps_upload_js__WEBPACK_IMPORTED_MODULE_0__/* .run */ .e)();

__webpack_async_result__();
} catch(e) { __webpack_async_result__(e); } }, 1);

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
/******/ /* webpack/runtime/compat get default export */
/******/ (() => {
/******/ 	// getDefaultExport function for compatibility with non-harmony modules
/******/ 	__nccwpck_require__.n = (module) => {
/******/ 		var getter = module && module.__esModule ?
/******/ 			() => (module['default']) :
/******/ 			() => (module);
/******/ 		__nccwpck_require__.d(getter, { a: getter });
/******/ 		return getter;
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
/******/ var __webpack_exports__ = __nccwpck_require__(550);
/******/ __webpack_exports__ = await __webpack_exports__;
/******/ 
