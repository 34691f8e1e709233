/** What the job's user may do to the machine: root, or passwordless sudo. Pure. */
import type { Privilege } from '../environment.js';
import type { ExecResult, Host } from '../../system/types.js';

/** `sudo -n true`: succeeds only when sudo runs without asking for a password. */
export const SUDO_CHECK = { command: 'sudo', args: ['-n', 'true'] } as const;

/**
 * Root can write root-owned files itself; anyone else needs passwordless sudo (GitHub-hosted runners
 * have it). A missing sudo (exit 127) or one that wants a password (exit 1) both mean no.
 */
export function decidePrivilege(host: Host, sudo: ExecResult): Privilege {
  const root = host.uid === 0;
  const passwordlessSudo = sudo.code === 0;
  return { user: host.user, root, passwordlessSudo, canWriteRootFiles: root || passwordlessSudo };
}
