/** The one implementation of each root operation: run in-process as root, or by the root helper under sudo. */
import { runCommand } from './exec.js';
import type { RootOperations } from './privileged.js';
import { restartProcess } from './restart-process.js';
import { readRootFile, removeRootFile, statRootFile, writeRootFile } from './root-files.js';

export const rootOperations: RootOperations = {
  readFile: readRootFile,
  statFile: statRootFile,
  writeFile: writeRootFile,
  removeFile: removeRootFile,
  run: (command, args, options = {}) =>
    runCommand(command, args, {
      ...(options.input === undefined ? {} : { input: options.input }),
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    }),
  restartProcess: (pid, options) => restartProcess(pid, options),
};
