import { describe, expect, it } from '@jest/globals';
import {
  globalConfDir,
  globalConfFile,
  MAX_INCLUDE_DEPTH,
  readConfFiles,
  userConfFiles,
} from '../../../src/nix/detect/conf-files.js';
import { applySettings, parseConf, resolveInclude } from '../../../src/nix/detect/conf-syntax.js';

describe('parseConf', () => {
  it('reads settings, includes and comments the way Nix does', () => {
    const text = [
      '# comment',
      'substituters = https://a https://b   # trailing comment',
      'access-tokens =',
      'include extra.conf',
      '!include  /etc/nix/optional.conf',
      '',
      'connect-timeout=3', // Nix rejects this: the `=` must stand alone
      'include', // no path: rejected
      'weird line',
    ].join('\n');
    expect(parseConf(text)).toEqual([
      { kind: 'setting', name: 'substituters', value: 'https://a https://b' },
      { kind: 'setting', name: 'access-tokens', value: '' },
      { kind: 'include', path: 'extra.conf', optional: false },
      { kind: 'include', path: '/etc/nix/optional.conf', optional: true },
    ]);
  });

  it('keeps a value with spaces as Nix does (tokens joined by one space)', () => {
    expect(parseConf('bash-prompt-prefix = (nix:$name)\\040   x')).toEqual([
      { kind: 'setting', name: 'bash-prompt-prefix', value: '(nix:$name)\\040 x' },
    ]);
  });
});

describe('applySettings', () => {
  it('replaces with name = …, appends with extra-name = …', () => {
    const lines = parseConf('substituters = a\nextra-substituters = b c\nsandbox = true\nsandbox = false');
    expect(applySettings({}, lines)).toEqual({ substituters: 'a b c', sandbox: 'false' });
    expect(applySettings({ 'trusted-users': 'root' }, parseConf('extra-trusted-users = x'))).toEqual({
      'trusted-users': 'root x',
    });
  });
});

describe('resolveInclude', () => {
  it("resolves relative to the including file's directory", () => {
    expect(resolveInclude('/etc/nix/nix.conf', 'nix.custom.conf')).toBe('/etc/nix/nix.custom.conf');
    expect(resolveInclude('/etc/nix/nix.conf', '../other/x.conf')).toBe('/etc/other/x.conf');
    expect(resolveInclude('/etc/nix/nix.conf', './a/./b.conf')).toBe('/etc/nix/a/b.conf');
    expect(resolveInclude('/etc/nix/nix.conf', '/abs.conf')).toBe('/abs.conf');
  });
});

describe('globalConfFile', () => {
  it('is /etc/nix/nix.conf unless NIX_CONF_DIR says otherwise', () => {
    expect(globalConfFile({})).toBe('/etc/nix/nix.conf');
    expect(globalConfFile({ NIX_CONF_DIR: '' })).toBe('/etc/nix/nix.conf');
    expect(globalConfFile({ NIX_CONF_DIR: '/opt/nix/etc/' })).toBe('/opt/nix/etc/nix.conf');
    expect(globalConfDir({ NIX_CONF_DIR: '/' })).toBe('/');
    expect(globalConfFile({ NIX_CONF_DIR: '/' })).toBe('/nix.conf');
  });
});

describe('userConfFiles (in the order Nix applies them: the last one wins)', () => {
  it('defaults to /etc/xdg then ~/.config, $HOME before the account home', () => {
    expect(userConfFiles({}, '/home/u')).toEqual(['/etc/xdg/nix/nix.conf', '/home/u/.config/nix/nix.conf']);
    expect(userConfFiles({ HOME: '/tmp/h' }, '/home/u')).toEqual([
      '/etc/xdg/nix/nix.conf',
      '/tmp/h/.config/nix/nix.conf',
    ]);
  });

  it('applies XDG_CONFIG_DIRS from the last entry to the first, XDG_CONFIG_HOME last', () => {
    // Nix 2.8 prints this list as "User configuration files: /h/nix/nix.conf:/a/nix/nix.conf:/b/nix/nix.conf"
    // for XDG_CONFIG_HOME=/h XDG_CONFIG_DIRS=/a:/b, and applies it from the end.
    expect(userConfFiles({ XDG_CONFIG_HOME: '/h', XDG_CONFIG_DIRS: '/a:/b/' }, '/home/u')).toEqual([
      '/b/nix/nix.conf',
      '/a/nix/nix.conf',
      '/h/nix/nix.conf',
    ]);
    expect(userConfFiles({ XDG_CONFIG_DIRS: '' }, '/home/u')).toEqual(['/home/u/.config/nix/nix.conf']);
  });

  it('takes NIX_USER_CONF_FILES instead when set, also applied from the end', () => {
    expect(
      userConfFiles({ NIX_USER_CONF_FILES: '/x.conf:/y.conf', XDG_CONFIG_HOME: '/h' }, '/home/u'),
    ).toEqual(['/y.conf', '/x.conf']);
    expect(userConfFiles({ NIX_USER_CONF_FILES: '' }, '/home/u')).toEqual([]);
  });
});

describe('readConfFiles', () => {
  const reader = (files: Record<string, string>) => (path: string) => Promise.resolve(files[path]);

  it('lists files in reading order with their includes in place, and the settings lines per scope', async () => {
    const result = await readConfFiles(
      reader({
        '/etc/nix/nix.conf':
          '!include nix.custom.conf\ninclude sub/extra.conf\n!include missing.conf\nsandbox = true\n',
        '/etc/nix/nix.custom.conf': 'trusted-users = root ci\n',
        '/etc/nix/sub/extra.conf': 'include ../deeper.conf\n',
        '/etc/nix/deeper.conf': 'extra-trusted-users = deep\n',
        '/home/u/.config/nix/nix.conf': 'substituters = https://u\n',
      }),
      '/etc/nix/nix.conf',
      ['/etc/xdg/nix/nix.conf', '/home/u/.config/nix/nix.conf'],
    );
    expect(result.files).toEqual([
      { path: '/etc/nix/nix.conf', scope: 'global', exists: true },
      {
        path: '/etc/nix/nix.custom.conf',
        scope: 'global',
        exists: true,
        includedFrom: '/etc/nix/nix.conf',
        optional: true,
      },
      { path: '/etc/nix/sub/extra.conf', scope: 'global', exists: true, includedFrom: '/etc/nix/nix.conf' },
      {
        path: '/etc/nix/deeper.conf',
        scope: 'global',
        exists: true,
        includedFrom: '/etc/nix/sub/extra.conf',
      },
      {
        path: '/etc/nix/missing.conf',
        scope: 'global',
        exists: false,
        includedFrom: '/etc/nix/nix.conf',
        optional: true,
      },
      { path: '/etc/xdg/nix/nix.conf', scope: 'user', exists: false },
      { path: '/home/u/.config/nix/nix.conf', scope: 'user', exists: true },
    ]);
    expect(applySettings({}, result.lines.global)).toEqual({
      'trusted-users': 'root ci deep',
      sandbox: 'true',
    });
    expect(applySettings({}, result.lines.user)).toEqual({ substituters: 'https://u' });
  });

  it('cuts include cycles where they close', async () => {
    const result = await readConfFiles(
      reader({ '/c/a.conf': 'include b.conf\nx = 1\n', '/c/b.conf': 'include a.conf\ny = 2\n' }),
      '/c/a.conf',
      [],
    );
    expect(result.files.map((f) => f.path)).toEqual(['/c/a.conf', '/c/b.conf']);
    expect(applySettings({}, result.lines.global)).toEqual({ x: '1', y: '2' });
  });

  it('stops at the depth limit', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < MAX_INCLUDE_DEPTH + 5; i++) files[`/c/${i}.conf`] = `include ${i + 1}.conf\n`;
    const result = await readConfFiles(reader(files), '/c/0.conf', []);
    expect(result.files).toHaveLength(MAX_INCLUDE_DEPTH);
  });
});
