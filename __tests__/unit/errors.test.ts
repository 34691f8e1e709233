import { describe, expect, it } from '@jest/globals';
import { errorMessage } from '../../src/util/errors.js';

describe('errorMessage', () => {
  it('reads an Error, a string and anything else', () => {
    expect(errorMessage(new Error('boom'))).toBe('boom');
    expect(errorMessage('plain')).toBe('plain');
    expect(errorMessage({ code: 1 })).toBe('{"code":1}');
  });
});
