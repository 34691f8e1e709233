/**
 * Pushing while the job still builds: the daemon runs a `post-build-hook` (as root, from the global
 * nix.conf) after each build. Ours appends one line to a queue and exits 0 — it never fails or slows a
 * build — and the job's uploader reads the queue. Nix 2.8 leaves `OUT_PATHS` empty (nix #6446), so the
 * line carries `DRV_PATH` too and the uploader asks the store for the outputs.
 */

/** The queue: root-owned directory (nothing the job user can plant a link in), world-readable lines. */
export const HOOK_QUEUE = '/nix/var/nix-cache-action/push-queue';

/** Where the hook script goes: beside our other root files in the nix.conf directory. */
export function hookScriptPath(confDir: string): string {
  return `${confDir}/nix-cache-action/post-build-hook`;
}

/** The hook: one line `DRV_PATH<TAB>OUT_PATHS` appended when the queue exists; always exit 0. */
export function hookScript(queue: string = HOOK_QUEUE): string {
  return [
    '#!/bin/sh',
    '# nix-cache-action: queues what the daemon built, for upload while the job runs.',
    '# It must never fail or slow a build: one line appended, always exit 0.',
    `q='${queue}'`,
    `[ -f "$q" ] && printf '%s\\t%s\\n' "\${DRV_PATH:-}" "\${OUT_PATHS:-}" >> "$q" 2>/dev/null`,
    'exit 0',
    '',
  ].join('\n');
}

export interface QueuedBuild {
  readonly drv: string | undefined;
  readonly outputs: readonly string[];
}

/** Parses queue lines (a partial last line is left for the next read). */
export function parseQueue(text: string): { builds: QueuedBuild[]; rest: string } {
  const end = text.lastIndexOf('\n');
  const complete = end === -1 ? '' : text.slice(0, end);
  const builds: QueuedBuild[] = [];
  for (const line of complete.split('\n')) {
    if (line.trim() === '') continue;
    const [drv = '', outs = ''] = line.split('\t');
    const outputs = outs.split(/\s+/u).filter((p) => p.startsWith('/'));
    builds.push({ drv: drv.startsWith('/') ? drv : undefined, outputs });
  }
  return { builds, rest: text.slice(end + 1) };
}
