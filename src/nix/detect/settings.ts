/** The effective settings as the client sees them: `nix config show` / `nix show-config`. Pure. */
import type { NixInstall } from '../environment.js';
import { versionAtLeast } from './version.js';

/** The settings the action looks at; everything else Nix reports is dropped. */
export const SELECTED_SETTINGS = [
  'substituters',
  'trusted-substituters',
  'trusted-public-keys',
  'trusted-users',
  'allowed-users',
  'netrc-file',
  'experimental-features',
  'post-build-hook',
  'secret-key-files',
  'sandbox',
  'require-sigs',
  'narinfo-cache-negative-ttl',
  'narinfo-cache-positive-ttl',
  'connect-timeout',
  'fallback',
  'accept-flake-config',
  'build-users-group',
  'store',
  'system',
] as const;

/*
 * `extra-*` settings never appear on their own: Nix folds them into the setting they extend, so
 * "substituters" already holds substituters + extra-substituters.
 */

/**
 * The commands that print the configuration, best first: `nix config show` from 2.20 (`show-config`
 * is a deprecated alias there), `nix show-config` before; JSON first, then the plain `key = value`
 * form. From 2.20 both spellings are tried, which also covers Lix (2.90 and up, `config show`).
 */
export function settingsCandidates(install: NixInstall): string[][] {
  const modern = versionAtLeast(install.version, '2.20');
  const json = modern
    ? [
        ['config', 'show', '--json'],
        ['show-config', '--json'],
      ]
    : [['show-config', '--json']];
  return [...json, modern ? ['config', 'show'] : ['show-config']];
}

/**
 * A setting's value as Nix prints it in the plain form: lists space-separated, booleans as words.
 * Undefined for values that cannot be read back: objects (access-tokens…), and lists of numbers —
 * Nix 2.8 writes `experimental-features` as its enum's numbers (`[2, 3]` for flakes nix-command).
 */
export function settingText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value) && value.every((v): v is string => typeof v === 'string')) return value.join(' ');
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export interface JsonSettings {
  readonly settings: Record<string, string>;
  /** Settings the JSON has but in a form that cannot be read back (see settingText). */
  readonly unreadable: string[];
}

/**
 * Parses the JSON form: `{"name": {"value": …, "defaultValue": …, "description": …, …}, …}`. A bare
 * value instead of the object is accepted too. Undefined when the text is not such JSON.
 */
export function parseSettingsJson(text: string): JsonSettings | undefined {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isRecord(data)) return undefined;
  const settings: Record<string, string> = {};
  const unreadable: string[] = [];
  for (const [name, entry] of Object.entries(data)) {
    const value = isRecord(entry) && 'value' in entry ? entry['value'] : entry;
    const text = settingText(value);
    if (text === undefined) unreadable.push(name);
    else settings[name] = text;
  }
  return { settings, unreadable };
}

/** Parses the plain form, one `name = value` per line (values may be empty). */
export function parseSettingsText(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Za-z0-9][\w-]*) = ?(.*)$/.exec(line);
    if (m?.[1] !== undefined) out[m[1]] = (m[2] ?? '').trim();
  }
  return out;
}

/** The selected settings the JSON could not give, which the plain form has to. */
export function selectedUnreadable(json: JsonSettings): string[] {
  return json.unreadable.filter((name) => (SELECTED_SETTINGS as readonly string[]).includes(name));
}

export function selectSettings(all: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of SELECTED_SETTINGS) {
    const value = all[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}
