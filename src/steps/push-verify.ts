/**
 * "Does a fresh machine substitute this?", automated: each pushed path's narinfo read back from the cache
 * with the credentials the daemon reads (its netrc; for s3://, the session of the action's AWS profile),
 * and its signature checked against the trusted keys.
 */
import * as core from '@actions/core';
import type { OwnedFiles } from '../config/files.js';
import type { Inputs } from '../inputs.js';
import type { VerifySummary } from '../push/report.js';
import type { PathInfo, VerifyReport } from '../push/types.js';
import { verifyPushed } from '../push/verify.js';
import type { MainState } from '../state.js';
import { cachedFor } from '../util/cached.js';
import type { AwsFiles } from './paths.js';

/**
 * The netrc text with the cache's credentials: from the copy `first` owns (`root`: the daemon's, what
 * substitution will use; `user`: the job user's, the same entry without a sudo round trip), else the other.
 */
export async function cacheNetrc(
  state: MainState,
  files: OwnedFiles,
  first: 'root' | 'user',
): Promise<string | undefined> {
  const records = (state.config?.credentials ?? []).filter((c) => c.kind !== 'aws-profile');
  const second = first === 'root' ? 'user' : 'root';
  const ordered = [...records.filter((c) => c.owner === first), ...records.filter((c) => c.owner === second)];
  for (const record of ordered) {
    const text = await files.read(record.owner, record.path).catch(() => undefined);
    if (text !== undefined) return text;
  }
  return undefined;
}

export function summarize(report: VerifyReport, checked: number): VerifySummary {
  if (!report.verifiable) return { checked, ok: 0, problems: [], note: `not read back: ${report.reason}` };
  const problems = [
    ...report.missing.map((p) => `${p}: no narinfo in the cache`),
    ...report.badSignature.map((p) => `${p}: no signature by a trusted key`),
    ...report.mismatch.map((m) => `${m.path}: ${m.why}`),
    ...report.unreadable.map((m) => `${m.path}: not read (${m.why})`),
  ];
  return {
    checked,
    ok: report.ok.length,
    problems,
    ...(report.checks === 'presence' ? { note: 'presence and content only: no public key to check' } : {}),
  };
}

/** One report from the reports of several batches (the first unverifiable one wins: same cache, same reason). */
export function mergeReports(reports: readonly VerifyReport[]): VerifyReport | undefined {
  let merged: VerifyReport | undefined;
  for (const r of reports) {
    if (!r.verifiable) return r;
    merged =
      merged === undefined || !merged.verifiable
        ? r
        : {
            verifiable: true,
            checks: merged.checks === 'signatures' && r.checks === 'signatures' ? 'signatures' : 'presence',
            ok: [...merged.ok, ...r.ok],
            missing: [...merged.missing, ...r.missing],
            badSignature: [...merged.badSignature, ...r.badSignature],
            mismatch: [...merged.mismatch, ...r.mismatch],
            unreadable: [...merged.unreadable, ...r.unreadable],
            elapsedMs: Math.max(merged.elapsedMs, r.elapsedMs),
          };
  }
  return merged;
}

export interface Verifier {
  /** A path is in the cache now: read it back while the push goes on. */
  add(path: PathInfo): void;
  /** Reads back `more` too, waits for every read and says what they found. */
  finish(more: readonly PathInfo[]): Promise<VerifySummary>;
}

/**
 * Verification pipelined with the push: pushed paths are read back in batches while later ones upload,
 * so the check costs the post step little more than its last batch.
 */
export function createVerifier(
  state: MainState,
  cache: string,
  inputs: Inputs,
  files: OwnedFiles,
  aws: AwsFiles | undefined,
  batch = 64,
): Verifier {
  const signing = inputs.push.signingKey?.publicKey;
  const publicKeys = signing === undefined ? inputs.publicKeys : [...inputs.publicKeys, signing];
  const netrc = cachedFor(() => cacheNetrc(state, files, 'root'));
  const running: Promise<VerifyReport>[] = [];
  let pending: PathInfo[] = [];
  let checked = 0;
  const flush = (): void => {
    if (pending.length === 0) return;
    const paths = pending;
    pending = [];
    checked += paths.length;
    running.push(
      netrc().then((text) =>
        verifyPushed({
          cacheUrl: cache,
          paths,
          publicKeys,
          ...(text === undefined ? {} : { netrc: text }),
          ...(aws === undefined ? {} : { aws }),
        }),
      ),
    );
  };
  return {
    add(path) {
      pending.push(path);
      if (pending.length >= batch) flush();
    },
    async finish(more) {
      pending.push(...more);
      flush();
      const report = mergeReports(await Promise.all(running));
      const summary = report === undefined ? { checked: 0, ok: 0, problems: [] } : summarize(report, checked);
      core.info(
        `Read back ${summary.checked} narinfo(s): ${summary.ok} ok${summary.note === undefined ? '' : ` (${summary.note})`}, ${summary.problems.length} problem(s).`,
      );
      return summary;
    },
  };
}
