/**
 * The helper's side of system/detached.ts: read the spec from stdin, say `ready` on the descriptor main
 * waits on, and log timestamped lines to the log file (never a secret).
 */
import { closeSync, writeSync } from 'node:fs';

export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Tells main the helper runs (`readyFd` from the spec; nothing when main did not ask). */
export function sayReady(readyFd: number | undefined): void {
  if (readyFd === undefined) return;
  try {
    writeSync(readyFd, 'ready\n');
    closeSync(readyFd);
  } catch {
    // main stopped waiting: it reports that itself
  }
}

/** `<time> <name>[<pid>] <line>` to `fd`; silent once the log is gone with the job's temporary folder. */
export function helperLog(fd: number, name: string): (line: string) => void {
  return (line) => {
    try {
      writeSync(fd, `${new Date().toISOString()} ${name}[${process.pid}] ${line}\n`);
    } catch {
      // the log is gone with the job's temporary folder: nothing left to tell
    }
  };
}
