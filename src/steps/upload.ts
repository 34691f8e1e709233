/**
 * The during-build uploader (dist/upload/index.js), started detached by main when our post-build hook is
 * in place: it reads the hook's queue, finds each build's outputs and their closure, applies post's
 * filters and upstream check, and pushes while the job runs. Post stops it and pushes the rest; every
 * path it pushed is recorded so post can report it. It never holds a secret.
 */
import { appendFileSync, existsSync, openSync } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { type QueuedBuild, parseQueue } from '../push/hook.js';
import { queryPathInfo } from '../push/path-info.js';
import { pushPaths } from '../push/schedule.js';
import { selectPush } from '../push/select.js';
import { pushTarget } from '../push/target.js';
import { cachedFor } from '../util/cached.js';
import { checkUpstream } from '../push/upstream.js';
import { type UploaderSpec, filtersOf, parseUploaderSpec } from '../push/uploader-spec.js';
import { helperLog, readStdin, sayReady } from '../system/detached-side.js';
import { runCommand } from '../system/exec.js';
import { streamCommand } from '../system/stream.js';
import { definedEnv } from '../util/env.js';
import { errorMessage } from '../util/errors.js';

const POLL_MS = 500;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Reads what was appended to the queue since `offset`. */
async function readFrom(path: string, offset: number): Promise<{ text: string; offset: number }> {
  const handle = await open(path, 'r').catch(() => undefined);
  if (handle === undefined) return { text: '', offset };
  try {
    const { size } = await handle.stat();
    if (size <= offset) return { text: '', offset: size < offset ? 0 : offset };
    const buffer = Buffer.alloc(size - offset);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, offset);
    return { text: buffer.subarray(0, bytesRead).toString('utf8'), offset: offset + bytesRead };
  } finally {
    await handle.close();
  }
}

/** The outputs of queued builds: given by the hook, or asked of the store (Nix 2.8 gives none). */
async function outputsOf(builds: readonly QueuedBuild[], env: Record<string, string>): Promise<string[]> {
  const outputs = new Set(builds.flatMap((b) => b.outputs));
  const drvs = builds.filter((b) => b.outputs.length === 0 && b.drv !== undefined).map((b) => b.drv ?? '');
  if (drvs.length > 0) {
    const res = await runCommand('nix-store', ['--query', '--outputs', ...drvs], { env, timeoutMs: 60_000 });
    for (const line of res.stdout.split('\n')) if (line.startsWith('/')) outputs.add(line.trim());
  }
  return [...outputs];
}

export async function run(): Promise<void> {
  let spec: UploaderSpec;
  try {
    spec = parseUploaderSpec(await readStdin());
  } catch (error: unknown) {
    process.stderr.write(`nix-cache-action uploader: ${errorMessage(error)}\n`);
    process.exit(2);
  }
  const log = helperLog(openSync(spec.logFile, 'a', 0o600), 'uploader');
  const env = { ...definedEnv(process.env), ...spec.env };
  const filters = filtersOf(spec);
  // The cache without our store parameters (the proxy, if any, stands in for it) and those parameters.
  const at = spec.url.indexOf('?');
  const cacheUrl = at === -1 ? spec.url : spec.url.slice(0, at);
  const params = at === -1 ? '' : spec.url.slice(at);
  const readNetrc = cachedFor(async () => {
    for (const file of spec.netrcFiles) {
      const text = await readFile(file, 'utf8').catch(() => undefined);
      if (text !== undefined) return text;
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

  const handled = new Set<string>(); // pushed, present, skipped or failed: not tried again here
  const upstreamHas = new Set<string>();
  let offset = 0;
  let rest = '';
  let pushedCount = 0;
  while (!stop.signal.aborted && existsSync(spec.lifeline)) {
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
      if (roots.length === 0) continue;
      const { valid } = await queryPathInfo({ run: runCommand }, roots, { closure: true, env });
      const validSet = new Set(valid.map((p) => p.path));
      const found = roots.filter((p) => validSet.has(p));
      const closure = valid.filter((p) => !handled.has(p.path));
      const first = selectPush(found, closure, filters, upstreamHas);
      if (spec.upstream.length > 0 && first.toPush.length > 0) {
        const check = await checkUpstream(
          spec.upstream,
          first.toPush.map((p) => p.path),
        );
        for (const p of check.present) upstreamHas.add(p);
      }
      const chosen = selectPush(found, closure, filters, upstreamHas);
      if (chosen.toPush.length === 0) {
        for (const p of chosen.skipped.keys()) handled.add(p);
        continue;
      }
      const target = await pushTarget(cacheUrl, chosen, readNetrc);
      const selection = target.selection;
      for (const p of selection.skipped.keys()) handled.add(p);
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
        appendFileSync(spec.recordFile, `${JSON.stringify(p)}\n`, { mode: 0o644 });
        handled.add(p.path);
      }
      for (const p of outcome.present) handled.add(p);
      pushedCount += outcome.pushed.length;
      log(
        `pushed ${outcome.pushed.length} path(s) (${outcome.present.length} already there, ${outcome.failed.length} failed) ` +
          `for ${builds.length} build(s)`,
      );
    } catch (error: unknown) {
      log(`a batch failed: ${errorMessage(error)}; post pushes what is missing`);
    }
  }
  log(`exiting (${stop.signal.aborted ? 'stopped' : 'job over'}) after pushing ${pushedCount} path(s)`);
  process.exit(0);
}
