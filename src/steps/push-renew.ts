/**
 * "Credentials renewed right before the push": post renews the login's credential once more, in process,
 * into the same files the refresher writes, so a push that starts late in a long job starts fresh. The
 * refresher keeps running through the push and renews again when due.
 */
import * as core from '@actions/core';
import type { OwnedFiles } from '../config/files.js';
import { mintIdToken } from '../login/oidc.js';
import type { MainState } from '../state.js';
import { errorMessage } from '../util/errors.js';

export async function renewBeforePush(state: MainState, files: OwnedFiles): Promise<void> {
  const spec = state.login?.renewal;
  if (spec === undefined) return;
  // Loaded only when there is something to renew (an AWS renewal brings the AWS SDK).
  const { applyWrites, renewalFor } = await import('../login/refresh/renewal.js');
  const renewal = renewalFor(spec, {
    mint: mintIdToken,
    exchange: {
      mask: (s) => {
        core.setSecret(s);
      },
    },
  });
  try {
    const renewed = await renewal.renew();
    await applyWrites(files, renewed.writes);
    core.info(
      `Renewed the ${renewal.what} for the push: valid until ${new Date(renewed.expiresAt).toISOString()}.`,
    );
  } catch (error: unknown) {
    core.warning(
      `Could not renew the ${renewal.what} before the push (${errorMessage(error)}); ` +
        'pushing with the credential written last.',
    );
  }
}
