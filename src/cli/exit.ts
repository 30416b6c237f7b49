/**
 * Exit codes of the `lifeline` command, one table so the help text, the code
 * and the README agree. Also the `UsageError` every bad flag becomes.
 *
 * Imports nothing.
 */

export const ExitCode = {
  /** The command did what was asked (session closed normally, probe succeeded, all Autobahn cases passed). */
  OK: 0,
  /** The connection, handshake or probe failed, the peer closed abnormally, or Autobahn cases failed. */
  FAILURE: 1,
  /** Bad command line: unknown command or flag, missing or malformed value. Nothing was sent. */
  USAGE: 2,
  /** `--execute` sent its messages but the replies did not arrive within `--wait` (piped input that ends without all replies exits 0). */
  TIMEOUT: 3,
  /** Ctrl-C before the connection opened (128 + SIGINT, as shells report it). After opening, Ctrl-C closes with 1000 and exits 0. */
  INTERRUPTED: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** A mistake on the command line; printed with a hint to `--help` and exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
  readonly command: string | undefined;
  constructor(message: string, command?: string) {
    super(message);
    this.command = command;
  }
}

/** The exit-code table as printed by `lifeline --help`. */
export const EXIT_CODE_HELP = `Exit codes:
    0  success (session closed normally, probe succeeded, all Autobahn cases passed)
    1  failure (could not connect, handshake refused, abnormal close, probe or Autobahn failure)
    2  usage error (unknown command or flag, bad value)
    3  timeout (--execute: replies did not arrive within --wait)
  130  interrupted (Ctrl-C) before the connection opened; once open, Ctrl-C closes with 1000 and exits 0`;
