// The shape of one `aim-credentials` command, and what it is given to run.

import type { OptionSpec, OptionValues } from './arguments.ts'
import type { ExitCode } from './exit-codes.ts'
import type { Output } from './output.ts'
import type { CliSettings } from './settings.ts'

/** What a command runs with. */
export interface CommandContext {
  values: OptionValues
  settings: CliSettings
  output: Output
}

/** One subcommand. */
export interface Command {
  name: string
  /** One line for the overview. */
  summary: string
  /** The full `--help` text, without the shared options and exit codes. */
  help: string
  options: OptionSpec
  run(context: CommandContext): Promise<ExitCode>
}
