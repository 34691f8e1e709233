// Starts the built refresher the way main does (startRefresher: detached, spec on stdin, `ready`
// awaited), in a process of its own that exits afterwards. Request on stdin: { spec, node, script }.
// Prints one JSON line: { ok: true, pid } or { ok: false, error }.
import { startRefresher, type StartSpec } from '../../../src/login/refresh/process.js';
import { errorMessage } from '../../../src/util/errors.js';

interface Request {
  spec: StartSpec;
  node: string;
  script: string;
}

const chunks: Buffer[] = [];
for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
const request = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Request;
try {
  const pid = await startRefresher(request.spec, { node: request.node, script: request.script });
  process.stdout.write(`${JSON.stringify({ ok: true, pid })}\n`);
} catch (error: unknown) {
  process.stdout.write(`${JSON.stringify({ ok: false, error: errorMessage(error) })}\n`);
}
