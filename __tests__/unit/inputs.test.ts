import { describe, expect, it } from '@jest/globals';
import { parseBoolean, readInputs } from '../../src/inputs.js';
import { ActionError } from '../../src/util/errors.js';

const reader =
  (values: Record<string, string>) =>
  (name: string): string =>
    values[name] ?? '';

describe('readInputs', () => {
  it('applies defaults when nothing is given', () => {
    expect(readInputs(reader({}))).toEqual({ jobSummary: true });
  });

  it('reads YAML-style booleans', () => {
    expect(readInputs(reader({ 'job-summary': 'false' })).jobSummary).toBe(false);
    expect(readInputs(reader({ 'job-summary': ' True ' })).jobSummary).toBe(true);
    expect(parseBoolean('x', 'off', true)).toBe(false);
  });

  it('names the input in a clear error for a bad value', () => {
    expect(() => readInputs(reader({ 'job-summary': 'maybe' }))).toThrow(ActionError);
    expect(() => readInputs(reader({ 'job-summary': 'maybe' }))).toThrow(
      "Input 'job-summary' must be 'true' or 'false', not 'maybe'.",
    );
  });
});
