/** An environment as a child process takes it: unset variables left out, and those `drop` names too. */
export function definedEnv(
  env: Readonly<Record<string, string | undefined>>,
  drop?: RegExp,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && drop?.test(k) !== true) out[k] = v;
  return out;
}
