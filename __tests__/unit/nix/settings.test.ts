import { describe, expect, it } from '@jest/globals';
import {
  parseSettingsJson,
  parseSettingsText,
  SELECTED_SETTINGS,
  selectedUnreadable,
  selectSettings,
  settingsCandidates,
  settingText,
} from '../../../src/nix/detect/settings.js';
import { loadCase } from './recorded-case.js';

const NIX = ['nix', '--extra-experimental-features', 'nix-command'];
const debian = loadCase('debian-nix-2.8-runner-daemon');

describe('settingsCandidates', () => {
  const install = (version: string, implementation: 'nix' | 'lix' | 'determinate' = 'nix') => ({
    implementation,
    version,
    versionLine: '',
  });
  it('uses show-config before 2.20 and config show from 2.20, JSON first, plain last', () => {
    expect(settingsCandidates(install('2.8.0'))).toEqual([['show-config', '--json'], ['show-config']]);
    expect(settingsCandidates(install('2.20.0'))).toEqual([
      ['config', 'show', '--json'],
      ['show-config', '--json'],
      ['config', 'show'],
    ]);
    expect(settingsCandidates(install('2.29.0', 'determinate'))[0]).toEqual(['config', 'show', '--json']);
  });
  it('tries both spellings on Lix, whose numbers are its own', () => {
    expect(settingsCandidates(install('2.91.1', 'lix')).slice(0, 2)).toEqual([
      ['config', 'show', '--json'],
      ['show-config', '--json'],
    ]);
  });
});

describe('parseSettingsJson on the recorded Nix 2.8 output', () => {
  const parsed = parseSettingsJson(debian.output(...NIX, 'show-config', '--json').stdout);

  it('reads {value, defaultValue, description…} objects: lists space-joined, scalars as text', () => {
    expect(parsed?.settings).toMatchObject({
      'trusted-users': 'root',
      'trusted-public-keys': 'cache.nixos.org-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY=',
      substituters: '', // the test bed sets `substituters =`
      sandbox: 'false',
      'narinfo-cache-negative-ttl': '3600',
      store: 'auto',
      'build-users-group': 'nixbld',
    });
  });

  it("marks 2.8's numeric experimental-features as unreadable, which the plain form then fills", () => {
    expect(parsed?.unreadable).toContain('experimental-features');
    expect(parsed?.settings['experimental-features']).toBeUndefined();
    expect(parsed && selectedUnreadable(parsed)).toEqual(['experimental-features']);
    const plain = parseSettingsText(debian.output(...NIX, 'show-config').stdout);
    expect(plain['experimental-features']).toBe('flakes nix-command');
  });

  it('agrees with the plain form on every selected setting it can read', () => {
    const plain = selectSettings(parseSettingsText(debian.output(...NIX, 'show-config').stdout));
    const json = selectSettings(parsed?.settings ?? {});
    for (const [name, value] of Object.entries(json)) expect([name, plain[name]]).toEqual([name, value]);
    expect(Object.keys(plain).sort()).toEqual([...SELECTED_SETTINGS].sort());
  });
});

describe('parseSettingsJson on newer formats', () => {
  it('reads the 2.2x/2.3x form with experimentalFeature (transcribed)', () => {
    const c = loadCase('github-ubuntu-upstream-2.31-systemd');
    const parsed = parseSettingsJson(c.output(...NIX, 'config', 'show', '--json').stdout);
    expect(parsed?.settings['experimental-features']).toBe('flakes nix-command');
    expect(parsed?.settings['trusted-users']).toBe('root runner');
    expect(parsed?.unreadable).toEqual(['access-tokens']); // an object: not needed, not readable as text
    expect(parsed && selectedUnreadable(parsed)).toEqual([]);
  });

  it('accepts bare values and rejects what is not a JSON object', () => {
    expect(parseSettingsJson('{"sandbox": true, "cores": 4}')?.settings).toEqual({
      sandbox: 'true',
      cores: '4',
    });
    expect(parseSettingsJson('sandbox = true')).toBeUndefined();
    expect(parseSettingsJson('[1, 2]')).toBeUndefined();
  });
});

describe('settingText', () => {
  it('renders values as the plain form does', () => {
    expect(settingText(['a', 'b'])).toBe('a b');
    expect(settingText([])).toBe('');
    expect(settingText(false)).toBe('false');
    expect(settingText(0)).toBe('0');
    expect(settingText('relaxed')).toBe('relaxed');
    expect(settingText([2, 3])).toBeUndefined();
    expect(settingText({})).toBeUndefined();
    expect(settingText(null)).toBeUndefined();
  });
});

describe('parseSettingsText', () => {
  it('reads `name = value` lines, empty values included', () => {
    expect(parseSettingsText('access-tokens = \nsandbox = false\nsubstituters = a b\n')).toEqual({
      'access-tokens': '',
      sandbox: 'false',
      substituters: 'a b',
    });
  });
  it('ignores lines that are not settings', () => {
    expect(parseSettingsText('warning: unknown setting foo\n\n  continued\n')).toEqual({});
  });
});

describe('selectSettings', () => {
  it('keeps only the selected settings', () => {
    expect(selectSettings({ substituters: 'a', cores: '4', 'extra-substituters': 'b' })).toEqual({
      substituters: 'a',
    });
  });
});
