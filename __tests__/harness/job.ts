/**
 * Runs a job the way a GitHub runner does: `uses: .` steps run the built dist/ under node 24 with
 * `INPUT_*` variables and per-step command files; shell steps run under bash as a given user; after all
 * steps, the action's post steps run in reverse order when `post-if` holds, with `STATE_*` from main.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type ActionMetadata,
  type JobStatus,
  PROJECT_ROOT,
  evaluateCondition,
  readAction,
} from './action.js';
import { parseCommandFile } from './command-files.js';
import { JobLog } from './log.js';
import { type Account, account, spawnAs } from './process.js';

export interface ActionStep {
  readonly uses: '.';
  readonly id?: string;
  readonly with?: Readonly<Record<string, string>>;
  readonly env?: Readonly<Record<string, string>>;
  readonly if?: string;
}

export interface RunStep {
  /** A bash script, or a function of the results so far (for `${{ steps.X.outputs.Y }}`-like use). */
  readonly run: string | ((job: JobSoFar) => string);
  readonly id?: string;
  /** Run as this user instead of the job's (e.g. 'root'). */
  readonly user?: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly if?: string;
}

export type Step = ActionStep | RunStep;

export interface JobSpec {
  readonly steps: readonly Step[];
  /** The user the runner runs as; `runner` by default, as on GitHub-hosted Linux runners. */
  readonly user?: string;
  readonly runnerEnvironment?: 'github-hosted' | 'self-hosted';
  /** `permissions: id-token: write`: the OIDC request variables the runner hands to steps. */
  readonly idToken?: { readonly requestUrl: string; readonly requestToken: string };
  readonly env?: Readonly<Record<string, string>>;
  readonly repository?: string;
  readonly ref?: string;
  readonly eventName?: string;
  /** The webhook payload behind GITHUB_EVENT_PATH (e.g. a pull request from a fork). */
  readonly event?: unknown;
  /** Per step; a step that runs longer is killed and fails. */
  readonly stepTimeoutMs?: number;
}

export interface StepResult {
  readonly name: string;
  readonly id: string | undefined;
  readonly kind: 'main' | 'post' | 'run';
  readonly conclusion: 'success' | 'failure' | 'skipped';
  readonly exitCode: number | undefined;
  readonly outputs: Readonly<Record<string, string>>;
  readonly state: Readonly<Record<string, string>>;
  readonly summary: string;
  readonly durationMs: number;
}

export interface JobSoFar {
  readonly steps: Readonly<Record<string, StepResult>>;
  readonly env: Readonly<Record<string, string>>;
}

export interface JobResult extends JobSoFar {
  readonly status: JobStatus;
  readonly results: readonly StepResult[];
  readonly log: JobLog;
  /** The job summary: every step's summary, in order. */
  readonly summary: string;
  /** RUNNER_TEMP, GITHUB_WORKSPACE and the copied action, removed by `cleanup()`. */
  readonly root: string;
  cleanup(): void;
}

const NODE = join(PROJECT_ROOT, 'node_modules', 'node', 'bin', 'node');

export async function runJob(spec: JobSpec): Promise<JobResult> {
  const action = readAction();
  const user = account(spec.user ?? 'runner');
  const root = mkdtempSync(join(tmpdir(), 'nca-job-'));
  const dirs = { temp: join(root, 'temp'), workspace: join(root, 'workspace'), action: join(root, 'action') };
  for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true });
  cpSync(join(PROJECT_ROOT, 'action.yml'), join(dirs.action, 'action.yml'));
  cpSync(join(PROJECT_ROOT, 'dist'), join(dirs.action, 'dist'), { recursive: true });
  writeFileSync(join(root, 'event.json'), JSON.stringify(spec.event ?? {}));
  const job = new JobRunner(spec, action, user, root, dirs);
  try {
    return await job.run();
  } catch (error: unknown) {
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
}

class JobRunner {
  private readonly log = new JobLog();
  private readonly results: StepResult[] = [];
  private readonly byId: Record<string, StepResult> = {};
  private readonly jobEnv: Record<string, string>;
  private readonly paths: string[] = [];
  private status: JobStatus = 'success';
  private counter = 0;

  constructor(
    private readonly spec: JobSpec,
    private readonly action: ActionMetadata,
    private readonly user: Account,
    private readonly root: string,
    private readonly dirs: { temp: string; workspace: string; action: string },
  ) {
    this.jobEnv = { ...(spec.env ?? {}) };
  }

  async run(): Promise<JobResult> {
    const mains: { step: ActionStep; result: StepResult }[] = [];
    for (const step of this.spec.steps) {
      const result = await this.runStep(step);
      if ('uses' in step && result.conclusion !== 'skipped') mains.push({ step, result });
    }
    for (const { step, result } of mains.reverse()) {
      if (this.action.post === undefined) break;
      if (!evaluateCondition(this.action.postIf, this.status)) continue;
      await this.execute('post', step, this.action.post, result.state);
    }
    const root = this.root;
    return {
      status: this.status,
      results: this.results,
      steps: this.byId,
      env: this.jobEnv,
      log: this.log,
      summary: this.results.map((r) => r.summary).join(''),
      root,
      cleanup: () => {
        rmSync(root, { recursive: true, force: true });
      },
    };
  }

  private async runStep(step: Step): Promise<StepResult> {
    if (!evaluateCondition(step.if ?? 'success()', this.status)) {
      return this.record(step.id, 'run' in step ? 'run' : 'main', 'skipped', undefined, {}, {}, '', 0);
    }
    if ('uses' in step) return this.execute('main', step, this.action.main, {});
    const script =
      typeof step.run === 'function' ? step.run({ steps: this.byId, env: this.jobEnv }) : step.run;
    return this.execute('run', step, script, {});
  }

  private async execute(
    kind: 'main' | 'post' | 'run',
    step: Step,
    entryOrScript: string,
    state: Readonly<Record<string, string>>,
  ): Promise<StepResult> {
    const n = ++this.counter;
    const files = join(this.root, 'files', String(n));
    mkdirSync(files, { recursive: true });
    const names = ['env', 'path', 'output', 'state', 'summary'] as const;
    const file = Object.fromEntries(names.map((k) => [k, join(files, k)])) as Record<
      (typeof names)[number],
      string
    >;
    for (const f of Object.values(file)) writeFileSync(f, '');
    const runAs = kind === 'run' && 'user' in step && step.user ? account(step.user) : this.user;
    const env: Record<string, string> = {
      ...this.baseEnv(),
      ...this.jobEnv,
      ...(step.env ?? {}),
      GITHUB_ENV: file.env,
      GITHUB_PATH: file.path,
      GITHUB_OUTPUT: file.output,
      GITHUB_STATE: file.state,
      GITHUB_STEP_SUMMARY: file.summary,
    };
    let argv: string[];
    if (kind === 'run') {
      const script = join(files, 'script.sh');
      writeFileSync(script, entryOrScript);
      argv = ['/bin/bash', '--noprofile', '--norc', '-eo', 'pipefail', script];
    } else {
      Object.assign(env, this.inputEnv((step as ActionStep).with ?? {}));
      for (const [k, v] of Object.entries(state)) env[`STATE_${k}`] = v;
      argv = [NODE, join(this.dirs.action, entryOrScript)];
    }
    const name = `${kind === 'post' ? 'Post ' : ''}${step.id ?? (kind === 'run' ? `run #${n}` : 'action')}`;
    await this.chownTree(runAs);
    const started = Date.now();
    const exitCode = await spawnAs(runAs, argv, {
      env,
      cwd: this.dirs.workspace,
      timeoutMs: this.spec.stepTimeoutMs ?? 300_000,
      onLine: (line) => {
        this.log.write(name, line);
      },
    });
    const read = (f: string): Map<string, string> => parseCommandFile(readFileSync(f, 'utf8'), f);
    for (const [k, v] of read(file.env)) this.jobEnv[k] = v;
    for (const p of readFileSync(file.path, 'utf8').split('\n').filter(Boolean)) this.paths.unshift(p);
    const conclusion = exitCode === 0 ? 'success' : 'failure';
    if (conclusion === 'failure') this.status = 'failure';
    return this.record(
      step.id,
      kind,
      conclusion,
      exitCode,
      Object.fromEntries(read(file.output)),
      kind === 'main' ? Object.fromEntries(read(file.state)) : {},
      readFileSync(file.summary, 'utf8'),
      Date.now() - started,
      name,
    );
  }

  private record(
    id: string | undefined,
    kind: StepResult['kind'],
    conclusion: StepResult['conclusion'],
    exitCode: number | undefined,
    outputs: Record<string, string>,
    state: Record<string, string>,
    summary: string,
    durationMs: number,
    name = id ?? kind,
  ): StepResult {
    const result: StepResult = { name, id, kind, conclusion, exitCode, outputs, state, summary, durationMs };
    this.results.push(result);
    if (id !== undefined && kind !== 'post') this.byId[id] = result;
    return result;
  }

  /** `INPUT_<NAME>` for every input of action.yml: the given value, else its default. */
  private inputEnv(given: Readonly<Record<string, string>>): Record<string, string> {
    const env: Record<string, string> = {};
    for (const name of Object.keys(given)) {
      if (!(name in this.action.inputs))
        throw new Error(`Unexpected input '${name}': action.yml does not declare it`);
    }
    for (const [name, input] of Object.entries(this.action.inputs)) {
      const value = given[name] ?? input.default;
      if (value !== undefined) env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
    }
    return env;
  }

  private baseEnv(): Record<string, string> {
    const repository = this.spec.repository ?? 'octo-org/octo-repo';
    const path = [...this.paths, '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'].join(':');
    return {
      PATH: path,
      HOME: this.user.home,
      USER: this.user.name,
      LOGNAME: this.user.name,
      LANG: 'C.UTF-8',
      CI: 'true',
      GITHUB_ACTIONS: 'true',
      GITHUB_ACTION_PATH: this.dirs.action,
      GITHUB_WORKSPACE: this.dirs.workspace,
      GITHUB_REPOSITORY: repository,
      GITHUB_REPOSITORY_OWNER: repository.split('/')[0] ?? '',
      GITHUB_REF: this.spec.ref ?? 'refs/heads/main',
      GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
      GITHUB_EVENT_NAME: this.spec.eventName ?? 'push',
      GITHUB_EVENT_PATH: join(this.root, 'event.json'),
      GITHUB_RUN_ID: '4242',
      GITHUB_RUN_ATTEMPT: '1',
      GITHUB_JOB: 'build',
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_API_URL: 'https://api.github.com',
      RUNNER_OS: 'Linux',
      RUNNER_ARCH: process.arch === 'arm64' ? 'ARM64' : 'X64',
      RUNNER_NAME: 'test-runner',
      RUNNER_ENVIRONMENT: this.spec.runnerEnvironment ?? 'github-hosted',
      RUNNER_TEMP: this.dirs.temp,
      ...(this.spec.idToken
        ? {
            ACTIONS_ID_TOKEN_REQUEST_URL: this.spec.idToken.requestUrl,
            ACTIONS_ID_TOKEN_REQUEST_TOKEN: this.spec.idToken.requestToken,
          }
        : {}),
    };
  }

  private async chownTree(user: Account): Promise<void> {
    await spawnAs(account('root'), ['/bin/chown', '-R', `${user.uid}:${user.gid}`, this.root], {
      env: { PATH: '/usr/bin:/bin' },
      cwd: '/',
      timeoutMs: 30_000,
      onLine: () => undefined,
    });
  }
}
