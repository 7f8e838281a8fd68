/**
 * Exit codes of `gapwatch check`, the contract a CI job scripts against (docs/cli.md).
 * GAPS is not an error: it is the answer the job asked for, so it has its own code apart from failures.
 */
export const ExitCode = {
  OK: 0,
  GAPS: 1,
  ERROR: 2,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * A failure the CLI reports as one line on stderr and exit code 2: bad arguments, an unknown dataset, a
 * backend or server that failed. The message names what is wrong; no stack trace is printed, because the
 * reader is a CI log, not a debugger.
 */
export class CliError extends Error {
  override name = 'CliError';

  constructor(
    message: string,
    /** Print the usage text after the message (argument errors). */
    readonly showUsage = false,
  ) {
    super(message);
  }
}

/**
 * An error's message. Read structurally rather than with `instanceof Error`: errors from node's own modules
 * (node:util, undici) may come from another realm, and String() would prefix their name and code.
 */
export function messageOf(err: unknown): string {
  const message = (err as { message?: unknown } | null | undefined)?.message;
  return typeof message === 'string' ? message : String(err);
}

/** The first line of an error's message: SDK and driver errors sometimes carry multi-line detail. */
export function oneLine(err: unknown): string {
  const first = messageOf(err).split('\n').find((l) => l.trim() !== '') ?? '';
  return first.trim() || 'unknown error';
}
