/** Where the action keeps its own files for the job: RUNNER_TEMP (emptied by the runner after the job). */
import type { System } from '../system/types.js';

export function actionTemp(sys: System): string {
  return `${sys.env['RUNNER_TEMP'] ?? `${sys.host.home}/.cache`}/nix-cache-action`;
}
