/**
 * The recorded-case format shared by the fake System (which answers from a case) and the recorder
 * (which writes one from a real machine). A case is a folder under __tests__/fixtures/recorded/:
 *
 *   case.json      what the machine looked like: host, environment, files, directories, commands
 *   expected.json  the NixEnvironment detection must produce for it
 *   *.txt …        longer command outputs and file contents, referenced as {"file": "name"}
 *   README.md      where the data comes from (recorded here, or transcribed from which sources)
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NixEnvironment } from '../../../src/nix/environment.js';
import type { Host } from '../../../src/system/types.js';

/** Inline text, or the name of a file in the case folder holding it. */
export type CaseText = string | { readonly file: string };

export interface CaseCommand {
  /** Command and arguments, exactly as detection runs them. */
  readonly argv: readonly string[];
  readonly code: number;
  readonly stdout?: CaseText;
  readonly stderr?: CaseText;
}

export type CaseKind = 'file' | 'directory' | 'socket' | 'other';

export interface CaseSpec {
  readonly description: string;
  readonly provenance: 'recorded' | 'transcribed';
  /** How it was recorded, or which public sources the transcription follows. */
  readonly source: string;
  readonly host: Host;
  readonly env: Readonly<Record<string, string>>;
  /** Readable files and their contents; any other path does not exist. */
  readonly files?: Readonly<Record<string, CaseText>>;
  /** Directory listings. */
  readonly dirs?: Readonly<Record<string, readonly string[]>>;
  /** Kinds of paths that are not plain files listed above (sockets, directories). */
  readonly kinds?: Readonly<Record<string, CaseKind>>;
  readonly commands: readonly CaseCommand[];
}

export interface LoadedCase {
  readonly name: string;
  readonly dir: string;
  readonly spec: CaseSpec;
  readonly expected: NixEnvironment;
  text(t: CaseText | undefined): string;
  /** The output of the recorded command with these argv (stdout + stderr as recorded). */
  output(...argv: string[]): { stdout: string; stderr: string; code: number };
}

export const RECORDED_DIR = join(new URL('../../fixtures/recorded', import.meta.url).pathname);

export function listCases(): string[] {
  return readdirSync(RECORDED_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
}

export function loadCase(name: string): LoadedCase {
  const dir = join(RECORDED_DIR, name);
  const spec = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')) as CaseSpec;
  const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as NixEnvironment;
  const text = (t: CaseText | undefined): string =>
    t === undefined ? '' : typeof t === 'string' ? t : readFileSync(join(dir, t.file), 'utf8');
  const output = (...argv: string[]) => {
    const cmd = spec.commands.find((c) => sameArgv(c.argv, argv));
    if (!cmd) throw new Error(`case ${name} has no recorded \`${argv.join(' ')}\``);
    return { stdout: text(cmd.stdout), stderr: text(cmd.stderr), code: cmd.code };
  };
  return { name, dir, spec, expected, text, output };
}

export function sameArgv(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
