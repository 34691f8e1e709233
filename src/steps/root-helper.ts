/**
 * The root helper (dist/root/index.js), run as `sudo -n <node> <helper>`: one JSON request on stdin,
 * one JSON answer on stdout. It prints nothing else and never echoes the request (it can hold secrets).
 */
import { rootOperations } from '../system/root-operations.js';
import { type RootAnswer, serve } from '../system/root-protocol.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function run(): Promise<void> {
  const answer: RootAnswer =
    process.getuid?.() === 0
      ? await serve(rootOperations, await readStdin())
      : { ok: false, error: `the root helper runs as uid ${process.getuid?.() ?? '?'}, not root` };
  process.stdout.write(`${JSON.stringify(answer)}\n`);
}
