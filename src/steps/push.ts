/**
 * The post step's push: what the job added to the store since main, its closure, filtered, less what an
 * upstream cache has, copied to the cache (credentials renewed first, signed, compressed, in parallel,
 * references first), read back and checked, and one table saying what happened.
 */
import * as core from '@actions/core';
import type { OwnedFiles } from '../config/files.js';
import type { Inputs } from '../inputs.js';
import { queryPathInfo } from '../push/path-info.js';
import { type PushReport, heartbeatLine, pushRows } from '../push/report.js';
import { pushPaths } from '../push/schedule.js';
import { selectPush } from '../push/select.js';
import { newSinceSnapshot } from '../push/snapshot.js';
import type { PathInfo, PushOutcome } from '../push/types.js';
import { checkUpstream } from '../push/upstream.js';
import { displayUrl } from '../push/url.js';
import { logRows, writeSummaryTable } from '../report/summary.js';
import type { MainState, PushState, UploaderState } from '../state.js';
import type { RecordedPush } from '../push/uploader-spec.js';
import { streamCommand } from '../system/stream.js';
import type { System } from '../system/types.js';
import { definedEnv } from '../util/env.js';
import { errorMessage } from '../util/errors.js';
import {
  cacheAwsFiles,
  cacheEnv,
  pushUrl,
  removePushCacheHome,
  removeSigningKey,
  stopUploader,
  writeSigningKey,
} from './push-uploader.js';
import { renewBeforePush } from './push-renew.js';
import { cacheNetrc, createVerifier } from './push-verify.js';
import { pushTarget } from '../push/target.js';
import { cachedFor } from '../util/cached.js';

export interface PushResult {
  readonly report: PushReport | undefined;
  /** A failure worth the job's attention (warning or error, as the inputs say). */
  readonly problem: string | undefined;
}

const HEARTBEAT_MS = 30_000;

/** The environment `nix copy` runs with: the job's, plus the AWS files of our profile for an s3:// cache. */
function copyEnv(sys: System, cache: string): Record<string, string> {
  return { ...definedEnv(sys.env), ...cacheEnv(sys, cache) };
}

export async function pushStage(
  sys: System,
  state: MainState,
  push: PushState & { snapshot: string; cache: string },
  inputs: Inputs,
  files: OwnedFiles,
  early: readonly RecordedPush[] = [],
): Promise<PushResult> {
  const started = Date.now();
  const env = copyEnv(sys, push.cache);
  const settings = inputs.push;

  // The snapshot is read while the store is listed.
  const candidates = await newSinceSnapshot(push.snapshot, push.storeDir);
  if (candidates === undefined) {
    return {
      report: undefined,
      problem: `the store listing main saved (${push.snapshot}) is gone: nothing pushed`,
    };
  }
  const discovered = await core.group('Find what the job added to the store', async () => {
    // Unless derivations are pushed, their closure (sources, builders) is not what the job built.
    const asked = settings.filters.derivations ? candidates : candidates.filter((p) => !p.endsWith('.drv'));
    const { valid, invalid } = await queryPathInfo(sys.exec, asked, { closure: true, env });
    const invalidSet = new Set(invalid);
    const found = candidates.filter((p) => !invalidSet.has(p));
    core.info(
      `${candidates.length} new store entr${candidates.length === 1 ? 'y' : 'ies'}, ${found.length} valid; closure of ${valid.length} path(s).`,
    );
    return { found, closure: valid };
  });

  const noUpstream = new Set<string>();
  const first = selectPush(discovered.found, discovered.closure, settings.filters, noUpstream);
  const upstream =
    settings.upstream.length === 0 || first.toPush.length === 0
      ? { present: noUpstream, unreachable: [] as { url: string; reason: string }[] }
      : await core.group('Check upstream caches', async () => {
          const result = await checkUpstream(
            settings.upstream.map((u) => u.url),
            first.toPush.map((p) => p.path),
          );
          core.info(
            `${result.present.size} of ${first.toPush.length} path(s) are in an upstream cache: not pushed.`,
          );
          for (const u of result.unreachable)
            core.warning(`Upstream cache ${u.url} not reached (${u.reason}).`);
          return result;
        });
  const chosen = selectPush(discovered.found, discovered.closure, settings.filters, upstream.present);

  let outcome: PushOutcome = { pushed: [], present: [], failed: [], timedOut: false, elapsedMs: 0 };
  const prepareMs = Date.now() - started;
  let selection = chosen;
  // Read back while the push goes on (the uploader's paths are checked at the end).
  const verifier = settings.verify
    ? createVerifier(state, push.cache, inputs, files, cacheAwsFiles(sys, push.cache))
    : undefined;
  if (chosen.toPush.length > 0) {
    await renewBeforePush(state, files);
    const target = await pushTarget(
      push.cache,
      chosen,
      cachedFor(() => cacheNetrc(state, files, 'user')),
    );
    selection = target.selection;
    if (target.note !== undefined) core.info(target.note);
    const key =
      settings.signingKey === undefined ? undefined : await writeSigningKey(sys, settings.signingKey.secret);
    try {
      outcome = await core.group(`Push ${selection.toPush.length} path(s) to ${displayUrl(push.cache)}`, () =>
        pushPaths(selection.toPush, {
          url: pushUrl(target.url, settings, key),
          env,
          jobs: settings.jobs,
          deadline: Date.now() + settings.timeoutSeconds * 1000,
          heartbeatMs: HEARTBEAT_MS,
          onHeartbeat: (p) => {
            core.info(heartbeatLine(p));
          },
          log: (line) => {
            core.info(line);
          },
          ...(verifier === undefined
            ? {}
            : {
                onPushed: (info: PathInfo) => {
                  verifier.add(info);
                },
              }),
          run: streamCommand,
        }),
      );
    } finally {
      await removeSigningKey(sys);
      await target.close();
    }
  } else {
    core.info('Nothing to push.');
  }

  // What the uploader put in the cache while the job ran; the post step's own paths are being read already.
  const earlySet = new Set(early.map((p) => p.path));
  const fromUploader = selection.toPush.filter((p) => earlySet.has(p.path));
  const verify =
    verifier !== undefined && outcome.pushed.length + fromUploader.length > 0
      ? await core.group('Verify the pushed paths', () => verifier.finish(fromUploader))
      : undefined;

  const report: PushReport = {
    cache: displayUrl(push.cache),
    selection,
    upstream: {
      skipped: [...selection.skipped.values()].filter((r) => r === 'upstream').length,
      unreachable: upstream.unreachable.map((u) => u.url),
    },
    outcome,
    early,
    verify,
    prepareMs,
  };
  return { report, problem: problemOf(report) };
}

function problemOf(report: PushReport): string | undefined {
  const { outcome, verify } = report;
  const parts: string[] = [];
  if (outcome.failed.length > 0) {
    const shown = outcome.failed.slice(0, 10).map((f) => `  ${f.path}: ${f.reason}`);
    const more = outcome.failed.length > 10 ? [`  … and ${outcome.failed.length - 10} more`] : [];
    parts.push(
      `${outcome.failed.length} path(s) were not pushed${outcome.timedOut ? " (the 'push-timeout' bound was reached)" : ''}:\n${[...shown, ...more].join('\n')}`,
    );
  }
  if (verify !== undefined && verify.problems.length > 0) {
    parts.push(
      `${verify.problems.length} pushed path(s) failed verification:\n  ${verify.problems.slice(0, 10).join('\n  ')}`,
    );
  }
  return parts.length === 0 ? undefined : parts.join('\n');
}

/** Post's push: runs it when main said so, reports it, and turns a failure into a warning or an error. */
export async function runPush(
  sys: System,
  state: MainState,
  inputs: Inputs,
  files: OwnedFiles,
): Promise<void> {
  const push = state.push;
  if (push === undefined) return;
  if (push.skip !== undefined || push.snapshot === undefined || push.cache === undefined) {
    core.info(`Push skipped: ${push.skip ?? 'nothing to push to'}.`);
    return;
  }
  let result: PushResult;
  try {
    const early =
      push.uploader === undefined
        ? []
        : await core.group('Stop the during-build uploader', () =>
            stopUploader(push.uploader as UploaderState, files),
          );
    result = await pushStage(
      sys,
      state,
      { ...push, snapshot: push.snapshot, cache: push.cache },
      inputs,
      files,
      early,
    );
  } catch (error: unknown) {
    result = { report: undefined, problem: `the push stopped: ${errorMessage(error)}` };
  } finally {
    // The uploader's copy of the key, or ours: gone whatever happened; so is Nix's memory of the cache.
    for (const [what, remove] of [
      ['the signing key', removeSigningKey],
      ["the push's narinfo disk cache", removePushCacheHome],
    ] as const) {
      await remove(sys).catch((error: unknown) => {
        core.warning(`Could not remove ${what}: ${errorMessage(error)}`);
      });
    }
  }
  if (result.report !== undefined) {
    const rows = pushRows(result.report);
    logRows(rows);
    if (inputs.jobSummary) await writeSummaryTable('Nix cache push', rows);
  }
  if (result.problem === undefined) return;
  const advice = inputs.push.failOnError
    ? ''
    : " The job keeps its status (set 'fail-on-push-error: true' to fail it).";
  const message = `Push to the cache: ${result.problem}${advice}`;
  if (inputs.push.failOnError) core.setFailed(message);
  else core.warning(message);
}
