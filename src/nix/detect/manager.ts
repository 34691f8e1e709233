/** Who runs the Nix daemon: systemd, launchd, a bare root process, or nobody. */
import type { NixDaemon } from '../environment.js';
import type { System } from '../../system/types.js';
import { LAUNCHD_LABELS, launchdDaemon, parseLaunchctlPrint } from './launchd.js';
import {
  PS_ARGS,
  type ProcessInfo,
  parseCmdline,
  parsePs,
  parseStatPpid,
  pickDaemonProcess,
  processDaemon,
  isDaemonArgv,
} from './processes.js';
import { SYSTEMD_RUNNING_MARKER, parseSystemctlShow, systemctlShowArgs, systemdDaemon } from './systemd.js';

export const SERVICE_TIMEOUT_MS = 15_000;

/** Processes that look like a Nix daemon, from /proc (pids and cmdlines; the parent only for matches). */
export async function scanProc(sys: System): Promise<ProcessInfo[]> {
  const pids = (await sys.files.list('/proc')).filter((name) => /^\d+$/.test(name));
  const found = await Promise.all(
    pids.map(async (pid): Promise<ProcessInfo | undefined> => {
      const cmdline = await sys.files.read(`/proc/${pid}/cmdline`);
      const argv = cmdline === undefined ? [] : parseCmdline(cmdline);
      if (!isDaemonArgv(argv)) return undefined;
      const stat = await sys.files.read(`/proc/${pid}/stat`);
      const ppid = stat === undefined ? undefined : parseStatPpid(stat);
      return ppid === undefined ? undefined : { pid: Number(pid), ppid, argv };
    }),
  );
  return found.filter((p): p is ProcessInfo => p !== undefined);
}

async function scanPs(sys: System): Promise<ProcessInfo[]> {
  const ps = await sys.exec.run('ps', PS_ARGS, { timeoutMs: SERVICE_TIMEOUT_MS });
  return ps.code === 0 ? parsePs(ps.stdout) : [];
}

async function linuxDaemon(sys: System): Promise<NixDaemon> {
  let stopped: NixDaemon | undefined;
  // Debian ships nix-daemon unit files with nix-setup-systemd; they say nothing when systemd is not PID 1.
  if ((await sys.files.kind(SYSTEMD_RUNNING_MARKER)) === 'directory') {
    const show = await sys.exec.run('systemctl', systemctlShowArgs(), { timeoutMs: SERVICE_TIMEOUT_MS });
    const verdict = show.code === 0 ? systemdDaemon(parseSystemctlShow(show.stdout)) : undefined;
    if (verdict?.serving) return verdict.daemon;
    // A unit that is stopped: a daemon started by hand may be serving instead; else restarting the unit is the way.
    stopped = verdict?.daemon;
  }
  const process = pickDaemonProcess(await scanProc(sys));
  return process || !stopped ? processDaemon(process) : stopped;
}

async function darwinDaemon(sys: System): Promise<NixDaemon> {
  const jobs = await Promise.all(
    LAUNCHD_LABELS.map(async (label) => {
      const out = await sys.exec.run('launchctl', ['print', `system/${label}`], {
        timeoutMs: SERVICE_TIMEOUT_MS,
      });
      return out.code === 0 ? parseLaunchctlPrint(out.stdout) : undefined;
    }),
  );
  const job = launchdDaemon(jobs);
  if (job) return job;
  return processDaemon(pickDaemonProcess(await scanPs(sys)));
}

export async function probeDaemon(sys: System): Promise<NixDaemon> {
  if (sys.host.platform === 'linux') return linuxDaemon(sys);
  if (sys.host.platform === 'darwin') return darwinDaemon(sys);
  return processDaemon(pickDaemonProcess(await scanPs(sys)));
}
