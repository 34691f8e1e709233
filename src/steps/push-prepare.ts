/**
 * Main's part of the push: list the store before the job builds anything (post pushes what is new), and
 * settle whether post pushes at all (push off, no cache, pull-only) and where to.
 */
import * as core from '@actions/core';
import type { StoreUrl } from '../config/types.js';
import type { LoginDecision } from '../login/mode.js';
import type { PushInputs } from '../push/inputs.js';
import { listStore, writeSnapshot } from '../push/snapshot.js';
import type { PushState } from '../state.js';
import type { System } from '../system/types.js';
import { actionTemp } from './paths.js';

export function storeDirOf(sys: System): string {
  return sys.env['NIX_STORE_DIR'] ?? '/nix/store';
}

/** Masks the signing key's secret half (the whole `name:base64` is masked as an input already). */
export function maskSigningKey(push: PushInputs): void {
  const secret = push.signingKey?.secret;
  if (secret === undefined) return;
  const base64 = secret.slice(secret.indexOf(':') + 1);
  core.setSecret(secret);
  if (base64 !== '') core.setSecret(base64);
}

/**
 * Lists the store when push may happen. Cheap (one readdir), so it runs before the login: paths the job
 * adds while main runs (none today) would still count as new.
 */
export async function snapshotStore(
  sys: System,
  push: PushInputs,
  cache: StoreUrl | undefined,
): Promise<PushState> {
  const storeDir = storeDirOf(sys);
  if (!push.enabled) return { storeDir, skip: "input 'push' is false" };
  if (cache === undefined) return { storeDir, skip: "no 'cache' input to push to" };
  const names = await listStore(storeDir);
  const snapshot = `${actionTemp(sys)}/store-snapshot`;
  await writeSnapshot(snapshot, names);
  return { storeDir, snapshot };
}

/** After the login: pull-only mode pushes nothing; otherwise the cache as Nix is given it. */
export function pushAfterLogin(
  state: PushState,
  decision: LoginDecision,
  cache: StoreUrl | undefined,
): PushState {
  if (state.skip !== undefined) return state;
  if ('pullOnly' in decision) return { storeDir: state.storeDir, skip: `pull-only mode: ${decision.reason}` };
  if (cache === undefined) return { storeDir: state.storeDir, skip: 'no cache to push to' };
  return { ...state, cache: cache.url };
}
