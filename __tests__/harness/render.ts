/** Text renderings of what GitHub shows in its web UI: the step log and the job summary. */
import type { JobLog } from './log.js';

/** The displayed log with groups drawn as headings, commands GitHub hides left out. */
export function renderLog(log: JobLog): string {
  const out: string[] = [];
  let step = '';
  for (const line of log.lines) {
    if (line.shown === undefined) continue;
    if (line.step !== step) {
      step = line.step;
      out.push(`▶ ${step}`);
    }
    if (line.shown.startsWith('::endgroup::')) continue;
    const group = /^::group::(.*)$/.exec(line.shown);
    const annotation = /^::(error|warning|notice)[^:]*::(.*)$/.exec(line.shown);
    if (group) out.push(`  ▸ ${group[1] ?? ''}`);
    else if (annotation) out.push(`    ${(annotation[1] ?? '').toUpperCase()}: ${annotation[2] ?? ''}`);
    else if (!line.shown.startsWith('::')) out.push(`    ${line.shown}`);
  }
  return out.join('\n');
}

/** The summary's HTML (headings and tables from `core.summary`) as plain text. */
export function renderSummary(html: string): string {
  return html
    .replace(/<h\d>(.*?)<\/h\d>/g, '\n$1\n')
    .replace(/<\/t[hd]>\s*<t[hd][^>]*>/g, ' | ')
    .replace(/<\/tr>/g, '\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&gt;/g, '>')
    .replace(/&lt;/g, '<')
    .replace(/&amp;/g, '&')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
