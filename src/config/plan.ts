/**
 * What to write where so that both the nix-daemon and the job user's Nix commands use the caches: a
 * pure decision from the parsed inputs, the detected environment and the current text of every file
 * involved. `filesToRead` names those files; `planConfiguration` decides. No I/O here.
 *
 * The daemon reads the global nix.conf (see plan-daemon.ts). The job user's Nix reads it too, then the
 * user's own files; it cannot read the root-only netrc, so a non-root user gets a block of their own
 * pointing at their copy, and all the client settings when the daemon side is out of reach.
 */
import type { NixEnvironment } from '../nix/environment.js';
import { type ChainLine, expandChain, lastValue, listValue, setByUser } from './chain.js';
import { planDaemon } from './plan-daemon.js';
import { clientOnlyNotes, summaryRows } from './plan-notes.js';
import {
  addNetrcWrite,
  type ConfigPlan,
  DEFAULT_NETRC_LOGIN,
  dirOf,
  type FileTexts,
  type FileWrite,
  makeReader,
  newConfText,
  type PlanContext,
  type PlanInputs,
  type PlanRequest,
  type Reader,
  settingsFor,
} from './plan-types.js';
import type { NetrcEntry } from './types.js';

export {
  type ConfigPlan,
  DEFAULT_NETRC_LOGIN,
  type FileRole,
  type FileTexts,
  type FileWrite,
  type PlanInputs,
  type PlanRequest,
} from './plan-types.js';

/**
 * The paths `planConfiguration` needs in `current`, given what has been read so far: the nix.conf
 * files with their includes, then the netrc files they name. Read those not yet in `current` (as root
 * when the action can write root files; undefined for a file that does not exist) and call again until
 * nothing new comes back: three rounds at most in practice (files, includes, netrc files).
 */
export function filesToRead(inputs: PlanInputs, current: FileTexts = {}): string[] {
  const seen = new Set<string>();
  decide(inputs, makeReader(current, seen, false));
  return [...seen];
}

/** The plan. Throws when a file it needs is missing from `current`, or a block of ours is half-written. */
export function planConfiguration(request: PlanRequest): ConfigPlan {
  return decide(request, makeReader(request.current, new Set(), true));
}

/** The user configuration files Nix reads (top level, reading order): the last one has the last word. */
function userFiles(env: NixEnvironment, home: string): string[] {
  const files = env.config.files
    .filter((f) => f.scope === 'user' && f.includedFrom === undefined)
    .map((f) => f.path);
  return files.length > 0 ? files : [`${home.replace(/\/+$/u, '')}/.config/nix/nix.conf`];
}

/** The netrc file the job user's Nix read before: from their configuration, or NIX_CONFIG when it names one. */
function clientNetrcBefore(inputs: PlanInputs, lines: readonly ChainLine[], defaultNetrc: string): string {
  const config = inputs.environment.config;
  const fromEnv = config.settings['netrc-file'];
  const ours = [inputs.rootNetrcPath, inputs.userNetrcPath];
  if (config.fromEnvironment && fromEnv !== undefined && fromEnv !== '' && !ours.includes(fromEnv))
    return fromEnv;
  return lastValue(lines, 'netrc-file') ?? defaultNetrc;
}

const unique = (items: readonly string[]): string[] => [...new Set(items)];

function context(inputs: PlanInputs, read: Reader): PlanContext {
  const env = inputs.environment;
  const urls = [...(inputs.cache === undefined ? [] : [inputs.cache]), ...inputs.extraSubstituters];
  const host = inputs.cache?.host;
  const entry: NetrcEntry | undefined =
    inputs.token !== undefined && host !== undefined
      ? { machine: host, login: inputs.tokenLogin ?? DEFAULT_NETRC_LOGIN, password: inputs.token }
      : undefined;
  const jobRoot = env.privilege.root || inputs.user === 'root';
  return {
    inputs,
    env,
    read,
    substituters: unique(urls.map((u) => u.url)),
    keys: unique(inputs.publicKeys),
    entry,
    wantsTrust: inputs.trustedUser && !jobRoot,
    jobRoot,
    defaultNetrc: `${dirOf(env.config.globalFile)}/netrc`,
    notes: [],
    netrcWrites: [],
  };
}

function decide(inputs: PlanInputs, read: Reader): ConfigPlan {
  const ctx = context(inputs, read);
  const { env, entry, substituters, keys, notes } = ctx;
  if (inputs.token !== undefined && entry === undefined) {
    const what = inputs.cache === undefined ? 'no cache was given' : `the cache is ${inputs.cache.scheme}://`;
    notes.push(`The token is only used for an http(s) cache's netrc entry: ignored, as ${what}.`);
  }
  if (
    substituters.length === 0 &&
    keys.length === 0 &&
    !entry &&
    !ctx.wantsTrust &&
    !inputs.acceptFlakeConfig
  ) {
    return {
      writes: [],
      daemonConfigChanged: false,
      daemonConfigFile: undefined,
      userConfigFile: undefined,
      postBuildHook: undefined,
      notes,
      warnings: [],
      summary: [],
    };
  }
  if (substituters.length > 0 && keys.length === 0) {
    notes.push(
      `No public keys given: Nix takes paths from ${substituters.join(', ')} only when a key it already trusts signed them.`,
    );
  }

  const daemon = planDaemon(ctx);
  const globalFile = env.config.globalFile;
  const users = userFiles(env, inputs.home);
  const userFile = users[users.length - 1] ?? `${inputs.home}/.config/nix/nix.conf`;

  // The job user's netrc: their own copy unless they are root and their Nix already reads the daemon's.
  let userNetrc: string | undefined;
  if (entry !== undefined && (!ctx.jobRoot || daemon.netrc === undefined)) {
    userNetrc = inputs.userNetrcPath;
    const before = expandChain([globalFile, ...users], read.conf);
    addNetrcWrite(ctx, userNetrc, clientNetrcBefore(inputs, before, ctx.defaultNetrc), 'user-netrc', 'user');
  } else if (entry !== undefined && daemon.netrc !== undefined) {
    const blocks = new Map(daemon.file === undefined ? [] : [[daemon.file, daemon.settings]]);
    const client = expandChain([globalFile, ...users], read.conf, blocks);
    if ((lastValue(client, 'netrc-file') ?? ctx.defaultNetrc) !== daemon.netrc) userNetrc = daemon.netrc;
  }
  const clientAll = daemon.file === undefined;
  const userSettings = settingsFor({
    ...(clientAll
      ? {
          substituters,
          keys,
          acceptFlakeConfig: inputs.acceptFlakeConfig,
          tuning: substituters.length > 0,
          userSet: setByUser(expandChain([globalFile, ...users], read.conf)),
        }
      : {}),
    netrc: userNetrc,
  });
  const userContent = newConfText(read, userFile, userSettings);
  const userWrite: FileWrite | undefined =
    userContent === undefined
      ? undefined
      : {
          path: userFile,
          content: userContent,
          mode: 0o644,
          owner: 'user',
          secret: false,
          role: 'user-conf',
        };
  if (userSettings.length > 0 && env.config.fromEnvironment) {
    notes.push(`NIX_CONFIG is set: settings in it override ${userFile}.`);
  }
  const warnings: string[] = [];
  if (daemon.unreachable !== undefined) {
    const daemonLines = expandChain([globalFile], read.conf);
    const clientOnly = clientOnlyNotes({
      environment: env,
      user: inputs.user,
      reason: daemon.unreachable,
      userFile,
      substituters,
      keys,
      tokenHost: entry?.machine,
      daemonHasToken: daemon.netrc !== undefined,
      wantsTrust: ctx.wantsTrust,
      daemonAllows: {
        substituters: ['substituters', 'trusted-substituters'].flatMap((n) => listValue(daemonLines, n)),
        keys: listValue(daemonLines, 'trusted-public-keys'),
      },
    });
    (clientOnly.missing ? warnings : notes).push(...clientOnly.notes);
  }

  const daemonConfigChanged = daemon.write !== undefined;
  const summary = summaryRows({
    ...ctx,
    daemonFile: daemon.file,
    unreachable: daemon.unreachable,
    daemonNetrc: daemon.netrc,
    trustAdded: daemon.settings.some(([k]) => k === 'extra-trusted-users'),
    userFile: userSettings.length > 0 ? userFile : undefined,
    userNetrc,
    daemonConfigChanged,
  });

  const confWrites = [daemon.write, userWrite].filter((w): w is FileWrite => w !== undefined);
  return {
    writes: [...ctx.netrcWrites, ...daemon.hookWrites, ...confWrites],
    daemonConfigChanged,
    daemonConfigFile: daemon.file,
    postBuildHook: daemon.postBuildHook,
    userConfigFile: userSettings.length > 0 ? userFile : undefined,
    notes,
    warnings,
    summary,
  };
}
