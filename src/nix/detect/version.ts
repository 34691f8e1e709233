/** `nix --version`: which implementation of Nix, which version. Pure. */
import type { NixInstall } from '../environment.js';

/*
 * What the implementations print (first line of `nix --version`):
 *   nix (Nix) 2.8.0                           upstream (also Debian's nix-bin)
 *   nix (Nix) 2.25.0pre20240920_6c5f3b1       upstream pre-release / master builds
 *   nix (Lix, like Nix) 2.91.1                Lix (its own version numbers, no upstream one)
 *   nix (Determinate Nix 3.6.2) 2.29.0        Determinate Nix 3.x: its version, then upstream's
 * Determinate Nix before 3.0 printed the upstream line ("nix (Nix) 2.24.10"); it is recognised by its
 * daemon (determinate-nixd) instead, see `isDeterminateInstall`.
 */
const VERSION_LINE = /^(\S+) \(([^)]*)\) (\d+(?:\.\d+)*\S*)\s*$/;
const LEADING_NUMBERS = /^(\d+(?:\.\d+)*)/;

export function parseNixVersion(output: string): NixInstall | undefined {
  const versionLine = output.split('\n', 1)[0]?.trim() ?? '';
  const m = VERSION_LINE.exec(versionLine);
  if (!m) return undefined;
  const [, , label = '', version = ''] = m;
  const determinate = /^Determinate Nix(?: (\d\S*))?$/.exec(label);
  if (determinate) {
    return {
      implementation: 'determinate',
      version,
      ...(determinate[1] === undefined ? {} : { implementationVersion: determinate[1] }),
      versionLine,
    };
  }
  if (/^Lix\b/.test(label))
    return { implementation: 'lix', version, implementationVersion: version, versionLine };
  return { implementation: 'nix', version, versionLine };
}

/** The numeric part of a version ("2.25.0pre2024…" → [2, 25, 0]). */
export function versionNumbers(version: string): number[] {
  const m = LEADING_NUMBERS.exec(version);
  return m?.[1] ? m[1].split('.').map(Number) : [];
}

/**
 * `version` is at least `minimum` ("2.19"). A pre-release counts as the release it leads to
 * ("2.25.0pre…" ≥ "2.25"): master builds already have that release's commands.
 */
export function versionAtLeast(version: string, minimum: string): boolean {
  const have = versionNumbers(version);
  const want = versionNumbers(minimum);
  for (let i = 0; i < Math.max(have.length, want.length); i++) {
    const a = have[i] ?? 0;
    const b = want[i] ?? 0;
    if (a !== b) return a > b;
  }
  return true;
}

/**
 * Determinate Nix, from every sign there is: its version line (3.x), its daemon (a systemd unit or
 * launchd job running determinate-nixd) or its binary at the installer's fixed path. The installer's
 * receipt (/nix/receipt.json) is not one: the Determinate installer writes it for upstream Nix too.
 */
export function isDeterminateInstall(
  install: NixInstall,
  daemonIsDeterminate: boolean,
  nixdBinary: boolean,
): boolean {
  return install.implementation === 'determinate' || daemonIsDeterminate || nixdBinary;
}

/** Where the Determinate installer puts determinate-nixd (Linux and macOS). */
export const DETERMINATE_NIXD_PATH = '/usr/local/bin/determinate-nixd';

/** Where determinate-nixd may be: the installer's path, then each PATH entry (NixOS module installs). */
export function determinateNixdCandidates(path: string | undefined): string[] {
  const fromPath = (path ?? '')
    .split(':')
    .filter((dir) => dir.startsWith('/'))
    .map((dir) => `${dir.replace(/\/+$/, '')}/determinate-nixd`);
  return [...new Set([DETERMINATE_NIXD_PATH, ...fromPath])];
}
