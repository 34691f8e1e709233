/**
 * Drives planning the way the action's main step will: ask `filesToRead`, read those files from a fake
 * disk, ask again until nothing new is needed, then plan; and apply a plan's writes to the disk.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  type ConfigPlan,
  type FileTexts,
  type FileWrite,
  filesToRead,
  type PlanInputs,
  planConfiguration,
} from '../../../src/config/plan.js';
import type { NixEnvironment } from '../../../src/nix/environment.js';

export type Disk = Record<string, string>;

export const ROOT_NETRC = '/etc/nix/nix-cache-action.netrc';
export const USER_NETRC = '/home/runner/.config/nix/nix-cache-action.netrc';
export const TOKEN = 'Tok3nFromSecrets';

/** A recorded environment: __tests__/fixtures/recorded/<name>/expected.json. */
export function recordedEnvironment(name: string): NixEnvironment {
  const url = new URL(`../../fixtures/recorded/${name}/expected.json`, import.meta.url);
  return JSON.parse(readFileSync(fileURLToPath(url), 'utf8')) as NixEnvironment;
}

/** A recorded file of a case, e.g. its /etc/nix/nix.conf. */
export function recordedFile(name: string, file: string): string {
  return readFileSync(
    fileURLToPath(new URL(`../../fixtures/recorded/${name}/${file}`, import.meta.url)),
    'utf8',
  );
}

/** Reads what planning asks for, round after round; returns the texts and how many rounds it took. */
export function readForPlan(inputs: PlanInputs, disk: Disk): { current: FileTexts; rounds: number } {
  const current: Record<string, string | undefined> = {};
  for (let rounds = 0; rounds < 10; rounds++) {
    const missing = filesToRead(inputs, current).filter((p) => !Object.hasOwn(current, p));
    if (missing.length === 0) return { current, rounds };
    for (const path of missing) current[path] = disk[path];
  }
  throw new Error('filesToRead did not settle in 10 rounds');
}

export function plan(inputs: PlanInputs, disk: Disk): ConfigPlan {
  return planConfiguration({ ...inputs, current: readForPlan(inputs, disk).current });
}

export function apply(disk: Disk, writes: readonly FileWrite[]): Disk {
  const next = { ...disk };
  for (const w of writes) next[w.path] = w.content;
  return next;
}

export function writeOf(p: ConfigPlan, path: string): FileWrite {
  const found = p.writes.find((w) => w.path === path);
  if (found === undefined)
    throw new Error(`no write to ${path}; writes: ${p.writes.map((w) => w.path).join(', ')}`);
  return found;
}
