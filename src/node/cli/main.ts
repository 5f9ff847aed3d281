#!/usr/bin/env node
// `aim-credentials`: the command line for the credentials this library keeps. It picks the
// subcommand, parses its options, runs it, and turns every outcome into one of the documented exit
// codes (0 ok, 1 act on a finding or failure, 2 usage error), with errors in one sentence.

import { AimCredentialsError } from '../../core/errors.ts'
import { SHARED_OPTIONS_HELP, parseCommandArguments } from './arguments.ts'
import type { Command } from './command.ts'
import { doctorCommand } from './doctor.ts'
import {
  EXIT_ACTION_NEEDED,
  EXIT_CODES_HELP,
  EXIT_OK,
  EXIT_USAGE,
  UsageError,
  type ExitCode,
} from './exit-codes.ts'
import { logoutCommand } from './logout.ts'
import { migrateCommand } from './migrate.ts'
import { Output, type OutputTarget } from './output.ts'
import { rotateKeyCommand } from './rotate-key.ts'
import { readSettings } from './settings.ts'
import { statusCommand } from './status.ts'

const COMMANDS: Command[] = [
  statusCommand,
  migrateCommand,
  rotateKeyCommand,
  logoutCommand,
  doctorCommand,
]

function overview(): string {
  const width = Math.max(...COMMANDS.map((command) => command.name.length))
  const lines = COMMANDS.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`)
  return `Usage: aim-credentials <command> [options]

Keeps AIM agent credentials safe: encrypted files, the key in the OS keyring.

Commands:
${lines.join('\n')}

Run \`aim-credentials <command> --help\` for a command's options.

Options of every command:
${SHARED_OPTIONS_HELP}

${EXIT_CODES_HELP}

Colour is used only on a terminal, never when NO_COLOR is set. No command prints a key, token or
credential value.`
}

function commandHelp(command: Command): string {
  return `${command.help}\n${SHARED_OPTIONS_HELP}\n\n${EXIT_CODES_HELP}`
}

/**
 * Runs the command line `args` (without the program name) and returns the exit code.
 *
 * @param args - e.g. `['status', '--json']`.
 * @param target - where output goes and the environment that decides colour and settings.
 */
export async function main(args: string[], target: OutputTarget): Promise<ExitCode> {
  const output = new Output(target)
  const [name, ...rest] = args

  if (name === undefined) {
    output.hint(overview())
    return EXIT_USAGE
  }
  if (name === '--help' || name === '-h' || (name === 'help' && rest.length === 0)) {
    output.line(overview())
    return EXIT_OK
  }

  const wanted = name === 'help' ? rest[0] : name
  const command = COMMANDS.find((each) => each.name === wanted)
  try {
    if (!command) throw new UsageError(`unknown command "${wanted}"`)
    if (name === 'help') {
      output.line(commandHelp(command))
      return EXIT_OK
    }

    const values = parseCommandArguments(command.name, rest, command.options)
    if (values.help === true) {
      output.line(commandHelp(command))
      return EXIT_OK
    }
    return await command.run({ values, settings: readSettings(values, target.env), output })
  } catch (error) {
    return report(error, output)
  }
}

function report(error: unknown, output: Output): ExitCode {
  if (error instanceof UsageError) {
    output.error(`${error.message}.`)
    const help = error.command
      ? `aim-credentials ${error.command} --help`
      : 'aim-credentials --help'
    output.hint(`Run \`${help}\` for usage.`)
    return EXIT_USAGE
  }
  if (error instanceof AimCredentialsError) {
    output.error(`${error.code}: ${error.message}`)
    return EXIT_ACTION_NEEDED
  }

  // An unexpected failure: its message could quote anything, so show only its kind.
  const kind = error instanceof Error ? error.name : typeof error
  output.error(`unexpected ${kind}; please report it with the command you ran.`)
  return EXIT_ACTION_NEEDED
}

process.exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
})
