/**
 * The books of one push: every path of it with its references in the push, what became of it (pushed,
 * present, failed with a reason, which fails everything that references it too), and the progress
 * counts for the heartbeat.
 */
import { pathWeight, type PlanNode } from './batches.js';
import type { FailedPath, PathInfo, PushedPath, PushProgress } from './types.js';

export interface Node extends PlanNode {
  readonly info: PathInfo;
  /** Paths of the push that reference this one. */
  readonly dependents: string[];
  state: 'pending' | 'running' | 'done' | 'failed';
  /** Failed tries this path was blamed for. */
  failures: number;
  /** Not to be tried again before this time (a backoff). */
  notBefore: number;
  /** Some copy started uploading it (so finding it in the cache later means this push put it there). */
  tried: boolean;
}

export class Ledger {
  private readonly nodes = new Map<string, Node>();
  /** References first, as given. */
  readonly order: readonly Node[];
  readonly pushed: PushedPath[] = [];
  readonly present: string[] = [];
  readonly failed: FailedPath[] = [];
  private bytesDone = 0;
  private readonly bytesTotal: number;

  constructor(paths: readonly PathInfo[]) {
    const inPush = new Set(paths.map((p) => p.path));
    for (const info of paths) {
      if (this.nodes.has(info.path)) continue;
      const refs = [...new Set(info.references)].filter((r) => r !== info.path && inPush.has(r));
      const weight = pathWeight(info.narSize);
      const fresh = { state: 'pending', failures: 0, notBefore: 0, tried: false } as const;
      this.nodes.set(info.path, { path: info.path, info, refs, weight, dependents: [], ...fresh });
    }
    for (const n of this.nodes.values()) for (const r of n.refs) this.nodes.get(r)?.dependents.push(n.path);
    this.order = [...this.nodes.values()];
    this.bytesTotal = this.order.reduce((sum, n) => sum + n.info.narSize, 0);
  }

  get(path: string): Node | undefined {
    return this.nodes.get(path);
  }

  has(path: string): boolean {
    return this.nodes.has(path);
  }

  readonly isDone = (path: string): boolean => this.nodes.get(path)?.state === 'done';

  /** In the cache now: `found` there by a copy (present, unless this push had started uploading it). */
  done(n: Node, found: boolean, fileSize: number | undefined): void {
    n.state = 'done';
    this.bytesDone += n.info.narSize;
    if (found && !n.tried) this.present.push(n.path);
    else {
      this.pushed.push({ path: n.path, narSize: n.info.narSize, fileSize });
      this.onPushed?.(n.info);
    }
  }

  /** Told about each path this push put in the cache, as soon as it is there. */
  onPushed: ((info: PathInfo) => void) | undefined;

  /** Fails `first`, and everything that references it (never uploaded now) with it as the reason. */
  fail(first: Node, reason: string): void {
    const queue = [first];
    for (let n = queue.shift(); n !== undefined; n = queue.shift()) {
      if (n.state === 'done' || n.state === 'failed') continue;
      n.state = 'failed';
      this.failed.push({ path: n.path, reason: n === first ? reason : `a reference failed: ${first.path}` });
      for (const d of n.dependents) {
        const dn = this.nodes.get(d);
        if (dn !== undefined) queue.push(dn);
      }
    }
  }

  /**
   * After a failed copy: `left` are its paths still unsettled. The ones it was uploading take the blame
   * (all of them when it failed before any); a path blamed `attempts` times fails with `reason`, the
   * others wait `backoff(failures)` from `now`. Answers how many go again, and after how long.
   */
  retryOrFail(
    left: readonly Node[],
    uploading: ReadonlySet<string>,
    reason: string,
    rules: {
      readonly attempts: number;
      readonly backoff: (failures: number) => number;
      readonly now: number;
    },
  ): { again: number; delay: number } {
    const culprits = left.filter((n) => uploading.has(n.path));
    for (const n of culprits.length > 0 ? culprits : left) n.failures += 1;
    const delay = rules.backoff(Math.max(1, ...left.map((n) => n.failures)));
    let again = 0;
    for (const n of left) {
      if (n.state !== 'running') continue; // failed with a reference a moment ago
      if (n.failures >= rules.attempts) {
        this.fail(n, reason);
      } else {
        n.state = 'pending';
        n.notBefore = rules.now + delay;
        again += 1;
      }
    }
    return { again, delay };
  }

  /** Fails what is not done yet, each with `reason` (the push stopped). */
  giveUp(reason: string): void {
    for (const n of this.order) {
      if (n.state !== 'pending' && n.state !== 'running') continue;
      n.state = 'failed';
      this.failed.push({ path: n.path, reason });
    }
  }

  progress(inFlight: readonly string[], elapsedMs: number): PushProgress {
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
