import { describe, expect, it } from '@jest/globals';
import { blockOf, readSettings } from '../../../src/config/nix-conf.js';
import type { PlanInputs } from '../../../src/config/plan.js';
import { parseStoreUrl } from '../../../src/config/validate.js';
import type { NixEnvironment } from '../../../src/nix/environment.js';
import { hookScript } from '../../../src/push/hook.js';
import {
  plan,
  recordedEnvironment,
  recordedFile,
  ROOT_NETRC,
  TOKEN,
  USER_NETRC,
  writeOf,
} from './plan-harness.js';

const HOOK = {
  script: '/etc/nix/nix-cache-action/post-build-hook',
  queue: '/nix/var/nix-cache-action/push-queue',
};
const env = recordedEnvironment('debian-nix-2.8-runner-daemon');
const conf = recordedFile('debian-nix-2.8-runner-daemon', 'file-etc-nix-nix.conf.txt');

function inputs(environment: NixEnvironment, over: Partial<PlanInputs> = {}): PlanInputs {
  return {
    cache: parseStoreUrl('cache', 'https://cache.example.com'),
    extraSubstituters: [],
    publicKeys: [],
    token: TOKEN,
    trustedUser: false,
    acceptFlakeConfig: false,
    environment,
    user: 'runner',
    home: '/home/runner',
    globalConfManaged: false,
    rootNetrcPath: ROOT_NETRC,
    userNetrcPath: USER_NETRC,
    postBuildHook: HOOK,
    ...over,
  };
}

describe('the post-build hook in the plan', () => {
  it('writes the script and an empty queue before the nix.conf that names the script', () => {
    const p = plan(inputs(env), { '/etc/nix/nix.conf': conf });
    const order = p.writes.map((w) => w.role);
    expect(order.indexOf('post-build-hook')).toBeLessThan(order.indexOf('daemon-conf'));
    expect(writeOf(p, HOOK.script)).toMatchObject({ mode: 0o755, owner: 'root', secret: false });
    expect(writeOf(p, HOOK.script).content).toBe(hookScript(HOOK.queue));
    expect(writeOf(p, HOOK.queue)).toMatchObject({ content: '', mode: 0o644, owner: 'root' });
    expect(readSettings(writeOf(p, '/etc/nix/nix.conf').content)['post-build-hook']).toBe(HOOK.script);
    expect(p.postBuildHook).toEqual(HOOK);
    expect(p.daemonConfigChanged).toBe(true);
  });

  it("keeps the user's own post-build-hook and says the post step pushes alone", () => {
    const own = `${conf}\npost-build-hook = /etc/nix/upload-to-cache.sh\n`;
    const p = plan(inputs(env), { '/etc/nix/nix.conf': own });
    expect(p.postBuildHook).toBeUndefined();
    expect(p.writes.map((w) => w.role)).not.toContain('post-build-hook');
    expect(readSettings(blockOf(writeOf(p, '/etc/nix/nix.conf').content))['post-build-hook']).toBeUndefined();
    expect(p.notes.join('\n')).toMatch(/post-build-hook of its own: kept/);
  });

  it('sets no hook when the daemon configuration is out of reach', () => {
    const noRoot: NixEnvironment = {
      ...env,
      privilege: { ...env.privilege, passwordlessSudo: false, canWriteRootFiles: false },
    };
    const p = plan(inputs(noRoot), { '/etc/nix/nix.conf': conf });
    expect(p.postBuildHook).toBeUndefined();
    expect(p.writes.every((w) => w.owner === 'user')).toBe(true);
  });
});
