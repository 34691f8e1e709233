/** Undoing the configuration step: credentials always, files byte for byte when asked. */
import type { CredentialRecord } from '../state.js';
import type { OwnedFiles } from './files.js';
import { withoutProfile } from '../login/aws/files.js';
import { removeMachine } from './netrc.js';
import type { FileBackup } from './types.js';

/**
 * Removes every credential main wrote: files of ours whole; from files that were there before, only our
 * netrc entry or our AWS profile.
 */
export async function removeCredentials(
  files: OwnedFiles,
  credentials: readonly CredentialRecord[],
): Promise<void> {
  for (const c of credentials) {
    if (c.kind === 'file' || c.machine === undefined) {
      await files.remove(c.owner, c.path);
      continue;
    }
    const text = await files.read(c.owner, c.path);
    if (text === undefined) continue;
    const without =
      c.kind === 'aws-profile' ? withoutProfile(text, c.machine) : removeMachine(text, c.machine);
    await files.write(c.owner, c.path, without, c.mode ?? 0o600);
  }
}

/** Writes every file back as it was (or removes it when it did not exist), then removes credentials. */
export async function restoreBackups(
  files: OwnedFiles,
  backups: readonly FileBackup[],
  credentials: readonly CredentialRecord[],
): Promise<void> {
  // Last written first, so a file backed up twice ends as it was first.
  for (const b of [...backups].reverse()) {
    if (b.previous === undefined) await files.remove(b.owner, b.path);
    else await files.write(b.owner, b.path, Buffer.from(b.previous, 'base64'), b.mode ?? 0o644);
  }
  await removeCredentials(files, credentials);
}
