/**
 * Binary cache store URLs as the action accepts them (https, http, s3, file), normalised the way Nix
 * will be given them. Errors name the input and the part that is wrong, never the whole value.
 */
import { findUnsafeChar, splitList } from './text.js';
import type { StoreUrl } from './types.js';
import { fail, shown, subject } from './validate-message.js';

const URL_FORMS =
  'expected https://host[:port][/path], http://host[:port][/path], s3://bucket?region=… or file:///absolute/path';

/** A binary cache store URL: https, http, s3 or file, normalised the way Nix will be given it. */
export function parseStoreUrl(input: string, value: string): StoreUrl {
  return parseOneUrl(value.trim(), subject(input, undefined));
}

/** Several store URLs, one per line or separated by spaces; duplicates dropped; '' gives []. */
export function parseStoreUrls(input: string, value: string): StoreUrl[] {
  const items = splitList(value);
  const out: StoreUrl[] = [];
  items.forEach((item, i) => {
    const url = parseOneUrl(item, subject(input, items.length > 1 ? i : undefined));
    if (!out.some((u) => u.url === url.url)) out.push(url);
  });
  return out;
}

function parseOneUrl(raw: string, who: string): StoreUrl {
  if (raw === '') fail(who, 'is empty', URL_FORMS);
  const bad = findUnsafeChar(raw);
  if (bad !== undefined) {
    fail(
      who,
      `contains ${bad.what} at position ${bad.position}`,
      `a store URL is one word of printable ASCII without '#' (nix.conf would cut the line there); ${URL_FORMS}`,
    );
  }
  const match = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(.*)$/su.exec(raw);
  if (match === null) fail(who, "is not a URL (no 'scheme://')", URL_FORMS);
  const [, schemeRaw = '', rest = ''] = match;
  const scheme = schemeRaw.toLowerCase();
  const queryAt = rest.indexOf('?');
  const beforeQuery = queryAt === -1 ? rest : rest.slice(0, queryAt);
  const query = parseQuery(who, queryAt === -1 ? undefined : rest.slice(queryAt + 1));
  const slash = beforeQuery.indexOf('/');
  const authority = slash === -1 ? beforeQuery : beforeQuery.slice(0, slash);
  const path = slash === -1 ? '' : beforeQuery.slice(slash);
  if (authority.includes('@')) {
    fail(
      who,
      "contains credentials ('user:password@' before the host), which Nix prints in its logs",
      "give the URL without them and the password in the 'token' input, from a secret",
    );
  }
  if (/%(?![0-9A-Fa-f]{2})/u.test(path))
    fail(who, "has a '%' that is not followed by two hex digits", URL_FORMS);

  switch (scheme) {
    case 'http':
    case 'https':
      return httpUrl(who, scheme, authority, path, query);
    case 's3':
      return s3Url(who, authority, path, query);
    case 'file':
      return fileUrl(who, authority, path, query);
    default: {
      const name = shown(schemeRaw);
      fail(
        who,
        `uses the scheme ${name === undefined ? 'given' : `'${name}'`}, which is not supported`,
        URL_FORMS,
      );
    }
  }
}

const HOST_LABEL = '[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?';
const HOST_NAME = new RegExp(`^${HOST_LABEL}(?:\\.${HOST_LABEL})*$`, 'u');

function httpUrl(
  who: string,
  scheme: 'http' | 'https',
  authority: string,
  path: string,
  query: string,
): StoreUrl {
  const form = `expected ${scheme}://host[:port][/path]`;
  if (authority === '') fail(who, 'has no host name', form);
  const parts =
    /^\[([0-9A-Fa-f:.]+)\](?::(.*))?$/u.exec(authority) ?? /^([^:[\]]*)(?::(.*))?$/u.exec(authority);
  if (parts === null) fail(who, 'has a malformed host', form);
  const [, hostRaw = '', port] = parts;
  const ipv6 = authority.startsWith('[');
  const host = hostRaw.toLowerCase();
  if (host === '') fail(who, 'has no host name', form);
  if (!ipv6 && (host.length > 253 || !HOST_NAME.test(host))) {
    fail(who, 'has an invalid host name', `${form}, the host made of letters, digits, '-' and '.'`);
  }
  if (port !== undefined && (!/^\d{1,5}$/u.test(port) || Number(port) < 1 || Number(port) > 65535)) {
    fail(who, 'has an invalid port', `${form}, the port a number from 1 to 65535`);
  }
  // Nix appends "/nix-cache-info" and "/<hash>.narinfo": a trailing slash would double it.
  const trimmedPath = path.replace(/\/+$/u, '');
  const hostPart = ipv6 ? `[${host}]` : host;
  const url = `${scheme}://${hostPart}${port === undefined ? '' : `:${port}`}${trimmedPath}${query}`;
  return { url, scheme, host };
}

function s3Url(who: string, bucket: string, path: string, query: string): StoreUrl {
  const form = 'expected s3://bucket?region=…&endpoint=…&profile=…';
  if (bucket === '') fail(who, 'has no bucket name', form);
  if (bucket.length < 3 || bucket.length > 63 || !/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/u.test(bucket)) {
    fail(
      who,
      `has an invalid bucket name '${bucket}'`,
      `${form}, the bucket 3 to 63 lowercase letters, digits, '.' and '-', starting and ending with a letter or digit`,
    );
  }
  if (path !== '' && path !== '/') fail(who, 'has a path after the bucket name', form);
  const endpoint = /(?:^\?|&)endpoint=([^&]*)/u.exec(query)?.[1] ?? '';
  if (decodeSafe(endpoint).includes('@')) {
    fail(
      who,
      "has credentials in its 'endpoint' parameter",
      'give AWS credentials through the environment instead',
    );
  }
  return { url: `s3://${bucket}${query}`, scheme: 's3' };
}

function fileUrl(who: string, authority: string, path: string, query: string): StoreUrl {
  if (authority !== '' || path === '') {
    fail(
      who,
      'does not name an absolute path',
      'expected file:///absolute/path (three slashes: the host is empty)',
    );
  }
  const trimmed = path.replace(/\/+$/u, '') || '/';
  return { url: `file://${trimmed}${query}`, scheme: 'file' };
}

function decodeSafe(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** `name=value` pairs joined by '&' (Nix's store URL parameters); returns '' or '?…' as given. */
function parseQuery(who: string, query: string | undefined): string {
  if (query === undefined) return '';
  const form = "expected parameters as '?name=value&name=value'";
  if (query === '') fail(who, "ends with '?' and no parameters", form);
  const seen = new Set<string>();
  for (const pair of query.split('&')) {
    const m = /^([A-Za-z0-9_.-]+)=(.+)$/su.exec(pair);
    if (m === null)
      fail(who, `has a malformed parameter${pair === '' ? " (an empty one between '&')" : ''}`, form);
    const name = m[1] ?? '';
    if (seen.has(name)) fail(who, `has the parameter '${name}' twice`, form);
    seen.add(name);
    if (/%(?![0-9A-Fa-f]{2})/u.test(m[2] ?? '')) {
      fail(who, `has a '%' not followed by two hex digits in parameter '${name}'`, form);
    }
  }
  return `?${query}`;
}
