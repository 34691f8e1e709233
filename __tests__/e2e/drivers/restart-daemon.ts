// Runs restartDaemon the way the action would as root: in-process (Privileged via 'root'), in a
// process of its own that exits afterwards. Request on stdin: { daemon, socket, options? }. Prints
// one JSON line: { ok: true, daemon, ms } or { ok: false, error, daemon, ms }.
import { DaemonRestartError, restartDaemon } from '../../../src/daemon/restart.js';
import type { NixDaemon } from '../../../src/nix/environment.js';
import { privileged } from '../../../src/system/privileged.js';
import { realSystem } from '../../../src/system/real.js';
import { errorMessage } from '../../../src/util/errors.js';

interface Request {
  daemon: NixDaemon;
  socket?: string;
  options?: { readyTimeoutMs?: number; stopTimeoutMs?: number };
}

const chunks: Buffer[] = [];
for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
const request = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Request;
const sys = realSystem();
// In-process: the helper bundle is never run on this path.
const root = privileged(sys, 'root', { node: process.execPath, script: '/nonexistent' });
const t0 = Date.now();
try {
  const daemon = await restartDaemon({ sys, root }, request.daemon, request.socket, request.options ?? {});
  process.stdout.write(`${JSON.stringify({ ok: true, daemon, ms: Date.now() - t0 })}\n`);
} catch (error: unknown) {
  const daemon = error instanceof DaemonRestartError ? error.daemon : undefined;
  const name = error instanceof Error ? error.name : 'unknown';
  process.stdout.write(
    `${JSON.stringify({ ok: false, name, error: errorMessage(error), daemon, ms: Date.now() - t0 })}\n`,
  );
}
