import { describe, expect, it } from '@jest/globals';
import {
  parseChoice,
  parsePublicKeys,
  parseStoreUrl,
  parseStoreUrls,
  parseToken,
} from '../../../src/config/validate.js';
import { ActionError } from '../../../src/util/errors.js';

const NIXOS_KEY = 'cache.nixos.org-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY=';
const b64 = (bytes: number, fill = 7): string => Buffer.alloc(bytes, fill).toString('base64');
const OTHER_KEY = `cache.example.org-1:${b64(32)}`;

/** The ActionError a call throws (fails the test when it throws nothing or something else). */
function errorOf(fn: () => unknown): ActionError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ActionError);
    return error as ActionError;
  }
  throw new Error('expected an ActionError, nothing was thrown');
}

describe('parseStoreUrl: good values', () => {
  it.each([
    ['https://cache.example.com', 'https://cache.example.com', 'https', 'cache.example.com'],
    ['https://cache.example.com/', 'https://cache.example.com', 'https', 'cache.example.com'],
    [
      'HTTPS://Cache.Example.COM:8443/nix/store/',
      'https://cache.example.com:8443/nix/store',
      'https',
      'cache.example.com',
    ],
    ['http://127.0.0.1:8080', 'http://127.0.0.1:8080', 'http', '127.0.0.1'],
    ['http://[::1]:8080/c', 'http://[::1]:8080/c', 'http', '::1'],
    ['https://c.example.com/p/?priority=30', 'https://c.example.com/p?priority=30', 'https', 'c.example.com'],
    ['  https://padded.example.com\n', 'https://padded.example.com', 'https', 'padded.example.com'],
  ])('%j', (value, url, scheme, host) => {
    expect(parseStoreUrl('cache', value)).toEqual({ url, scheme, host });
  });

  it('keeps s3 parameters as given and has no host', () => {
    const value = 's3://my-bucket.ci?region=eu-west-1&endpoint=http://localhost:9000&profile=ci';
    expect(parseStoreUrl('cache', value)).toEqual({ url: value, scheme: 's3' });
    expect(parseStoreUrl('cache', 's3://abc/')).toEqual({ url: 's3://abc', scheme: 's3' });
  });

  it('takes file URLs with an absolute path, without the trailing slash', () => {
    expect(parseStoreUrl('cache', 'file:///var/cache/nix/')).toEqual({
      url: 'file:///var/cache/nix',
      scheme: 'file',
    });
    expect(parseStoreUrl('cache', 'file:///srv/c?compression=zstd')).toEqual({
      url: 'file:///srv/c?compression=zstd',
      scheme: 'file',
    });
  });
});

describe('parseStoreUrl: bad values', () => {
  it.each([
    ['a newline', 'https://cache.example.com/a\nb', /newline at position 28/],
    ['a carriage return', 'https://cache.example.com/a\rb', /carriage return at position 28/],
    ['a NUL', 'https://cache.example.com/a\0b', /NUL character at position 28/],
    ['a space', 'https://cache.example.com/a b', /space at position 28/],
    ['a tab', 'https://cache.example.com/a\tb', /tab at position 28/],
    ['a # (nix.conf comment)', 'https://cache.example.com/#frag', /'#' at position 27/],
    ['a non-ASCII host', 'https://cäché.example.com', /non-ASCII character at position 10/],
    ['an unsupported scheme', 'ftp://cache.example.com', /scheme 'ftp', which is not supported/],
    ['ssh stores', 'ssh-ng://builder', /scheme 'ssh-ng'/],
    ['no scheme', 'cache.example.com', /not a URL/],
    ['an empty host', 'https://', /no host name/],
    ['an empty host before a path', 'https:///nix', /no host name/],
    ['a bad host name', 'https://-bad-.example.com', /invalid host name/],
    ['a port out of range', 'https://cache.example.com:70000', /invalid port/],
    ['an empty port', 'https://cache.example.com:', /invalid port/],
    ['a bare ?', 'https://cache.example.com?', /ends with '\?'/],
    ['a parameter without =', 'https://cache.example.com?priority', /malformed parameter/],
    ['an empty parameter', 'https://cache.example.com?a=1&&b=2', /empty one/],
    ['a repeated parameter', 's3://bucket?region=a&region=b', /'region' twice/],
    ['a broken % escape', 'https://cache.example.com/a%zz', /'%'/],
    ['an uppercase bucket', 's3://My-Bucket', /invalid bucket name 'My-Bucket'/],
    ['a short bucket', 's3://ab', /invalid bucket name/],
    ['an underscore bucket', 's3://my_bucket', /invalid bucket name/],
    ['an empty bucket', 's3://?region=x', /no bucket name/],
    ['a path after the bucket', 's3://bucket/prefix', /path after the bucket/],
    ['a file URL with a host', 'file://host/path', /absolute path/],
    ['a file URL without a path', 'file://', /absolute path/],
    ['an empty value', '   ', /is empty/],
  ])('rejects %s', (_, value, message) => {
    const error = errorOf(() => parseStoreUrl('cache', value));
    expect(error.message).toMatch(/^Input 'cache' /);
    expect(error.message).toMatch(message);
    expect(error.message).toMatch(/expected|use|give/);
  });

  it.each([
    ['https://ci-user:hunter2pass@cache.example.com/', 'hunter2pass'],
    ['http://hunter2token@cache.example.com', 'hunter2token'],
    ['s3://AKIAEXAMPLE:hunter2key@bucket', 'hunter2key'],
  ])('rejects credentials in %j without printing them', (value, secret) => {
    const error = errorOf(() => parseStoreUrl('cache', value));
    expect(error.message).toMatch(/credentials/);
    expect(error.message).toMatch(/'token' input/);
    expect(error.message).not.toContain(secret);
    expect(error.message).not.toContain('ci-user');
  });

  it('rejects credentials in an s3 endpoint parameter without printing them', () => {
    const error = errorOf(() =>
      parseStoreUrl('cache', 's3://bucket?endpoint=http%3A%2F%2Fkey%3Ahunter2s3%40minio.local'),
    );
    expect(error.message).toMatch(/credentials in its 'endpoint'/);
    expect(error.message).not.toContain('hunter2s3');
  });

  it('does not print a control-character value around the bad character', () => {
    const error = errorOf(() => parseStoreUrl('cache', 'https://cache.example.com/tok3nish\nmore'));
    expect(error.message).not.toContain('tok3nish');
  });
});

describe('parseStoreUrls', () => {
  it('splits on lines and spaces, drops empties and duplicates after normalising', () => {
    const urls = parseStoreUrls(
      'extra-substituters',
      'https://a.example.com\r\n\n  https://b.example.com/ https://a.example.com/\n',
    );
    expect(urls.map((u) => u.url)).toEqual(['https://a.example.com', 'https://b.example.com']);
  });

  it('gives [] for an empty value', () => {
    expect(parseStoreUrls('extra-substituters', '')).toEqual([]);
    expect(parseStoreUrls('extra-substituters', ' \n\t\n')).toEqual([]);
  });

  it('names the entry that is wrong', () => {
    const error = errorOf(() =>
      parseStoreUrls('extra-substituters', 'https://a.example.com\nftp://b.example.com'),
    );
    expect(error.message).toMatch(/^Input 'extra-substituters' \(2nd entry\) uses the scheme 'ftp'/);
  });

  it('still rejects control characters that are not whitespace', () => {
    const error = errorOf(() => parseStoreUrls('extra-substituters', 'https://a.example.com/x\0y'));
    expect(error.message).toMatch(/NUL character at position 24/);
  });
});

describe('parsePublicKeys', () => {
  it('takes keys one per line or separated by spaces, deduplicated, in order', () => {
    expect(parsePublicKeys('public-keys', `${NIXOS_KEY}\n${OTHER_KEY} ${NIXOS_KEY}\n`)).toEqual([
      NIXOS_KEY,
      OTHER_KEY,
    ]);
    expect(parsePublicKeys('public-keys', '')).toEqual([]);
  });

  it('recognises a secret key given by mistake and does not print it', () => {
    const secretBody = b64(64, 9);
    const error = errorOf(() => parsePublicKeys('public-keys', `cache.example.org-1:${secretBody}`));
    expect(error.message).toMatch(/^Input 'public-keys' is a secret signing key \(64 bytes\)/);
    expect(error.message).toMatch(/convert-secret-to-public/);
    expect(error.message).not.toContain(secretBody);
    expect(error.message).not.toContain(secretBody.slice(0, 12));
  });

  it.each([
    ['wrong length', `k:${b64(16)}`, /decodes to 16 bytes, not the 32 bytes/],
    ['bad base64', 'k:@@@@not-base64@@@@', /not valid base64/],
    ['base64 without padding', `k:${b64(32).replace(/=+$/u, '')}`, /not valid base64/],
    ['no colon', 'cache.example.org-1', /no ':'/],
    ['no name', `:${b64(32)}`, /no name before ':'/],
    ['empty value after the colon', 'k:', /not valid base64/],
    ['a # in the key', `k#1:${b64(32)}`, /'#' at position 2/],
    ['a NUL in the key', `k:${b64(32)}\0`, /NUL character at position 47/],
    ['a non-ASCII name', `ké:${b64(32)}`, /non-ASCII character at position 2/],
  ])('rejects %s', (_, value, message) => {
    const error = errorOf(() => parsePublicKeys('public-keys', value));
    expect(error.message).toMatch(/^Input 'public-keys' /);
    expect(error.message).toMatch(message);
    expect(error.message).toContain('cache.nixos.org-1:6NCH'); // the example of a good value
  });

  it('names the key that is wrong in a list', () => {
    const error = errorOf(() => parsePublicKeys('public-keys', `${NIXOS_KEY}\nk:${b64(31)}`));
    expect(error.message).toMatch(/^Input 'public-keys' \(2nd key\) decodes to 31 bytes/);
  });

  it('rejects two different keys with the same name', () => {
    const error = errorOf(() => parsePublicKeys('public-keys', `a:${b64(32, 1)} a:${b64(32, 2)}`));
    expect(error.message).toMatch(/\(2nd key\) has the same name as the 1st key/);
  });
});

describe('parseToken', () => {
  const SECRET = 'Sup3rS3cretTok3n';

  it('takes one word of printable ASCII, trimmed', () => {
    expect(parseToken('token', `  ${SECRET}\n`)).toBe(SECRET);
    expect(parseToken('token', 'a.b-c_d~e+f/g=h!$%&*@^')).toBe('a.b-c_d~e+f/g=h!$%&*@^');
  });

  it.each([
    ['a space', `${SECRET} x`, /a space at position 17/],
    ['a newline', `${SECRET}\nx`, /a newline at position 17/],
    ['a carriage return', `${SECRET}\rx`, /a carriage return at position 17/],
    ['a tab', `${SECRET}\tx`, /a tab at position 17/],
    ['a NUL', `${SECRET}\0x`, /a NUL character at position 17/],
    ['an escape character', `${SECRET}\u001bx`, /control character \(U\+001B\) at position 17/],
    ['a #', `${SECRET}#x`, /'#' at position 17/],
    ['a non-ASCII letter', `${SECRET}é`, /a non-ASCII character at position 17/],
    ['a non-breaking space', `${SECRET}\u00a0x`, /a space at position 17/],
    ['a leading quote', `"${SECRET}"`, /starts with '"'/],
    ['nothing', '  \n', /is empty/],
  ])('rejects %s without printing the token', (_, value, message) => {
    const error = errorOf(() => parseToken('token', value));
    expect(error.message).toMatch(/^Input 'token' /);
    expect(error.message).toMatch(message);
    expect(error.message).toMatch(/netrc has no quoting/);
    expect(error.message).not.toContain(SECRET);
    expect(error.message).not.toContain(SECRET.slice(0, 6));
  });
});

describe('parseChoice', () => {
  const choices = ['auto', 'true', 'false'] as const;

  it('takes a choice, case-insensitively, and the fallback for an empty value', () => {
    expect(parseChoice('trusted-user', 'true', choices, 'auto')).toBe('true');
    expect(parseChoice('trusted-user', ' FALSE ', choices, 'auto')).toBe('false');
    expect(parseChoice('trusted-user', '', choices, 'auto')).toBe('auto');
  });

  it('names the input and the choices', () => {
    const error = errorOf(() => parseChoice('trusted-user', 'maybe', choices, 'auto'));
    expect(error.message).toBe("Input 'trusted-user' must be one of 'auto', 'true', 'false', not 'maybe'.");
  });

  it('does not repeat a value that does not look like a word', () => {
    const error = errorOf(() => parseChoice('trusted-user', 'ghp_abc def\nxyz', choices, 'auto'));
    expect(error.message).toMatch(/not the value given/);
    expect(error.message).not.toContain('ghp_abc');
  });
});
