/**
 * Where `nix copy` sends the push. Nix adds a path to a binary cache only when the cache has its
 * references, so paths left to an upstream cache would make their referrers unpushable. For an http(s)
 * cache a loopback proxy answers for those upstream paths (and forwards everything else); for other
 * caches the upstream paths a pushed path references are pushed after all.
 */
import { startPushProxy, netrcAuthorizer } from './proxy.js';
import { storeHash } from './http.js';
import { keepReferencedUpstream } from './select.js';
import type { PushSelection } from './types.js';

export interface PushTarget {
  /** The store URL for `nix copy` (without our store parameters). */
  readonly url: string;
  readonly selection: PushSelection;
  /** A line for the log on what was done about upstream paths, if anything. */
  readonly note: string | undefined;
  close(): Promise<void>;
}

export async function pushTarget(
  cache: string,
  selection: PushSelection,
  readNetrc: () => Promise<string | undefined>,
): Promise<PushTarget> {
  const upstream = selection.closure.filter((p) => selection.skipped.get(p.path) === 'upstream');
  const none = { url: cache, selection, note: undefined, close: () => Promise.resolve() };
  if (upstream.length === 0 || selection.toPush.length === 0) return none;
  if (/^https?:\/\//iu.test(cache)) {
    const at = cache.indexOf('?');
    const base = at === -1 ? cache : cache.slice(0, at);
    const proxy = await startPushProxy({
      target: base,
      virtual: new Map(upstream.map((p) => [storeHash(p.path) ?? p.path, p])),
      authorization: netrcAuthorizer(readNetrc, base),
    });
    return {
      url: at === -1 ? proxy.url : `${proxy.url}${cache.slice(at)}`,
      selection,
      note: `${upstream.length} upstream path(s) are shown to nix copy as present (through a loopback proxy), so paths referencing them can be pushed without them.`,
      close: () => proxy.close(),
    };
  }
  const kept = keepReferencedUpstream(selection);
  return {
    ...none,
    selection: kept.selection,
    note:
      kept.kept === 0
        ? undefined
        : `${kept.kept} upstream path(s) are pushed after all: pushed paths reference them, and a ${cache.slice(0, cache.indexOf(':'))} cache only takes a path whose references it has.`,
  };
}
