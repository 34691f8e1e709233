/** The one place that turns a thrown `unknown` into a message. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  try {
    return JSON.stringify(error);
  } catch {
    return String(error);
  }
}

/** An error whose message is meant for the user as it stands: what went wrong and what to do next. */
export class ActionError extends Error {
  override name = 'ActionError';
}
