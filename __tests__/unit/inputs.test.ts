import { describe, expect, it } from '@jest/globals';
import { parseBoolean, readInputs } from '../../src/inputs.js';
import { ActionError } from '../../src/util/errors.js';

const reader =
  (values: Record<string, string>) =>
  (name: string): string =>
    values[name] ?? '';

describe('readInputs', () => {
  it('applies defaults when nothing is given', () => {
    expect(readInputs(reader({}))).toEqual({
      cache: undefined,
      extraSubstituters: [],
      publicKeys: [],
      token: undefined,
      trustedUser: 'auto',
      acceptFlakeConfig: false,
      restoreConfig: 'auto',
      jobSummary: true,
    });
  });

  it('reads YAML-style booleans', () => {
    expect(readInputs(reader({ 'job-summary': 'false' })).jobSummary).toBe(false);
    expect(readInputs(reader({ 'job-summary': ' True ' })).jobSummary).toBe(true);
    expect(parseBoolean('x', 'off', true)).toBe(false);
  });

  it('parses the cache, keys and token, and resolves tristates', () => {
    const inputs = readInputs(
      reader({
        cache: 'https://cache.example.org/',
        'public-keys': 'cache.example.org-1:6NCHdD59X431o0gWypbMrAURkbJ16ZPMQFGspcDShjY=',
        token: 'tok_123',
        'trusted-user': 'yes',
        'restore-config': 'false',
      }),
    );
    expect(inputs.cache).toEqual({
      url: 'https://cache.example.org',
      scheme: 'https',
      host: 'cache.example.org',
    });
    expect(inputs.publicKeys).toHaveLength(1);
    expect(inputs.token).toBe('tok_123');
    expect(inputs.trustedUser).toBe('true');
    expect(inputs.restoreConfig).toBe('false');
  });

  it('refuses a token without an http(s) cache, naming both inputs', () => {
    expect(() => readInputs(reader({ token: 'tok' }))).toThrow(/'token' needs input 'cache'/);
    expect(() => readInputs(reader({ token: 'tok', cache: 'file:///tmp/cache' }))).toThrow(
      /'token' only works with an http\(s\) cache/,
    );
  });

  it('names the input in a clear error for a bad value', () => {
    expect(() => readInputs(reader({ 'job-summary': 'maybe' }))).toThrow(ActionError);
    expect(() => readInputs(reader({ 'job-summary': 'maybe' }))).toThrow(
      "Input 'job-summary' must be 'true' or 'false', not 'maybe'.",
    );
  });
});
