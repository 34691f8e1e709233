import { describe, expect, it } from '@jest/globals';
import type { VerifyReport } from '../../../src/push/types.js';
import { mergeReports, summarize } from '../../../src/steps/push-verify.js';

const batch = (over: Partial<Extract<VerifyReport, { verifiable: true }>>): VerifyReport => ({
  verifiable: true,
  checks: 'signatures',
  ok: [],
  missing: [],
  badSignature: [],
  mismatch: [],
  unreadable: [],
  elapsedMs: 10,
  ...over,
});

describe('pipelined verification reports', () => {
  it('adds up batches, and presence-only anywhere makes the whole presence-only', () => {
    const merged = mergeReports([
      batch({ ok: ['/nix/store/a'], elapsedMs: 30 }),
      batch({ ok: ['/nix/store/b'], missing: ['/nix/store/c'], checks: 'presence' }),
    ]);
    expect(merged).toMatchObject({
      checks: 'presence',
      ok: ['/nix/store/a', '/nix/store/b'],
      missing: ['/nix/store/c'],
    });
    const summary = summarize(merged as VerifyReport, 3);
    expect(summary).toMatchObject({ checked: 3, ok: 2 });
    expect(summary.problems).toEqual(['/nix/store/c: no narinfo in the cache']);
    expect(summary.note).toMatch(/presence/);
  });

  it('passes an unverifiable cache on, and nothing for no batch', () => {
    expect(mergeReports([batch({}), { verifiable: false, reason: 's3:// is read by Nix only' }])).toEqual({
      verifiable: false,
      reason: 's3:// is read by Nix only',
    });
    expect(mergeReports([])).toBeUndefined();
  });
});
