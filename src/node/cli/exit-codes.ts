// The exit codes of `aim-credentials`, and the error that stands for a usage mistake. Scripts
// branch on these numbers, so they never change meaning.

/** Everything went as asked and nothing needs the user's attention. */
export const EXIT_OK = 0
/** A finding or a failure the user must act on (the message says how). */
export const EXIT_ACTION_NEEDED = 1
/** The command line itself was wrong: an unknown command or option, or a missing value. */
export const EXIT_USAGE = 2

/** One of the exit codes above. */
export type ExitCode = typeof EXIT_OK | typeof EXIT_ACTION_NEEDED | typeof EXIT_USAGE

/** The exit-code section every `--help` ends with. */
export const EXIT_CODES_HELP = `Exit codes:
  0  done, nothing needs attention
  1  a finding or failure you must act on (the message says how)
  2  usage error (unknown command or option, missing value)`

/** A command line that cannot be run as written; reported with exit code 2. */
export class UsageError extends Error {
  /** The command whose help to point at, if known. */
  readonly command: string | undefined

  constructor(message: string, command?: string) {
    super(message)
    this.name = 'UsageError'
    this.command = command
  }
}
