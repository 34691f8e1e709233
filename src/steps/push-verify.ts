/**
 * "Does a fresh machine substitute this?", automated: each pushed path's narinfo read back from the cache
 * with the credentials the daemon reads (its netrc), and its signature checked against the trusted keys.
 */
import * as core from '@actions/core';
import type { OwnedFiles } from '../config/files.js';
import type { Inputs } from '../inputs.js';
import type { VerifySummary } from '../push/report.js';
import type { PathInfo, VerifyReport } from '../push/types.js';
import { verifyPushed } from '../push/verify.js';
import type { MainState } from '../state.js';

/**
 * The cache's netrc text: the daemon's (root's copy first: what substitution will use), else the job user's
 * copy. `userFirst` reads the user's own copy first (the same entry, no sudo round trip).
 */
export async function daemonNetrc(
  state: MainState,
  files: OwnedFiles,
  userFirst = false,
): Promise<string | undefined> {
  const records = (state.config?.credentials ?? []).filter((c) => c.kind !== 'aws-profile');
  const [first, second] = userFirst ? (['user', 'root'] as const) : (['root', 'user'] as const);
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

export async function verifyStage(
  state: MainState,
  cache: string,
  paths: readonly PathInfo[],
  inputs: Inputs,
  files: OwnedFiles,
): Promise<VerifySummary> {
  const signing = inputs.push.signingKey?.publicKey;
  const publicKeys = signing === undefined ? inputs.publicKeys : [...inputs.publicKeys, signing];
  const netrc = await daemonNetrc(state, files);
  const report = await verifyPushed({
    cacheUrl: cache,
    paths,
    publicKeys,
    ...(netrc === undefined ? {} : { netrc }),
  });
  const summary = summarize(report, paths.length);
  core.info(
    `Read back ${summary.checked} narinfo(s): ${summary.ok} ok${summary.note === undefined ? '' : ` (${summary.note})`}, ${summary.problems.length} problem(s).`,
  );
  return summary;
}
