import { describe, expect, it } from '@jest/globals';
import {
  BLOCK_BEGIN,
  BLOCK_END,
  blockOf,
  hasBlock,
  readSettings,
  renderBlock,
  renderSettings,
  withBlock,
  withoutBlock,
} from '../../../src/config/nix-conf.js';
import type { Settings } from '../../../src/config/types.js';

const SETTINGS: Settings = [
  ['extra-substituters', 'https://a.example.com https://b.example.com'],
  ['netrc-file', '/etc/nix/nix-cache-action.netrc'],
];
const OTHER: Settings = [['fallback', 'true']];
const BLOCK = [
  BLOCK_BEGIN,
  'extra-substituters = https://a.example.com https://b.example.com',
  'netrc-file = /etc/nix/nix-cache-action.netrc',
  BLOCK_END,
  '',
].join('\n');

const count = (text: string, needle: string): number => text.split(needle).length - 1;

describe('renderSettings', () => {
  it('writes one `key = value` line per setting, in order', () => {
    expect(renderSettings(SETTINGS)).toBe(
      'extra-substituters = https://a.example.com https://b.example.com\nnetrc-file = /etc/nix/nix-cache-action.netrc\n',
    );
    expect(renderSettings([['substituters', '']])).toBe('substituters =\n');
    expect(renderSettings([])).toBe('');
  });

  it.each([
    ['a newline', 'x\nsubstituters = https://evil.example.com', /newline at position 2/],
    ['a carriage return', 'x\ry', /carriage return at position 2/],
    ['a NUL', 'x\0y', /NUL character at position 2/],
    ['a #', 'https://a.example.com#x', /'#' at position 22/],
  ])('refuses a value with %s, without repeating it', (_, value, message) => {
    expect(() => renderSettings([['extra-substituters', value]])).toThrow(message);
    expect(() => renderSettings([['extra-substituters', value]])).toThrow(/setting 'extra-substituters'/);
    try {
      renderSettings([['extra-substituters', value]]);
    } catch (error) {
      expect((error as Error).message).not.toContain(value);
    }
  });

  it.each([['bad key'], ['key\nx'], ['a#b'], [''], ['k=v']])('refuses the key %j', (key) => {
    expect(() => renderSettings([[key, 'v']])).toThrow(/nix.conf setting name/);
  });
});

describe('withBlock', () => {
  it('creates the text of a new file', () => {
    expect(withBlock(undefined, SETTINGS)).toBe(BLOCK);
    expect(withBlock('', SETTINGS)).toBe(BLOCK);
    expect(renderBlock(SETTINGS)).toBe(BLOCK);
  });

  it('appends after text ending with a newline, leaving it byte for byte', () => {
    const user = '# mine\nsubstituters = https://cache.nixos.org/\n\n';
    expect(withBlock(user, SETTINGS)).toBe(user + BLOCK);
  });

  it('adds a newline first when the text does not end with one', () => {
    const user = 'max-jobs = 4';
    expect(withBlock(user, SETTINGS)).toBe(`${user}\n${BLOCK}`);
  });

  it('keeps CRLF text exactly', () => {
    const user = 'max-jobs = 4\r\ntrusted-users = root\r\n';
    const result = withBlock(user, SETTINGS);
    expect(result).toBe(user + BLOCK);
    expect(withoutBlock(result)).toBe(user);
  });

  it('moves a block in the middle of a file to the end, the rest unchanged', () => {
    const before = 'a = 1\n';
    const after = 'b = 2\n# trailing comment';
    const text = `${before}${renderBlock(OTHER)}${after}`;
    expect(withBlock(text, SETTINGS)).toBe(`${before}${after}\n${BLOCK}`);
  });

  it('run twice gives one block and the same text', () => {
    for (const user of [undefined, '', 'a = 1', 'a = 1\n', 'a = 1\r\n']) {
      const once = withBlock(user, SETTINGS);
      const twice = withBlock(once, SETTINGS);
      expect(twice).toBe(once);
      expect(count(twice, BLOCK_BEGIN)).toBe(1);
      expect(count(twice, BLOCK_END)).toBe(1);
    }
  });

  it('replaces the settings of an older block', () => {
    const text = withBlock(withBlock('a = 1\n', OTHER), SETTINGS);
    expect(text).toBe(`a = 1\n${BLOCK}`);
    expect(readSettings(text)).toEqual({
      a: '1',
      'extra-substituters': 'https://a.example.com https://b.example.com',
      'netrc-file': '/etc/nix/nix-cache-action.netrc',
    });
  });

  it('refuses to touch a half-written block', () => {
    const half = `a = 1\n${BLOCK_BEGIN}\nfallback = true\n`;
    expect(() => withBlock(half, SETTINGS)).toThrow(/starting on line 2 has no END line/);
  });
});

describe('withoutBlock', () => {
  it('returns text without a block unchanged', () => {
    for (const text of ['', 'a = 1', 'a = 1\n', 'x\r\ny\r\n']) expect(withoutBlock(text)).toBe(text);
  });

  it("gives '' for a file that only had our block", () => {
    expect(withoutBlock(BLOCK)).toBe('');
    expect(withoutBlock(withBlock(undefined, SETTINGS))).toBe('');
  });

  it('takes out exactly the block lines, wherever the block is', () => {
    expect(withoutBlock(`a = 1\n${BLOCK}b = 2\n`)).toBe('a = 1\nb = 2\n');
    expect(withoutBlock(`a = 1\n${BLOCK}`)).toBe('a = 1\n');
    expect(withoutBlock(`${BLOCK}b = 2`)).toBe('b = 2');
  });

  it('undoes withBlock on text ending with a newline; keeps the separating newline otherwise', () => {
    expect(withoutBlock(withBlock('a = 1\n', SETTINGS))).toBe('a = 1\n');
    expect(withoutBlock(withBlock('a = 1', SETTINGS))).toBe('a = 1\n');
  });

  it('recognises marker lines ending with CRLF, and an END line without a newline', () => {
    const crlf = `a\r\n${BLOCK_BEGIN}\r\nfallback = true\r\n${BLOCK_END}\r\nb\r\n`;
    expect(withoutBlock(crlf)).toBe('a\r\nb\r\n');
    expect(withoutBlock(`a\n${BLOCK_BEGIN}\nfallback = true\n${BLOCK_END}`)).toBe('a\n');
  });

  it.each([
    ['BEGIN without END', `${BLOCK_BEGIN}\nfallback = true\n`, /line 1 has no END line/],
    ['END without BEGIN', `a = 1\n${BLOCK_END}\n`, /line 2 ends a nix-cache-action block that never began/],
    [
      'BEGIN twice',
      `${BLOCK_BEGIN}\n${BLOCK_BEGIN}\n${BLOCK_END}\n`,
      /no END line before another BEGIN on line 2/,
    ],
  ])('throws on a corrupted block: %s', (_, text, message) => {
    expect(() => withoutBlock(text)).toThrow(message);
    expect(() => hasBlock(text)).toThrow(/half-written/);
  });

  it('removes every complete block of ours', () => {
    expect(withoutBlock(`${renderBlock(OTHER)}a\n${BLOCK}`)).toBe('a\n');
  });
});

describe('blockOf', () => {
  it('gives our block lines only', () => {
    expect(blockOf(`a = 1\n${BLOCK}b = 2\n`)).toBe(BLOCK);
    expect(blockOf('a = 1\n')).toBe('');
  });
});

describe('hasBlock', () => {
  it('tells whether a block of ours is there', () => {
    expect(hasBlock(undefined)).toBe(false);
    expect(hasBlock('a = 1\n# BEGIN something else\n')).toBe(false);
    expect(hasBlock(`a = 1\n${BLOCK}`)).toBe(true);
  });
});

describe('readSettings', () => {
  it('reads the last value of each key, skipping comments and includes', () => {
    const text = [
      '# a comment',
      'substituters = https://a.example.com  https://b.example.com # trailing',
      'include /etc/nix/other.conf',
      '!include nix.custom.conf',
      'netrc-file = /etc/nix/netrc',
      'extra-substituters = https://c.example.com',
      'netrc-file = /etc/nix/other-netrc',
      'bad=line',
      'empty =',
      '',
    ].join('\n');
    expect(readSettings(text)).toEqual({
      substituters: 'https://a.example.com https://b.example.com',
      'netrc-file': '/etc/nix/other-netrc',
      'extra-substituters': 'https://c.example.com',
      empty: '',
    });
  });

  it('reads CRLF text and our own block', () => {
    expect(readSettings('a = 1\r\nb = 2\r\n')).toEqual({ a: '1', b: '2' });
    expect(readSettings(BLOCK)['netrc-file']).toBe('/etc/nix/nix-cache-action.netrc');
  });

  it('keeps a key named __proto__ as a plain key', () => {
    const settings = readSettings('__proto__ = x\n');
    expect(Object.keys(settings)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(settings)).toBe(Object.prototype);
  });
});
