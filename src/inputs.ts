/**
 * The action's inputs, read once and validated into a typed object. Every later stage takes `Inputs`;
 * nothing else calls `core.getInput`. A bad value is an `ActionError` that names the input.
 */
import { ActionError } from './util/errors.js';

export interface Inputs {
  /** Write the environment and results to the job summary. */
  readonly jobSummary: boolean;
}

/** Reads one input's raw value ('' when not given); `core.getInput` in the action. */
export type InputReader = (name: string) => string;

const TRUE = ['true', 'True', 'TRUE', 'yes', 'on', '1'];
const FALSE = ['false', 'False', 'FALSE', 'no', 'off', '0'];

export function parseBoolean(name: string, raw: string, fallback: boolean): boolean {
  const value = raw.trim();
  if (value === '') return fallback;
  if (TRUE.includes(value)) return true;
  if (FALSE.includes(value)) return false;
  throw new ActionError(`Input '${name}' must be 'true' or 'false', not '${value}'.`);
}

export function readInputs(read: InputReader): Inputs {
  return {
    jobSummary: parseBoolean('job-summary', read('job-summary'), true),
  };
}
