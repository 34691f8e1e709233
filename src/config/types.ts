/** The shapes shared by input validation, planning, applying and restoring the Nix configuration. */

export type StoreScheme = 's3' | 'https' | 'http' | 'file';

/** A binary cache store URL, validated. */
export interface StoreUrl {
  /** As Nix gets it (query parameters kept, e.g. `s3://bucket?region=eu-west-1&endpoint=…`). */
  readonly url: string;
  readonly scheme: StoreScheme;
  /** The netrc `machine`: host name for http(s) (no port: curl matches netrc on host only); undefined for s3/file. */
  readonly host?: string;
}

/** One `machine` entry of a netrc file. */
export interface NetrcEntry {
  /** Host name, or undefined for the `default` entry. */
  readonly machine: string | undefined;
  readonly login?: string;
  readonly password?: string;
  readonly account?: string;
}

/** nix.conf settings of ours, in the order they are written. Values are single-line, validated. */
export type Settings = readonly (readonly [key: string, value: string])[];

/**
 * A file as it was before the action touched it, restored byte for byte in post. The previous bytes are
 * kept in a copy beside the action's other files (0600, same owner), never in the action's state: a
 * nix.conf can hold `access-tokens`, a netrc always holds credentials.
 */
export interface FileBackup {
  readonly path: string;
  /** Where the previous bytes were copied; undefined when the file did not exist. */
  readonly copy: string | undefined;
  /** The previous mode (e.g. 0o644), when it existed. */
  readonly mode: number | undefined;
  /** Whether writing it needs root (a root-owned file) or is the job user's own. */
  readonly owner: 'root' | 'user';
}
