/**
 * Everything main hands to post, in one place. GitHub carries it through `GITHUB_STATE` (main) and
 * `STATE_*` variables (post); this module owns the key, the shape and the version of that record.
 */
import type { NixEnvironment } from './nix/environment.js';

const KEY = 'nix-cache-action';
const VERSION = 1;

export interface MainState {
  /** When main started (ISO 8601). */
  readonly startedAt: string;
  readonly environment: NixEnvironment;
}

/** `@actions/core` fits this shape; tests pass a map. */
export interface StateStore {
  saveState(name: string, value: string): void;
  getState(name: string): string;
}

export function saveState(store: StateStore, state: MainState): void {
  store.saveState(KEY, JSON.stringify({ version: VERSION, ...state }));
}

/**
 * The state main saved, or undefined when main did not get as far as saving it (it failed early, or
 * was skipped). A record from another version of the action is treated as absent.
 */
export function loadState(store: StateStore): MainState | undefined {
  const raw = store.getState(KEY);
  if (raw === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (!isRecord(parsed) || parsed.version !== VERSION) return undefined;
  if (typeof parsed.startedAt !== 'string' || !isRecord(parsed.environment)) return undefined;
  return { startedAt: parsed.startedAt, environment: parsed.environment as unknown as NixEnvironment };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
