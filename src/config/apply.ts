/**
 * Configure Nix for the job: read what the plan needs, plan, record backups (saved before anything is
 * written, so post can undo a main step that dies half-way), write credentials then configuration,
 * and restart the daemon when what it reads changed. A restart that fails rolls everything back and
 * restarts the daemon again before failing with the reason.
 */
import type { NixDaemon } from '../nix/environment.js';
import { restartDaemon } from '../daemon/restart.js';
import type { Privileged } from '../system/privileged.js';
import type { System } from '../system/types.js';
import type { ConfigState, CredentialRecord } from '../state.js';
import { ActionError, errorMessage } from '../util/errors.js';
import type { OwnedFiles } from './files.js';
import {
  type ConfigPlan,
  type FileTexts,
  type FileWrite,
  type PlanInputs,
  filesToRead,
  planConfiguration,
} from './plan.js';
import { restoreBackups } from './restore.js';
import type { FileBackup } from './types.js';

export interface ConfigureDeps {
  readonly sys: System;
  readonly root: Privileged | undefined;
  readonly files: OwnedFiles;
  /** Persists the undo record (main's state) before any write. */
  readonly record: (state: ConfigState) => void;
  /** Where the previous bytes of each file are copied (0600, by owner): root's and the job user's. */
  readonly backupDir: Readonly<Record<'root' | 'user', string>>;
}

export interface Configured {
  readonly plan: ConfigPlan;
  readonly state: ConfigState;
  /** The daemon as it runs now (a new pid after a restart). */
  readonly daemon: NixDaemon;
}

/** Reads what `filesToRead` names until it names nothing new (as root where the action can). */
async function readNeeded(files: OwnedFiles, inputs: PlanInputs, owner: 'root' | 'user'): Promise<FileTexts> {
  const current: Record<string, string | undefined> = {};
  for (let round = 0; round < 8; round++) {
    const wanted = filesToRead(inputs, current).filter((p) => !Object.hasOwn(current, p));
    if (wanted.length === 0) return current;
    const texts = await Promise.all(wanted.map((p) => files.read(owner, p).catch(unlessUnreadable)));
    wanted.forEach((p, i) => (current[p] = texts[i]));
  }
  throw new ActionError('Nix configuration files include each other too deeply to plan the configuration.');
}

/**
 * A file the job's user may not read (a root-only netrc, without root access) is one their Nix could not
 * read either: absent, as far as planning goes. Any other failure stops the action.
 */
function unlessUnreadable(error: unknown): undefined {
  const code = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
  if (code === 'EACCES' || code === 'EPERM') return undefined;
  throw error;
}

/** Copies a file's previous bytes (0600, same owner) into `dir`; records absence when it did not exist. */
async function backupOf(
  files: OwnedFiles,
  write: FileWrite,
  dir: string,
  index: number,
): Promise<FileBackup> {
  const [text, stat] = await Promise.all([
    files.read(write.owner, write.path),
    files.stat(write.owner, write.path),
  ]);
  const copy = text === undefined ? undefined : `${dir}/${index}-${write.path.replace(/^.*\//, '')}`;
  if (copy !== undefined && text !== undefined) await files.write(write.owner, copy, text, 0o600);
  return { path: write.path, copy, mode: stat?.mode, owner: write.owner };
}

function credentialOf(
  write: FileWrite,
  mode: number | undefined,
  machine: string | undefined,
): CredentialRecord {
  // A netrc that was there before keeps its other entries and its mode: only ours is taken out again.
  return mode !== undefined && write.role === 'daemon-netrc'
    ? { path: write.path, owner: write.owner, kind: 'entry', mode, ...(machine ? { machine } : {}) }
    : { path: write.path, owner: write.owner, kind: 'file' };
}

export async function configureNix(
  deps: ConfigureDeps,
  inputs: PlanInputs,
  restore: boolean,
): Promise<Configured> {
  const env = inputs.environment;
  const readAs = deps.root ? 'root' : 'user';
  const current = await readNeeded(deps.files, inputs, readAs);
  const plan = planConfiguration({ ...inputs, current });

  const backups: FileBackup[] = [];
  const credentials: CredentialRecord[] = [];
  for (const [index, write] of plan.writes.entries()) {
    if (write.secret) {
      const before = await deps.files.stat(write.owner, write.path);
      credentials.push(credentialOf(write, before?.mode, inputs.cache?.host));
      // A netrc the daemon already used (ours added to it) goes back byte for byte, comments and all.
      if (write.role !== 'daemon-netrc' || before === undefined) continue;
    }
    backups.push(await backupOf(deps.files, write, deps.backupDir[write.owner], index));
  }
  const root = plan.daemonConfigChanged && env.daemon.manager !== 'none' ? deps.root : undefined;
  const state: ConfigState = { backups, credentials, daemonRestarted: root !== undefined, restore };
  deps.record(state);

  await writeAll(deps.files, plan.writes, state);
  if (root === undefined) return { plan, state, daemon: env.daemon };

  try {
    const daemon = await restartDaemon({ sys: deps.sys, root }, env.daemon, env.store.socket);
    return { plan, state, daemon };
  } catch (error: unknown) {
    throw await rollBack(deps, root, state, env.daemon, env.store.socket, error);
  }
}

/** Writes the plan's files in order; when one fails, puts back those written before it and says so. */
async function writeAll(files: OwnedFiles, writes: readonly FileWrite[], state: ConfigState): Promise<void> {
  const written = new Set<string>();
  for (const write of writes) {
    try {
      await files.write(write.owner, write.path, write.content, write.mode);
    } catch (error: unknown) {
      const undone = await restoreBackups(
        files,
        state.backups.filter((b) => written.has(b.path)),
        state.credentials.filter((c) => written.has(c.path)),
      ).then(
        () => 'The files written before it were put back; nothing was changed.',
        (e: unknown) => `Putting back the files written before it failed too: ${errorMessage(e)}.`,
      );
      throw new ActionError(`Writing ${write.path} failed: ${errorMessage(error)}\n${undone}`);
    }
    written.add(write.path);
  }
}

/** Puts every file back, restarts the daemon with the old configuration, and says what happened. */
async function rollBack(
  deps: ConfigureDeps,
  root: Privileged,
  state: ConfigState,
  daemon: NixDaemon,
  socket: string | undefined,
  cause: unknown,
): Promise<ActionError> {
  const reason = errorMessage(cause);
  const problems: string[] = [];
  await restoreBackups(deps.files, state.backups, state.credentials).catch((e: unknown) => {
    problems.push(`restoring the files failed too: ${errorMessage(e)}`);
  });
  // The failed restart may have left the daemon down (its error carries the daemon as it is now).
  const now =
    typeof cause === 'object' && cause !== null && 'daemon' in cause ? (cause.daemon as NixDaemon) : daemon;
  await restartDaemon({ sys: deps.sys, root }, now, socket).catch((e: unknown) => {
    problems.push(`restarting the daemon with the old configuration failed too: ${errorMessage(e)}`);
  });
  const outcome =
    problems.length === 0
      ? 'The configuration was rolled back and the daemon restarted with it; nothing was changed.'
      : `Rolling back was incomplete: ${problems.join('; ')}.`;
  return new ActionError(`The nix-daemon did not come back after the restart: ${reason}\n${outcome}`);
}
