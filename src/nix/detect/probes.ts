/** The `nix` probes: version, settings, store. Each runs its commands and hands the output to a parser. */
import type { NixInstall } from '../environment.js';
import type { System } from '../../system/types.js';
import { ActionError } from '../../util/errors.js';
import { firstRecognised, NIX_TIMEOUT_MS, nixArgs } from './nix-cli.js';
import {
  parseSettingsJson,
  parseSettingsText,
  selectedUnreadable,
  selectSettings,
  settingsCandidates,
} from './settings.js';
import { commandError, parsePing, type PingResult, pingCandidates } from './store.js';
import { parseNixVersion } from './version.js';

const INSTALL_HINT =
  'Add a step that installs Nix before this action (for example cachix/install-nix-action, ' +
  'DeterminateSystems/determinate-nix-action or your distribution package), and make sure `nix` is on PATH.';

/** `nix --version`; an ActionError saying what to do when there is no usable `nix`. */
export async function probeVersion(sys: System): Promise<NixInstall> {
  const out = await sys.exec.run('nix', ['--version'], { timeoutMs: NIX_TIMEOUT_MS });
  if (out.code === 127) throw new ActionError(`Nix is not installed: \`nix\` was not found. ${INSTALL_HINT}`);
  const install = out.code === 0 ? parseNixVersion(out.stdout) : undefined;
  if (!install) {
    const said = (out.stdout + out.stderr).trim() || `exit code ${out.code}`;
    throw new ActionError(`\`nix --version\` did not work (${said}). ${INSTALL_HINT}`);
  }
  return install;
}

/**
 * The selected settings, from the JSON form where this Nix has one; settings the JSON cannot express
 * (2.8's numeric experimental-features) come from the plain form. Empty when Nix cannot say.
 */
export async function probeSettings(sys: System, install: NixInstall): Promise<Record<string, string>> {
  const candidates = settingsCandidates(install);
  const { result } = await firstRecognised(sys, candidates);
  if (result.code !== 0) return {};
  const json = parseSettingsJson(result.stdout);
  if (!json) return selectSettings(parseSettingsText(result.stdout));
  const gaps = selectedUnreadable(json);
  const plainArgs = candidates[candidates.length - 1];
  if (gaps.length === 0 || !plainArgs) return selectSettings(json.settings);
  const plain = await sys.exec.run('nix', nixArgs(...plainArgs), { timeoutMs: NIX_TIMEOUT_MS });
  const text = plain.code === 0 ? parseSettingsText(plain.stdout) : {};
  const filled: Record<string, string> = {};
  for (const name of gaps) {
    const value = text[name];
    if (value !== undefined) filled[name] = value;
  }
  return selectSettings({ ...json.settings, ...filled });
}

export interface PingProbe {
  readonly ping: PingResult;
  /** Why the ping failed, when it did. */
  readonly error?: string;
}

/** `nix store info`/`ping`: the store Nix opens, the daemon's version and its verdict on the user. */
export async function probePing(sys: System, install: NixInstall): Promise<PingProbe> {
  const { result } = await firstRecognised(sys, pingCandidates(install));
  const ping = parsePing(result.stdout, result.stderr);
  if (result.code === 0) return { ping };
  return { ping, error: commandError(result.stderr) ?? `exit code ${result.code}` };
}
