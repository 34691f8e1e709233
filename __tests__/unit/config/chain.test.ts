import { describe, expect, it } from '@jest/globals';
import { expandChain, lastValue, listValue, overriddenBy } from '../../../src/config/chain.js';

const files: Record<string, string> = {
  '/etc/nix/nix.conf': '!include nix.custom.conf\nnetrc-file = /nix/var/determinate/netrc\nmax-jobs = auto\n',
  '/etc/nix/nix.custom.conf': 'include ../nix/loop.conf\nfallback = false\n',
  '/etc/nix/loop.conf': 'include /etc/nix/nix.custom.conf\nconnect-timeout = 1\n',
};
const read = (path: string): string | undefined => files[path];

describe('expandChain', () => {
  it('expands includes in place, relative to the including file, and cuts cycles', () => {
    const lines = expandChain(['/etc/nix/nix.conf'], read);
    expect(lines.map((l) => `${l.file}: ${l.name}`)).toEqual([
      '/etc/nix/loop.conf: connect-timeout',
      '/etc/nix/nix.custom.conf: fallback',
      '/etc/nix/nix.conf: netrc-file',
      '/etc/nix/nix.conf: max-jobs',
    ]);
  });

  it('appends our settings at the end of their file, even a missing one', () => {
    const blocks = new Map([
      ['/etc/nix/nix.custom.conf', [['netrc-file', '/ours'] as const]],
      ['/home/u/.config/nix/nix.conf', [['fallback', 'true'] as const]],
    ]);
    const lines = expandChain(['/etc/nix/nix.conf', '/home/u/.config/nix/nix.conf'], read, blocks);
    const ours = lines.filter((l) => l.ours).map((l) => `${l.file}: ${l.name}`);
    expect(ours).toEqual(['/etc/nix/nix.custom.conf: netrc-file', '/home/u/.config/nix/nix.conf: fallback']);
    expect(lastValue(lines, 'netrc-file')).toBe('/nix/var/determinate/netrc');
    expect(overriddenBy(lines, 'netrc-file')?.file).toBe('/etc/nix/nix.conf');
    expect(overriddenBy(lines, 'fallback')).toBeUndefined();
    expect(lastValue(lines, 'fallback')).toBe('true');
  });

  it('treats a later plain setting as overriding an extra- one of ours, not another extra-', () => {
    const text: Record<string, string> = { '/a': 'extra-substituters = https://x\n' };
    const ours = new Map([['/root', [['extra-substituters', 'https://ours'] as const]]]);
    const lines = expandChain(['/root', '/a'], (p) => text[p], ours);
    expect(overriddenBy(lines, 'extra-substituters')).toBeUndefined();
    text['/a'] = 'substituters = https://x\n';
    const replaced = expandChain(['/root', '/a'], (p) => text[p], ours);
    expect(overriddenBy(replaced, 'extra-substituters')?.value).toBe('https://x');
    expect(lastValue(replaced, 'netrc-file')).toBeUndefined();
  });
});

describe('listValue', () => {
  it('applies plain and extra- lines in order: a plain line replaces, an extra- line appends', () => {
    const text: Record<string, string> = {
      '/a': 'extra-trusted-public-keys = k1 k2\ninclude b\nextra-trusted-public-keys =  k4\n',
      '/b': 'trusted-public-keys = k3\n',
    };
    const lines = expandChain(['/a'], (p) => text[p]);
    expect(listValue(lines, 'trusted-public-keys')).toEqual(['k3', 'k4']);
    expect(listValue(lines, 'substituters')).toEqual([]);
  });
});
