/** Our tuning settings never override what the user chose for themselves; the negative-cache guard does. */
import { describe, expect, it } from '@jest/globals';
import { type PlanInputs, planConfiguration } from '../../../src/config/plan.js';
import { readSettings } from '../../../src/config/nix-conf.js';
import type { NixEnvironment } from '../../../src/nix/environment.js';
import { sampleEnvironment } from '../sample-environment.js';

const environment: NixEnvironment = {
  ...sampleEnvironment,
  config: {
    ...sampleEnvironment.config,
    files: [{ path: '/etc/nix/nix.conf', scope: 'global', exists: true }],
  },
};
const inputs: PlanInputs = {
  cache: { url: 'https://cache.example.org', scheme: 'https', host: 'cache.example.org' },
  extraSubstituters: [],
  publicKeys: ['cache.example.org-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY='],
  trustedUser: false,
  acceptFlakeConfig: false,
  environment,
  user: 'runner',
  home: '/home/runner',
  globalConfManaged: false,
  rootNetrcPath: '/etc/nix/nix-cache-action/netrc',
  userNetrcPath: '/tmp/t/nix-cache-action/netrc',
};

function daemonBlock(globalConf: string): Record<string, string> {
  const plan = planConfiguration({
    ...inputs,
    current: { '/etc/nix/nix.conf': globalConf, '/home/runner/.config/nix/nix.conf': undefined },
  });
  const text = plan.writes.find((w) => w.path === '/etc/nix/nix.conf')?.content ?? '';
  return readSettings(text.slice(text.indexOf('# BEGIN nix-cache-action')));
}

describe('tuning settings', () => {
  it('are written when the user has none of their own', () => {
    expect(daemonBlock('trusted-users = root\n')).toMatchObject({
      'narinfo-cache-negative-ttl': '0',
      fallback: 'true',
      'connect-timeout': '5',
    });
  });

  it('leave the user’s own fallback and connect-timeout alone, but always guard the negative cache', () => {
    const block = daemonBlock('fallback = false\nconnect-timeout = 30\nnarinfo-cache-negative-ttl = 3600\n');
    expect(block['fallback']).toBeUndefined();
    expect(block['connect-timeout']).toBeUndefined();
    expect(block['narinfo-cache-negative-ttl']).toBe('0');
  });
});
