/**
 * The files GitHub hands a step for `GITHUB_ENV`, `GITHUB_OUTPUT` and `GITHUB_STATE`: lines of
 * `NAME=value`, or `NAME<<DELIMITER` … `DELIMITER` for multi-line values.
 */
export function parseCommandFile(text: string, file = 'command file'): Map<string, string> {
  const values = new Map<string, string>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line === '') continue;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name = '', delimiter = ''] = heredoc;
      const end = lines.indexOf(delimiter, i + 1);
      if (end < 0) throw new Error(`${file}: '${name}<<${delimiter}' has no closing '${delimiter}' line`);
      values.set(name, lines.slice(i + 1, end).join('\n'));
      i = end;
      continue;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`${file}: malformed line '${line}'`);
    values.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return values;
}
