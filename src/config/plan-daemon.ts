/** The daemon side of the plan: which root-owned nix.conf gets our block, what it holds, which netrc the daemon reads. */
import { expandChain, lastValue, overriddenBy, setByUser } from './chain.js';
import { blockOf, readSettings } from './nix-conf.js';
import type { DaemonUnreachable } from './plan-notes.js';
import {
  addNetrcWrite,
  dirOf,
  type FileWrite,
  newConfText,
  type PlanContext,
  settingsFor,
  type Wanted,
} from './plan-types.js';
import { hookScript } from '../push/hook.js';
import type { Settings } from './types.js';

export interface DaemonSide {
  /** The nix.conf holding our daemon-read block; undefined when the daemon's configuration is out of reach. */
  readonly file: string | undefined;
  readonly unreachable: DaemonUnreachable | undefined;
  readonly settings: Settings;
  /** The netrc file the daemon reads that holds our entry. */
  readonly netrc: string | undefined;
  readonly write: FileWrite | undefined;
  /** Our post-build hook's script and queue, written before the nix.conf that names the script. */
  readonly hookWrites: readonly FileWrite[];
  readonly postBuildHook: { readonly script: string; readonly queue: string } | undefined;
}

/** The hook's script (root's, executable) and an empty queue (root's, readable by the job's uploader). */
function hookWrites(hook: { readonly script: string; readonly queue: string }): FileWrite[] {
  return [
    {
      path: hook.script,
      content: hookScript(hook.queue),
      mode: 0o755,
      owner: 'root',
      secret: false,
      role: 'post-build-hook',
    },
    { path: hook.queue, content: '', mode: 0o644, owner: 'root', secret: false, role: 'push-queue' },
  ];
}

/** Where the daemon-read block goes, or why there is none. */
function target(ctx: PlanContext): { file: string | undefined; unreachable: DaemonUnreachable | undefined } {
  const { env, inputs } = ctx;
  const globalFile = env.config.globalFile;
  if (!env.privilege.canWriteRootFiles) return { file: undefined, unreachable: 'no-root' };
  if (inputs.globalConfManaged) return { file: undefined, unreachable: 'managed' };
  if (env.nix.implementation !== 'determinate' && !env.daemon.determinate) {
    return { file: globalFile, unreachable: undefined };
  }
  // Determinate Nix replaces nix.conf; nix.custom.conf, which it includes, is the user's.
  const custom = env.config.files.find(
    (f) => f.includedFrom === globalFile && f.path === `${dirOf(globalFile)}/nix.custom.conf`,
  );
  if (custom !== undefined) return { file: custom.path, unreachable: undefined };
  ctx.notes.push(
    `Determinate Nix: ${globalFile} does not include nix.custom.conf, so the settings went into ${globalFile} itself, which Determinate Nix may replace when it upgrades.`,
  );
  return { file: globalFile, unreachable: undefined };
}

const NO_HOOK = { hookWrites: [], postBuildHook: undefined } as const;

export function planDaemon(ctx: PlanContext): DaemonSide {
  const { env, inputs, read, entry } = ctx;
  const globalFile = env.config.globalFile;
  const before = expandChain([globalFile], read.conf);
  const netrcBefore = lastValue(before, 'netrc-file') ?? ctx.defaultNetrc;
  const host = entry?.machine ?? '';
  const { file, unreachable } = target(ctx);

  if (file === undefined) {
    if (unreachable !== 'managed' || entry === undefined) {
      return { file, unreachable, settings: [], netrc: undefined, write: undefined, ...NO_HOOK };
    }
    // The daemon reads its netrc file on every download: extending that file needs no nix.conf change.
    if (netrcBefore === '')
      return { file, unreachable, settings: [], netrc: undefined, write: undefined, ...NO_HOOK };
    addNetrcWrite(ctx, netrcBefore, netrcBefore, 'daemon-netrc', 'root');
    ctx.notes.push(`The entry for ${host} was added to ${netrcBefore}, the netrc file the daemon reads.`);
    return { file, unreachable, settings: [], netrc: netrcBefore, write: undefined, ...NO_HOOK };
  }

  // On a second run our own block may be what trusts the user: keep the line then.
  const ourTrust = readSettings(blockOf(read.raw(file) ?? ''))['extra-trusted-users'] ?? '';
  const trustedByUs = ourTrust.split(/\s+/u).includes(inputs.user);
  const alreadyTrusted = ctx.wantsTrust && env.trust.trusted && !trustedByUs;
  if (alreadyTrusted)
    ctx.notes.push(`${inputs.user} is already trusted by the daemon: trusted-users left as it is.`);
  const wanted: Wanted = {
    substituters: ctx.substituters,
    keys: ctx.keys,
    netrc: entry === undefined ? undefined : inputs.rootNetrcPath,
    trust: ctx.wantsTrust && !alreadyTrusted ? inputs.user : undefined,
    acceptFlakeConfig: inputs.acceptFlakeConfig,
    tuning: ctx.substituters.length > 0,
    postBuildHook: inputs.postBuildHook?.script,
    userSet: setByUser(expandChain([globalFile], read.conf)),
  };
  let settings = settingsFor(wanted);
  const after = expandChain([globalFile], read.conf, new Map([[file, settings]]));
  let netrc: string | undefined;
  const netrcOverride = overriddenBy(after, 'netrc-file');
  if (entry !== undefined && netrcOverride !== undefined) {
    // As with Determinate Nix: nix.conf sets netrc-file after including nix.custom.conf.
    settings = settingsFor({ ...wanted, netrc: undefined });
    netrc = netrcOverride.value === '' ? undefined : netrcOverride.value;
    ctx.notes.push(
      netrc === undefined
        ? `${netrcOverride.file} sets an empty netrc-file after ${file}: the daemon reads no credentials.`
        : `${netrcOverride.file} sets netrc-file after ${file}, so the daemon keeps reading ${netrc}: the entry for ${host} was added to it.`,
    );
    if (netrc !== undefined) addNetrcWrite(ctx, netrc, netrc, 'daemon-netrc', 'root');
  } else if (entry !== undefined) {
    // Our own root-only file, starting from the entries the daemon used before, so other hosts keep working.
    netrc = inputs.rootNetrcPath;
    addNetrcWrite(ctx, netrc, netrcBefore, 'root-netrc', 'root');
  }
  for (const [name] of settings) {
    const by = overriddenBy(after, name);
    if (by !== undefined)
      ctx.notes.push(`${name} in ${file} is overridden by a later line in ${by.file}: the value there wins.`);
  }
  const content = newConfText(read, file, settings);
  const write: FileWrite | undefined =
    content === undefined
      ? undefined
      : { path: file, content, mode: 0o644, owner: 'root', secret: false, role: 'daemon-conf' };
  const hook = settings.some(([k]) => k === 'post-build-hook') ? inputs.postBuildHook : undefined;
  if (inputs.postBuildHook !== undefined && hook === undefined) {
    ctx.notes.push(
      `The daemon's configuration has a post-build-hook of its own: kept, so paths are pushed by the post step only.`,
    );
  }
  return {
    file,
    unreachable,
    settings,
    netrc,
    write,
    hookWrites: hook === undefined ? [] : hookWrites(hook),
    postBuildHook: hook,
  };
}
