/** The action's metadata as the runner reads it: inputs with defaults, entry points, post-if. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

export const PROJECT_ROOT = new URL('../..', import.meta.url).pathname.replace(/\/$/, '');

export interface ActionInput {
  readonly description: string;
  readonly required: boolean;
  readonly default?: string;
}

export interface ActionMetadata {
  readonly inputs: Readonly<Record<string, ActionInput>>;
  readonly outputs: Readonly<Record<string, { readonly description: string }>>;
  readonly using: string;
  readonly main: string;
  readonly post?: string;
  readonly postIf: string;
}

interface RawAction {
  inputs?: Record<string, { description?: string; required?: boolean; default?: string | number | boolean }>;
  outputs?: Record<string, { description?: string }>;
  runs?: { using?: string; main?: string; post?: string; 'post-if'?: string };
}

export function readAction(root = PROJECT_ROOT): ActionMetadata {
  const raw = parse(readFileSync(join(root, 'action.yml'), 'utf8')) as RawAction;
  const runs = raw.runs ?? {};
  if (!runs.using || !runs.main) throw new Error('action.yml: runs.using and runs.main are required');
  const inputs: Record<string, ActionInput> = {};
  for (const [name, input] of Object.entries(raw.inputs ?? {})) {
    inputs[name] = {
      description: input.description ?? '',
      required: input.required ?? false,
      ...(input.default === undefined ? {} : { default: String(input.default) }),
    };
  }
  const outputs: Record<string, { description: string }> = {};
  for (const [name, output] of Object.entries(raw.outputs ?? {}))
    outputs[name] = { description: output.description ?? '' };
  return {
    inputs,
    outputs,
    using: runs.using,
    main: runs.main,
    ...(runs.post ? { post: runs.post } : {}),
    postIf: runs['post-if'] ?? 'always()',
  };
}

export type JobStatus = 'success' | 'failure' | 'cancelled';

/**
 * Evaluates the status functions GitHub allows in `if:`/`post-if:` (`success()`, `failure()`,
 * `always()`, `cancelled()`, `!`, `&&`, `||`). Anything else is an error, so a typo fails a test.
 */
export function evaluateCondition(expression: string, status: JobStatus): boolean {
  const expr = expression
    .trim()
    .replace(/^\$\{\{(.*)\}\}$/, '$1')
    .trim();
  const or = expr.split('||');
  if (or.length > 1) return or.some((part) => evaluateCondition(part, status));
  const and = expr.split('&&');
  if (and.length > 1) return and.every((part) => evaluateCondition(part, status));
  if (expr.startsWith('!')) return !evaluateCondition(expr.slice(1), status);
  switch (expr) {
    case 'always()':
      return true;
    case 'success()':
      return status === 'success';
    case 'failure()':
      return status === 'failure';
    case 'cancelled()':
      return status === 'cancelled';
    default:
      throw new Error(`Unsupported condition '${expression}'`);
  }
}
