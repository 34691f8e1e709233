/** The job summary: one table per stage, written through `@actions/core`'s summary buffer. */
import * as core from '@actions/core';
import type { Row } from './environment.js';

export async function writeSummaryTable(title: string, rows: readonly Row[]): Promise<void> {
  await core.summary
    .addHeading(title, 3)
    .addTable([
      [
        { data: 'What', header: true },
        { data: 'Found', header: true },
      ],
      ...rows.map(([label, value]) => [label, value]),
    ])
    .write();
}

/** Logs rows as aligned `label: value` lines. */
export function logRows(rows: readonly Row[]): void {
  const width = Math.max(...rows.map(([label]) => label.length));
  for (const [label, value] of rows) core.info(`${label.padEnd(width)}  ${value}`);
}
