/**
 * Detects the Nix environment the action runs against. Orchestration only: the probes run
 * concurrently where they do not depend on each other; parsing and decisions live in ./detect/.
 */
import type { NixEnvironment, NixInstall } from './environment.js';
import type { System } from '../system/types.js';
import { globalConfFile, readConfFiles, userConfFiles } from './detect/conf-files.js';
import { probeDaemon } from './detect/manager.js';
import { decidePrivilege, SUDO_CHECK } from './detect/privilege.js';
import { decideRunner } from './detect/runner.js';
import { probePing, probeSettings, probeVersion } from './detect/probes.js';
import { decideStore, defaultSocketPath, stateDir } from './detect/store.js';
import { daemonTrustedUsers, decideTrust, mentionsGroups, parseGroups } from './detect/trust.js';
import { determinateNixdCandidates, isDeterminateInstall } from './detect/version.js';

const QUICK_TIMEOUT_MS = 10_000;

async function hasDeterminateNixd(sys: System): Promise<boolean> {
  const found = await Promise.all(determinateNixdCandidates(sys.env['PATH']).map((p) => sys.files.exists(p)));
  return found.includes(true);
}

export async function detectEnvironment(sys: System): Promise<NixEnvironment> {
  const { env, host } = sys;
  const versioned = await probeVersion(sys);
  const globalFile = globalConfFile(env);
  const [conf, settings, { ping, error: pingError }, daemon, sudo, nixdBinary] = await Promise.all([
    readConfFiles((path) => sys.files.read(path), globalFile, userConfFiles(env, host.home)),
    probeSettings(sys, versioned),
    probePing(sys, versioned),
    probeDaemon(sys),
    sys.exec.run(SUDO_CHECK.command, [...SUDO_CHECK.args], { timeoutMs: QUICK_TIMEOUT_MS }),
    hasDeterminateNixd(sys),
  ]);

  // The `store` setting already holds NIX_REMOTE (its default) and any nix.conf value.
  const storeSetting = settings['store'] ?? env['NIX_REMOTE'] ?? 'auto';
  // Nix's own choice is only recomputed when the ping could not say which store it opened.
  const needAutoRule = ping.url === undefined && (storeSetting.trim() || 'auto') === 'auto';
  const [stateDirWritable, socketExists] = needAutoRule
    ? await Promise.all([
        sys.exec
          .run('test', ['-w', stateDir(env)], { timeoutMs: QUICK_TIMEOUT_MS })
          .then((r) => r.code === 0),
        sys.files.kind(defaultSocketPath(env)).then((k) => k === 'socket'),
      ])
    : [undefined, undefined];
  const store = decideStore(
    {
      storeSetting,
      ping,
      ...(pingError === undefined ? {} : { pingError }),
      ...(stateDirWritable === undefined ? {} : { stateDirWritable }),
      ...(socketExists === undefined ? {} : { socketExists }),
    },
    env,
  );

  const trustedUsers = daemonTrustedUsers(conf.lines.global);
  const needGroups = store.mode === 'daemon' && ping.trusted === undefined && mentionsGroups(trustedUsers);
  const groups = needGroups
    ? parseGroups((await sys.exec.run('id', ['-Gn'], { timeoutMs: QUICK_TIMEOUT_MS })).stdout)
    : [];
  const trust = decideTrust({
    store,
    ...(ping.trusted === undefined ? {} : { daemonTrusted: ping.trusted }),
    user: host.user,
    groups,
    trustedUsers,
  });

  const determinate = isDeterminateInstall(versioned, daemon.determinate, nixdBinary);
  const nix: NixInstall =
    determinate && versioned.implementation === 'nix'
      ? { ...versioned, implementation: 'determinate' }
      : versioned;

  return {
    nix,
    store,
    daemon,
    trust,
    privilege: decidePrivilege(host, sudo),
    config: {
      globalFile,
      files: conf.files,
      fromEnvironment: (env['NIX_CONFIG'] ?? '').trim() !== '',
      settings,
    },
    runner: decideRunner(env, host, settings['system']),
  };
}
