/**
 * Records a case from the real machine: runs detectEnvironment against the real System through a
 * recording wrapper and writes what it asked and got (case.json + output files) and what it concluded
 * (expected.json, to be checked by hand before it is committed).
 *
 *   node_modules/.bin/tsx __tests__/unit/nix/record-case.ts OUT_DIR "description"
 *
 * Run it as the user to record, in that user's environment (e.g. through `runuser -u runner --`).
 *
 * /proc is trimmed to the Nix daemon's processes and the recording's own `nix` commands (the rest of a
 * machine's process list is noise and may say things about the machine that do not belong in a fixture).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { detectEnvironment } from '../../../src/nix/detect.js';
import { isDaemonArgv, parseCmdline } from '../../../src/nix/detect/processes.js';
import { realSystem } from '../../../src/system/real.js';
import type { System } from '../../../src/system/types.js';
import type { CaseCommand, CaseKind, CaseSpec, CaseText } from './recorded-case.js';

const [outDir, description = ''] = process.argv.slice(2);
if (!outDir) throw new Error('usage: record-case OUT_DIR [description]');
mkdirSync(outDir, { recursive: true });

const real = realSystem();
const envRead = new Set<string>();
const commands: CaseCommand[] = [];
const files = new Map<string, string>();
const dirs = new Map<string, string[]>();
const kinds = new Map<string, CaseKind>();
const outputs = new Map<string, string>();

const slug = (s: string): string =>
  s
    .replace(/--extra-experimental-features nix-command /g, '')
    .replace(/[^A-Za-z0-9.]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60);

/** Short single-line text stays inline; the rest goes to a file named after where it came from. */
function keep(name: string, text: string): CaseText {
  if (text.length <= 160 && !text.trimEnd().includes('\n')) return text;
  let file = `${slug(name)}.txt`;
  for (let i = 2; outputs.has(file) && outputs.get(file) !== text; i++) file = `${slug(name)}-${i}.txt`;
  outputs.set(file, text);
  return { file };
}

const sys: System = {
  host: real.host,
  env: new Proxy(real.env, {
    get(target, key) {
      if (typeof key === 'string') envRead.add(key);
      return Reflect.get(target, key) as unknown;
    },
  }),
  exec: {
    async run(command, args, options) {
      const result = await real.exec.run(command, args, options);
      const name = [command, ...args].join(' ');
      commands.push({
        argv: [command, ...args],
        code: result.code,
        ...(result.stdout === '' ? {} : { stdout: keep(`${name}.stdout`, result.stdout) }),
        ...(result.stderr === '' ? {} : { stderr: keep(`${name}.stderr`, result.stderr) }),
      });
      return result;
    },
  },
  files: {
    async read(path) {
      const text = await real.files.read(path);
      if (text !== undefined) files.set(path, text);
      return text;
    },
    async exists(path) {
      const kind = await real.files.kind(path);
      if (kind !== undefined) kinds.set(path, kind);
      return kind !== undefined;
    },
    async list(dir) {
      const names = await real.files.list(dir);
      dirs.set(dir, names);
      return names;
    },
    async kind(path) {
      const kind = await real.files.kind(path);
      if (kind !== undefined) kinds.set(path, kind);
      return kind;
    },
  },
};

const environment = await detectEnvironment(sys);

// Trim /proc to the daemon processes and this recording's own `nix` commands (still running during
// the scan); everything else on a machine is noise that does not belong in a fixture.
const PROC_NAMES = new Set(['self', 'thread-self', 'cpuinfo', 'net']);
const procPid = (path: string): string | undefined => /^\/proc\/(\d+)\//.exec(path)?.[1];
const ownCommands = new Set(commands.map((c) => c.argv.join('\0')));
const keptPids = new Set<string>();
for (const [path, text] of files) {
  const pid = procPid(path);
  if (pid === undefined || !path.endsWith('/cmdline')) continue;
  const argv = parseCmdline(text);
  if (isDaemonArgv(argv) || ownCommands.has(argv.join('\0'))) keptPids.add(pid);
}
for (const path of [...files.keys()]) {
  const pid = procPid(path);
  if (pid !== undefined && !keptPids.has(pid)) files.delete(path);
}
const proc = dirs.get('/proc');
if (proc)
  dirs.set(
    '/proc',
    proc.filter((n) => keptPids.has(n) || PROC_NAMES.has(n)),
  );

const envOut: Record<string, string> = {};
for (const key of [...envRead].sort()) {
  const value = real.env[key];
  if (value !== undefined) envOut[key] = value;
}
const filesOut: Record<string, CaseText> = {};
for (const [path, text] of [...files].sort(([a], [b]) => a.localeCompare(b))) {
  filesOut[path] = path.startsWith('/proc/') ? text : keep(`file ${path}`, text);
}
const kindsOut: Record<string, CaseKind> = {};
for (const [path, kind] of [...kinds].sort(([a], [b]) => a.localeCompare(b))) {
  if (!(kind === 'file' && files.has(path)) && !(kind === 'directory' && dirs.has(path)))
    kindsOut[path] = kind;
}

const spec: CaseSpec = {
  description,
  provenance: 'recorded',
  source: `recorded with __tests__/unit/nix/record-case.ts as ${real.host.user} on ${real.host.platform}/${real.host.arch}`,
  host: real.host,
  env: envOut,
  files: filesOut,
  dirs: Object.fromEntries([...dirs].sort(([a], [b]) => a.localeCompare(b))),
  kinds: kindsOut,
  commands,
};
for (const [file, text] of outputs) writeFileSync(join(outDir, file), text);
writeFileSync(join(outDir, 'case.json'), `${JSON.stringify(spec, null, 2)}\n`);
writeFileSync(join(outDir, 'expected.json'), `${JSON.stringify(environment, null, 2)}\n`);
process.stdout.write(`${JSON.stringify(environment, null, 2)}\n`);
