/** The nix.conf file format: `name = value` lines, `#` comments, `include`/`!include`. Pure. */

export type ConfLine =
  | { readonly kind: 'setting'; readonly name: string; readonly value: string }
  | { readonly kind: 'include'; readonly path: string; readonly optional: boolean };

/**
 * Parses one file the way Nix does: everything from `#` on is a comment, a line is either
 * `include PATH`, `!include PATH` or `name = value` (the value may be empty). Lines Nix would reject
 * are skipped: detection reports what is there, Nix itself complains about the rest.
 */
export function parseConf(text: string): ConfLine[] {
  const out: ConfLine[] = [];
  for (const raw of text.split('\n')) {
    const hash = raw.indexOf('#');
    const line = (hash === -1 ? raw : raw.slice(0, hash)).trim();
    if (line === '') continue;
    const tokens = line.split(/\s+/);
    const [first = '', second, ...rest] = tokens;
    if ((first === 'include' || first === '!include') && second !== undefined && rest.length === 0) {
      out.push({ kind: 'include', path: second, optional: first === '!include' });
      continue;
    }
    // Nix wants `name = value` with the `=` standing alone ("a=b" is an illegal line to it).
    if (second !== '=' || !/^[\w.-]+$/.test(first)) continue;
    out.push({ kind: 'setting', name: first, value: rest.join(' ') });
  }
  return out;
}

/**
 * Applies settings in order: a later `name = …` replaces, `extra-name = …` appends (as Nix does for
 * list settings; the ones read here all are).
 */
export function applySettings(
  base: Readonly<Record<string, string>>,
  lines: readonly ConfLine[],
): Record<string, string> {
  const out: Record<string, string> = { ...base };
  for (const line of lines) {
    if (line.kind !== 'setting') continue;
    if (line.name.startsWith('extra-')) {
      const name = line.name.slice('extra-'.length);
      const before = out[name] ?? '';
      out[name] = [before, line.value].filter((v) => v !== '').join(' ');
    } else {
      out[line.name] = line.value;
    }
  }
  return out;
}

/** A path named by `include`, relative to the including file's directory. */
export function resolveInclude(includingFile: string, path: string): string {
  if (path.startsWith('/')) return path;
  const dir = includingFile.slice(0, Math.max(includingFile.lastIndexOf('/'), 0)) || '/';
  return normalise(`${dir}/${path}`);
}

function normalise(path: string): string {
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return `/${parts.join('/')}`;
}
