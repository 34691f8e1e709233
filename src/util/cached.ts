/**
 * A read that serves for a few seconds: credentials read for every request of a push (the netrc behind
 * the proxy or a verification, the AWS session for S3 signatures). Renewals come minutes before the old
 * credential expires, so a value a few seconds old is never stale; a failed read is retried after as long.
 */
export function cachedFor<T>(
  read: () => Promise<T>,
  ttlMs = 5_000,
  now: () => number = Date.now,
): () => Promise<T> {
  let last: { at: number; value: Promise<T> } | undefined;
  return () => {
    const t = now();
    if (last === undefined || t - last.at > ttlMs) last = { at: t, value: read() };
    return last.value;
  };
}
