/** Undoing the configuration step: credentials always, files byte for byte when asked. */
import type { CredentialRecord } from '../state.js';
import type { OwnedFiles } from './files.js';
import { withoutProfile } from '../login/aws/files.js';
import { errorMessage } from '../util/errors.js';
import { removeMachine } from './netrc.js';
import type { FileBackup } from './types.js';

/**
 * Removes every credential main wrote: files of ours whole; from files that were there before, only our
 * netrc entry or our AWS profile. One that cannot be removed does not keep the others: each is tried,
 * then the failures are reported together.
 */
export async function removeCredentials(
  files: OwnedFiles,
  credentials: readonly CredentialRecord[],
): Promise<void> {
  const failures: string[] = [];
  for (const c of credentials) {
    try {
      if (c.kind === 'file' || c.machine === undefined) {
        await files.remove(c.owner, c.path);
        continue;
      }
      const text = await files.read(c.owner, c.path);
      if (text === undefined) continue;
      const without =
        c.kind === 'aws-profile' ? withoutProfile(text, c.machine) : removeMachine(text, c.machine);
      await files.write(c.owner, c.path, without, c.mode ?? 0o600);
    } catch (error: unknown) {
      failures.push(`${c.path}: ${errorMessage(error)}`);
    }
  }
  if (failures.length > 0) throw new Error(`Could not remove credentials from ${failures.join('; ')}`);
}

/**
 * Removes the credentials, then writes every file back as it was from its copy (or removes it when it
 * did not exist): always both, also when one part fails (every failure is reported, after both).
 */
export async function restoreBackups(
  files: OwnedFiles,
  backups: readonly FileBackup[],
  credentials: readonly CredentialRecord[],
): Promise<void> {
  const failures: string[] = [];
  // A file restored from its copy needs no credential taken out of it: its previous bytes are back.
  const restored = new Set(backups.map((b) => b.path));
  await removeCredentials(
    files,
    credentials.filter((c) => c.kind === 'file' || !restored.has(c.path)),
  ).catch((error: unknown) => {
    failures.push(errorMessage(error));
  });
  // Last written first, so a file backed up twice ends as it was first.
  for (const b of [...backups].reverse()) {
    try {
      if (b.copy === undefined) {
        await files.remove(b.owner, b.path);
        continue;
      }
      const previous = await files.read(b.owner, b.copy);
      if (previous === undefined) throw new Error(`its copy ${b.copy} is gone`);
      await files.write(b.owner, b.path, previous, b.mode ?? 0o644);
      await files.remove(b.owner, b.copy);
    } catch (error: unknown) {
      failures.push(`Could not restore ${b.path}: ${errorMessage(error)}`);
    }
  }
  if (failures.length > 0) throw new Error(failures.join('\n'));
}
