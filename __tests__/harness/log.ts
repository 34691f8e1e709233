/**
 * What the runner does with a step's output: workflow commands (`::add-mask::`, `::group::`,
 * `::error::` …) are interpreted, and every line is shown with the masks registered so far replaced
 * by `***`, as GitHub does. The raw lines are kept so a test can tell whether a secret was ever shown.
 */

export interface Annotation {
  readonly level: 'error' | 'warning' | 'notice';
  readonly message: string;
  readonly step: string;
}

export interface LogLine {
  readonly step: string;
  /** The line as the process printed it. */
  readonly raw: string;
  /** The line as GitHub would display it (undefined for commands GitHub does not display). */
  readonly shown: string | undefined;
}

const COMMAND = /^::([a-z-]+)(?: ([^:]*))?::(.*)$/;

/** Workflow command data escaping: %25 %0D %0A (and %3A %2C in properties). */
export function unescapeData(value: string): string {
  return value
    .replace(/%0D/g, '\r')
    .replace(/%0A/g, '\n')
    .replace(/%3A/g, ':')
    .replace(/%2C/g, ',')
    .replace(/%25/g, '%');
}

export class JobLog {
  readonly lines: LogLine[] = [];
  readonly annotations: Annotation[] = [];
  readonly masks: string[] = [];
  readonly groups: string[] = [];

  addMask(value: string): void {
    // GitHub masks each line of a multi-line secret separately and ignores empty values.
    for (const part of value.split(/\r?\n/))
      if (part.trim() !== '' && !this.masks.includes(part)) this.masks.push(part);
  }

  /** Feeds one line of a step's output through the command processor. */
  write(step: string, raw: string): void {
    const command = COMMAND.exec(raw);
    if (command) {
      const [, name = '', , data = ''] = command;
      const value = unescapeData(data);
      switch (name) {
        case 'add-mask':
          this.addMask(value);
          this.lines.push({ step, raw, shown: undefined });
          return;
        case 'group':
          this.groups.push(value);
          break;
        case 'error':
        case 'warning':
        case 'notice':
          this.annotations.push({ level: name, message: this.mask(value), step });
          break;
        default:
          break;
      }
    }
    this.lines.push({ step, raw, shown: this.mask(raw) });
  }

  mask(text: string): string {
    let out = text;
    // Longest first, so a secret that contains another is masked whole.
    for (const m of [...this.masks].sort((a, b) => b.length - a.length)) out = out.split(m).join('***');
    return out;
  }

  /** The log as GitHub displays it. */
  shown(step?: string): string {
    return this.lines
      .filter((l) => l.shown !== undefined && (step === undefined || l.step === step))
      .map((l) => l.shown)
      .join('\n');
  }

  /** Displayed lines that contain `secret`: a leak. Empty when the secret was always masked. */
  leaks(secret: string): string[] {
    if (secret === '') throw new Error('leaks(): an empty secret would match everything');
    return this.lines.flatMap((l) => (l.shown?.includes(secret) ? [`[${l.step}] ${l.shown}`] : []));
  }
}
