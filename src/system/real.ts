/** The real machine behind the `System` seam: child processes for commands, node:fs for files. */
import { readdir, readFile, stat } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { runCommand } from './exec.js';
import type { Files, Host, System } from './types.js';

export { NOT_FOUND_EXIT_CODE, TIMEOUT_EXIT_CODE } from './exec.js';

const files: Files = {
  async read(path) {
    try {
      return await readFile(path, 'utf8');
    } catch {
      return undefined;
    }
  },
  async exists(path) {
    return (await files.kind(path)) !== undefined;
  },
  async list(dir) {
    try {
      return await readdir(dir);
    } catch {
      return [];
    }
  },
  async kind(path) {
    try {
      const s = await stat(path);
      if (s.isFile()) return 'file';
      if (s.isDirectory()) return 'directory';
      if (s.isSocket()) return 'socket';
      return 'other';
    } catch {
      return undefined;
    }
  },
};

function host(): Host {
  const uid = process.getuid?.() ?? -1;
  let user = process.env['USER'] ?? process.env['USERNAME'] ?? String(uid);
  let home = process.env['HOME'] ?? '';
  try {
    // The account database, not $USER/$HOME: those can be inherited from another user (sudo -E).
    const info = userInfo();
    user = info.username;
    home = info.homedir;
  } catch {
    // No passwd entry for this uid (some containers): keep the environment's answer.
  }
  return { platform: process.platform, arch: process.arch, uid, user, home };
}

export function realSystem(): System {
  return { exec: { run: runCommand }, files, env: process.env, host: host() };
}
