#!/usr/bin/env node
// Builds one ncc bundle per entry (src/main.ts, src/post.ts, src/root.ts -> dist/<entry>/index.js).
// `--check` builds into a temporary folder and fails when dist/ differs from a fresh build.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const entries = ['main', 'post', 'root', 'refresh', 'upload'];
const check = process.argv.includes('--check');
const root = new URL('..', import.meta.url).pathname;
const out = check ? mkdtempSync(join(tmpdir(), 'nca-dist-')) : join(root, 'dist');
const ncc = join(root, 'node_modules', '@vercel', 'ncc', 'dist', 'ncc', 'cli.js');

for (const entry of entries) {
  const dir = join(out, entry);
  rmSync(dir, { recursive: true, force: true });
  execFileSync(
    process.execPath,
    [ncc, 'build', join(root, 'src', `${entry}.ts`), '-o', dir, '--license', 'licenses.txt', '--quiet'],
    {
      cwd: root,
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
}

if (check) {
  const files = (base) => {
    const list = [];
    const walk = (d) => {
      for (const name of readdirSync(d)) {
        const p = join(d, name);
        if (statSync(p).isDirectory()) walk(p);
        else list.push(relative(base, p));
      }
    };
    if (existsSync(base)) walk(base);
    return list.sort();
  };
  const fresh = files(out);
  const committed = files(join(root, 'dist'));
  const differ = [...new Set([...fresh, ...committed])].filter((f) => {
    const a = join(out, f);
    const b = join(root, 'dist', f);
    return !existsSync(a) || !existsSync(b) || !readFileSync(a).equals(readFileSync(b));
  });
  rmSync(out, { recursive: true, force: true });
  if (differ.length > 0) {
    console.error(
      `dist/ is not a fresh build of src/ (differs: ${differ.join(', ')}). Run \`npm run build\` and commit dist/.`,
    );
    process.exit(1);
  }
  console.log(`dist/ matches a fresh build (${fresh.length} files).`);
}
