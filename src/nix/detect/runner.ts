/** The runner: GitHub-hosted or self-hosted, its OS and architecture, the Nix system. Pure. */
import type { Runner, RunnerKind } from '../environment.js';
import type { Host } from '../../system/types.js';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * `RUNNER_ENVIRONMENT` as the runner sets it. When it is missing (older runners, act, Gitea/Forgejo
 * runners, a local run of the action) the machine is taken as self-hosted: that is the careful answer,
 * since a self-hosted machine outlives the job and whatever the action changes on it stays, while
 * treating a hosted runner as self-hosted only costs some cleanup that was not needed.
 */
export function runnerKind(env: Env): RunnerKind {
  return env['RUNNER_ENVIRONMENT'] === 'github-hosted' ? 'github-hosted' : 'self-hosted';
}

const OS_NAMES: Partial<Record<NodeJS.Platform, string>> = {
  linux: 'Linux',
  darwin: 'macOS',
  win32: 'Windows',
};
const ARCH_NAMES: Record<string, string> = { x64: 'X64', arm64: 'ARM64', ia32: 'X86', arm: 'ARM' };
const NIX_CPU: Record<string, string> = {
  x64: 'x86_64',
  arm64: 'aarch64',
  ia32: 'i686',
  arm: 'armv7l',
  riscv64: 'riscv64',
};
const NIX_KERNEL: Partial<Record<NodeJS.Platform, string>> = {
  linux: 'linux',
  darwin: 'darwin',
  freebsd: 'freebsd',
};

/** The Nix system string for a node platform and architecture (x86_64-linux, aarch64-darwin…). */
export function nixSystemOf(platform: NodeJS.Platform, arch: string): string {
  return `${NIX_CPU[arch] ?? arch}-${NIX_KERNEL[platform] ?? platform}`;
}

/**
 * RUNNER_OS/RUNNER_ARCH when the runner sets them, else derived from the host. The Nix system is Nix's
 * own `system` setting when known (it is what builds and caches are keyed on), else derived.
 */
export function decideRunner(env: Env, host: Host, nixSystem?: string): Runner {
  return {
    kind: runnerKind(env),
    os: env['RUNNER_OS'] || (OS_NAMES[host.platform] ?? host.platform),
    arch: env['RUNNER_ARCH'] || (ARCH_NAMES[host.arch] ?? host.arch),
    system: nixSystem || nixSystemOf(host.platform, host.arch),
  };
}
