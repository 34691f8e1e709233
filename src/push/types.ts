/** The shapes shared by the push stage: discovery, selection, upstream checks, copying, verification. */

/** `nix copy` processes at once by default (measured: 8 is ≈ 6× one copy on a cache 50 ms away). */
export const DEFAULT_PUSH_JOBS = 8;

/** One valid store path as `nix path-info --json` describes it. */
export interface PathInfo {
  /** Full store path, `/nix/store/<hash>-<name>`. */
  readonly path: string;
  readonly narHash: string;
  readonly narSize: number;
  /** Full store paths this one references (itself included when self-referencing). */
  readonly references: readonly string[];
  readonly deriver?: string;
}

/** What the push leaves out, from the inputs. */
export interface PushFilters {
  /** `push-filter`: paths matching it are not pushed. */
  readonly exclude: RegExp | undefined;
  /** `push-include`: when set, only paths matching it are pushed. */
  readonly include: RegExp | undefined;
  /** `push-derivations`: push `.drv` files too (off by default). */
  readonly derivations: boolean;
}

/** Why a path of the closure is not pushed. */
export type SkipReason = 'filtered' | 'derivation' | 'upstream';

/** The push set, chosen from what the job added to the store. */
export interface PushSelection {
  /** New valid store paths since main's snapshot. */
  readonly found: readonly string[];
  /** Every path of their closure (found ones included). */
  readonly closure: readonly PathInfo[];
  /** Paths left out, with the reason. */
  readonly skipped: ReadonlyMap<string, SkipReason>;
  /** What goes to the cache, references before referrers. */
  readonly toPush: readonly PathInfo[];
}

/** One path the copy uploaded. */
export interface PushedPath {
  readonly path: string;
  readonly narSize: number;
  /** Compressed size as Nix reported it (undefined when it did not). */
  readonly fileSize: number | undefined;
}

/** A path that did not get to the cache, and why. */
export interface FailedPath {
  readonly path: string;
  readonly reason: string;
}

/** What a push of `toPush` did. */
export interface PushOutcome {
  /** Uploaded by this push. */
  readonly pushed: readonly PushedPath[];
  /** The cache had them already (nix copy skipped them). */
  readonly present: readonly string[];
  /** Not in the cache after all retries (includes paths whose references failed). */
  readonly failed: readonly FailedPath[];
  /** The drain bound ran out before everything was copied. */
  readonly timedOut: boolean;
  readonly elapsedMs: number;
}

/** Progress while pushing, for the heartbeat line. */
export interface PushProgress {
  readonly done: number;
  readonly total: number;
  readonly bytesDone: number;
  readonly bytesTotal: number;
  /** Paths being uploaded right now. */
  readonly inFlight: readonly string[];
  readonly elapsedMs: number;
}

/** Which paths upstream caches already have (so they are not pushed). */
export interface UpstreamCheck {
  /** Store paths at least one upstream has. */
  readonly present: ReadonlySet<string>;
  /** Paths found per upstream URL (each path counted at the first upstream that has it). */
  readonly perUpstream: ReadonlyMap<string, number>;
  /** Upstreams given up on (or never asked), each once, with the reason. */
  readonly unreachable: readonly { readonly url: string; readonly reason: string }[];
  /** Paths some upstream answered for (present, or absent from one that answered). */
  readonly checked: number;
  /** The overall bound ran out: paths not decided by then count as absent. */
  readonly timedOut: boolean;
  readonly elapsedMs: number;
}

/** A pushed path the read-back found wrong. */
export interface VerifyProblem {
  readonly path: string;
  readonly why: string;
}

/** What reading the pushed narinfos back from the cache found. */
export type VerifyReport =
  | {
      readonly verifiable: true;
      /** 'signatures': every ok path has a Sig that verifies; 'presence': no keys, only presence. */
      readonly checks: 'signatures' | 'presence';
      readonly ok: readonly string[];
      /** No narinfo in the cache (404/403, or no such file). */
      readonly missing: readonly string[];
      /** A narinfo that matches, but no Sig in it verifies against the keys. */
      readonly badSignature: readonly string[];
      /** A narinfo that does not describe the local path (or does not parse). */
      readonly mismatch: readonly VerifyProblem[];
      /** Not read (transport errors after retries, 401, 5xx, the cache given up on, the time bound). */
      readonly unreadable: readonly VerifyProblem[];
      readonly elapsedMs: number;
    }
  | {
      /** The cache's scheme cannot be read here (s3:// …): the caller falls back to another check. */
      readonly verifiable: false;
      readonly reason: string;
    };
