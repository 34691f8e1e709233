import { describe, expect, it } from '@jest/globals';
import { parseStoreUrl } from '../../../src/config/validate.js';
import { formatBytes, heartbeatLine, pushRows, type PushReport } from '../../../src/push/report.js';
import type { PathInfo, PushSelection } from '../../../src/push/types.js';
import { parseRecord } from '../../../src/push/uploader-spec.js';
import { pushAfterLogin } from '../../../src/steps/push-prepare.js';

const p = (name: string, narSize = 100): PathInfo => ({
  path: `/nix/store/${'a'.repeat(31)}${name.length}-${name}`,
  narHash: 'sha256-x',
  narSize,
  references: [],
});

function report(over: Partial<PushReport> = {}): PushReport {
  const app = p('app', 3 * 1024 * 1024);
  const lib = p('lib', 2048);
  const src = p('source', 10);
  const selection: PushSelection = {
    found: [app.path, lib.path, src.path],
    closure: [app, lib, src],
    skipped: new Map([
      [src.path, 'filtered'],
      [`${src.path}.drv`, 'derivation'],
    ]),
    toPush: [lib, app],
  };
  return {
    cache: 'https://cache.example.com',
    selection,
    upstream: { skipped: 0, unreachable: [] },
    outcome: {
      pushed: [{ path: app.path, narSize: app.narSize, fileSize: 1024 * 1024 }],
      present: [lib.path],
      failed: [],
      timedOut: false,
      elapsedMs: 2000,
    },
    early: [],
    verify: { checked: 1, ok: 1, problems: [] },
    prepareMs: 150,
    ...over,
  };
}

const row = (rows: readonly (readonly [string, string])[], label: string): string | undefined =>
  rows.find(([l]) => l === label)?.[1];

describe('push report', () => {
  it('counts what was found, left out, already there and pushed, with bytes and throughput', () => {
    const rows = pushRows(report());
    expect(row(rows, 'New store paths')).toBe('3');
    expect(row(rows, 'Filtered out')).toBe('1');
    expect(row(rows, 'Derivations left out')).toBe('1');
    expect(row(rows, 'Already in the cache')).toBe('1');
    expect(row(rows, 'Pushed by the post step')).toBe('1');
    expect(row(rows, 'NAR bytes pushed')).toBe('3.0 MiB');
    expect(row(rows, 'Compressed bytes')).toBe('1.0 MiB');
    expect(row(rows, 'Push time')).toBe('2.0 s (+ 150 ms to prepare)');
    expect(row(rows, 'Throughput')).toBe('1.5 MiB/s');
    expect(row(rows, 'Verified')).toBe('1/1');
    expect(row(rows, 'Largest pushed')).toBe('app (3.0 MiB)');
  });

  it('does not count what the uploader pushed during the build as already there', () => {
    const base = report();
    const lib = base.selection.toPush[0];
    const rows = pushRows(report({ early: [{ path: lib?.path ?? '', narSize: 2048, fileSize: undefined }] }));
    expect(row(rows, 'Pushed during the build')).toBe('1');
    expect(row(rows, 'Already in the cache')).toBe('0');
    expect(row(rows, 'Compressed bytes')).toBe('1.0 MiB (partly known)');
  });

  it('names the drain bound and unreachable upstreams', () => {
    const base = report();
    const rows = pushRows(
      report({
        upstream: { skipped: 2, unreachable: ['https://cache.nixos.org'] },
        outcome: { ...base.outcome, timedOut: true },
      }),
    );
    expect(row(rows, 'Drain bound')).toMatch(/reached/);
    expect(row(rows, 'Upstream not reached')).toBe('https://cache.nixos.org');
    expect(row(rows, 'Skipped (upstream has them)')).toBe('2');
  });

  it('formats bytes and heartbeats', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(
      heartbeatLine({
        done: 3,
        total: 10,
        bytesDone: 2048,
        bytesTotal: 4096,
        inFlight: [p('a').path, p('b').path, p('c').path, p('d').path],
        elapsedMs: 31_000,
      }),
    ).toBe('still pushing after 31.0 s: 3/10 paths, 2.0 KiB of 4.0 KiB; uploading a, b, c and 1 more');
  });
});

describe('uploader record', () => {
  it('reads complete lines and skips a torn last one', () => {
    expect(
      parseRecord(
        '{"path":"/nix/store/x-a","narSize":5,"fileSize":3}\n{"path":"/nix/store/y-b","narSize":7}\n{"pa',
      ),
    ).toEqual([
      { path: '/nix/store/x-a', narSize: 5, fileSize: 3 },
      { path: '/nix/store/y-b', narSize: 7, fileSize: undefined },
    ]);
  });
});

describe('push after the login', () => {
  const cache = parseStoreUrl('cache', 'https://cache.example.com');
  const state = { storeDir: '/nix/store', snapshot: '/tmp/s' };
  it('pushes to the cache as Nix is given it', () => {
    expect(pushAfterLogin(state, { mode: { kind: 'static-token' } } as never, cache)).toEqual({
      ...state,
      cache: 'https://cache.example.com',
    });
  });
  it('pushes nothing in pull-only mode, and says why', () => {
    const out = pushAfterLogin(
      state,
      { mode: { kind: 'none' }, pullOnly: true, reason: 'a pull request from a fork' },
      cache,
    );
    expect(out.skip).toBe('pull-only mode: a pull request from a fork');
    expect(out.cache).toBeUndefined();
  });
  it('keeps an earlier reason', () => {
    expect(
      pushAfterLogin(
        { storeDir: '/nix/store', skip: "input 'push' is false" },
        { mode: { kind: 'none' } } as never,
        cache,
      ).skip,
    ).toBe("input 'push' is false");
  });
});
