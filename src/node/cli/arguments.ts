// Parses one command's options with `node:util`'s parseArgs, turning every parse failure into a
// `UsageError` (exit code 2), and adds the options every command shares.

import { parseArgs, type ParseArgsConfig } from 'node:util'

import { UsageError } from './exit-codes.ts'

/** The option definitions of one command, in parseArgs' shape. */
export type OptionSpec = NonNullable<ParseArgsConfig['options']>

/** The parsed values: flags are booleans, the rest strings (or lists of them). */
export type OptionValues = Record<string, string | boolean | (string | boolean)[] | undefined>

/** Options every command accepts. */
export const SHARED_OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  'keyring-service': { type: 'string' },
} as const satisfies OptionSpec

/** The help lines for the shared options. */
export const SHARED_OPTIONS_HELP = [
  '  --keyring-service NAME  the OS keyring service holding the key (default:',
  "                          $AIM_KEYRING_SERVICE, else aim-sdk, the Python SDK's)",
  '  -h, --help              show this help',
].join('\n')

/**
 * Parses a command's arguments, with no positional arguments allowed.
 *
 * @throws {UsageError} for an unknown option, a missing value, or a stray argument.
 */
export function parseCommandArguments(
  command: string,
  args: string[],
  options: OptionSpec,
): OptionValues {
  try {
    const { values, positionals } = parseArgs({
      args,
      options: { ...SHARED_OPTIONS, ...options },
      allowPositionals: true,
      strict: true,
    })
    if (positionals.length > 0 && values.help !== true) {
      throw new UsageError(`unexpected argument "${positionals[0]}"`, command)
    }
    return values
  } catch (error) {
    if (error instanceof UsageError) throw error
    throw new UsageError(usageMessage(error), command)
  }
}

// parseArgs' messages are long and mention its own terms; keep the part a user needs.
function usageMessage(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error)
  return message.split('. To specify')[0]!.split('\n')[0]!
}
