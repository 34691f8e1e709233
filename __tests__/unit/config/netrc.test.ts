import { describe, expect, it } from '@jest/globals';
import { mergeNetrc, parseNetrc, removeMachine, renderNetrc } from '../../../src/config/netrc.js';
import type { NetrcEntry } from '../../../src/config/types.js';

const OURS: NetrcEntry = { machine: 'cache.example.com', login: 'token', password: 'Tok3nValue' };

describe('parseNetrc', () => {
  it('reads entries spread over lines, or on one line', () => {
    const text =
      'machine a.example.com\n  login alice\n  password pa55\n\nmachine b.example.com login bob password pw account acct\n';
    expect(parseNetrc(text)).toEqual([
      { machine: 'a.example.com', login: 'alice', password: 'pa55' },
      { machine: 'b.example.com', login: 'bob', password: 'pw', account: 'acct' },
    ]);
  });

  it('reads values on the line after their keyword, tabs and CRLF', () => {
    expect(parseNetrc('machine\ta.example.com\r\nlogin\r\nalice\r\npassword\tpw\r\n')).toEqual([
      { machine: 'a.example.com', login: 'alice', password: 'pw' },
    ]);
  });

  it('reads the default entry', () => {
    expect(parseNetrc('default login anon password guest\nmachine a login u password p')).toEqual([
      { machine: undefined, login: 'anon', password: 'guest' },
      { machine: 'a', login: 'u', password: 'p' },
    ]);
  });

  it('takes a value that looks like a keyword as a value', () => {
    expect(parseNetrc('machine a login machine password default')).toEqual([
      { machine: 'a', login: 'machine', password: 'default' },
    ]);
  });

  it('skips macdef bodies up to the blank line, and comment lines', () => {
    const text = [
      '# credentials',
      'machine a.example.com login u password p',
      'macdef init',
      'machine evil.example.com password stolen',
      'cd /pub',
      '',
      '  # indented comment',
      'machine b.example.com login v password q',
      'macdef last',
      'bye',
    ].join('\n');
    expect(parseNetrc(text)).toEqual([
      { machine: 'a.example.com', login: 'u', password: 'p' },
      { machine: 'b.example.com', login: 'v', password: 'q' },
    ]);
  });

  it('reads an empty file as no entries', () => {
    expect(parseNetrc('')).toEqual([]);
    expect(parseNetrc('\n\n  \n')).toEqual([]);
  });

  it.each([
    ['a field before any machine', 'login u password p', /line 1: 'login' comes before any 'machine'/],
    ['an unknown word', 'machine a login u\npassword "two words"', /line 2: an unexpected word/],
    ['a keyword without its value', 'machine a login u password', /ends after 'password'/],
    ['a machine keyword at the end', 'machine', /ends after 'machine'/],
  ])('throws on %s, without printing values', (_, text, message) => {
    expect(() => parseNetrc(text)).toThrow(message);
    try {
      parseNetrc(text);
    } catch (error) {
      expect((error as Error).message).not.toContain('words');
    }
  });
});

describe('renderNetrc', () => {
  it('writes one line per entry, default last', () => {
    const entries: NetrcEntry[] = [
      { machine: undefined, login: 'anon', password: 'guest' },
      { machine: 'a.example.com', login: 'u', password: 'p', account: 'x' },
      { machine: 'b.example.com', password: 'only' },
    ];
    expect(renderNetrc(entries)).toBe(
      'machine a.example.com login u password p account x\nmachine b.example.com password only\ndefault login anon password guest\n',
    );
    expect(renderNetrc([])).toBe('');
  });

  it('round-trips what it parses', () => {
    const entries: NetrcEntry[] = [
      { machine: 'a', login: 'u', password: 'p#1' },
      { machine: 'b', password: 'pässwörd' },
      { machine: undefined, login: 'anon' },
    ];
    expect(parseNetrc(renderNetrc(entries))).toEqual(entries);
  });

  it.each([
    ['a password with a space', { machine: 'a', password: 'two words' }, /password contains a space/],
    [
      'a password with a newline',
      { machine: 'a', password: 'x\nmachine evil' },
      /password contains a newline/,
    ],
    ['an empty login', { machine: 'a', login: '' }, /login is empty/],
    ['a machine with a tab', { machine: 'a\tb', login: 'u' }, /machine name contains a tab/],
    [
      'a default entry with a NUL',
      { machine: undefined, password: 'a\0b' },
      /default netrc entry: the password/,
    ],
  ])('throws on %s, without printing it', (_, entry: NetrcEntry, message) => {
    expect(() => renderNetrc([entry])).toThrow(message);
    try {
      renderNetrc([entry]);
    } catch (error) {
      expect((error as Error).message).not.toMatch(/words|machine evil/);
    }
  });
});

describe('mergeNetrc', () => {
  it('creates a file with our entry', () => {
    expect(mergeNetrc(undefined, OURS)).toBe('machine cache.example.com login token password Tok3nValue\n');
    expect(mergeNetrc('', OURS)).toBe('machine cache.example.com login token password Tok3nValue\n');
  });

  it('keeps other machines and default, ours before default', () => {
    const existing =
      'machine a.example.com\nlogin u\npassword p\n\ndefault login anon password guest\nmachine z login z password z\n';
    expect(mergeNetrc(existing, OURS)).toBe(
      [
        'machine a.example.com login u password p',
        'machine z login z password z',
        'machine cache.example.com login token password Tok3nValue',
        'default login anon password guest',
        '',
      ].join('\n'),
    );
  });

  it('replaces the entry for the same machine where it was, and drops its duplicates', () => {
    const existing = [
      'machine a login u password p',
      'machine CACHE.example.com login old password oldpass',
      'machine b login v password q',
      'machine cache.example.com login older password olderpass',
    ].join('\n');
    const merged = mergeNetrc(existing, OURS);
    expect(merged).toBe(
      'machine a login u password p\nmachine cache.example.com login token password Tok3nValue\nmachine b login v password q\n',
    );
    expect(merged).not.toContain('oldpass');
  });

  it('is stable: merging again changes nothing', () => {
    const once = mergeNetrc('machine a login u password p\n', OURS);
    expect(mergeNetrc(once, OURS)).toBe(once);
  });

  it('validates our entry even when the file is empty', () => {
    expect(() => mergeNetrc(undefined, { machine: 'x', password: 'has space' })).toThrow(
      /password contains a space/,
    );
  });

  it('throws rather than rewrite a file it cannot read', () => {
    expect(() => mergeNetrc('machine a port 22', OURS)).toThrow(/unexpected word/);
  });
});

describe('removeMachine', () => {
  it('removes the machine and keeps the rest', () => {
    const text =
      'machine a login u password p\nmachine cache.example.com login token password Tok3nValue\ndefault login x password y\n';
    expect(removeMachine(text, 'Cache.Example.com')).toBe(
      'machine a login u password p\ndefault login x password y\n',
    );
  });

  it("gives '' when nothing is left", () => {
    expect(removeMachine('machine cache.example.com login token password t\n', 'cache.example.com')).toBe('');
  });
});
