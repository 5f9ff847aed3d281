// `aim-credentials rotate-key`: a new Fernet key in the OS keyring, every encrypted credentials
// file re-encrypted with it, the old key retired last (see key-rotation.ts for the crash-safe
// order).

import type { Command, CommandContext } from './command.ts'
import { failureOf } from './credential-summary.ts'
import { EXIT_ACTION_NEEDED, EXIT_OK, type ExitCode } from './exit-codes.ts'
import { rotateKeyringKey } from './key-rotation.ts'
import { findCredentialFiles } from './locations.ts'
import { keyFromEnvironment } from './settings.ts'

const HELP = `Usage: aim-credentials rotate-key [--include DIR]...

Creates a new Fernet key in the OS keyring and re-encrypts every encrypted credentials file with it
(credentials.encrypted, sdk_credentials.encrypted and agents/*.encrypted in ~/.aim, ./.aim and the
.aim folder of each --include DIR). Crash-safe: the new key is stored first under a second keyring
account, each file is replaced atomically and verified, the new key then becomes the main one, and
only then is the old key deleted. If it stops half-way, every file still opens (with the old or the
new key) and running rotate-key again finishes the job.

Options:
  --include DIR           also re-encrypt DIR/.aim (repeatable)

Stop programs that use these credentials while rotating: a running process keeps the old key in
memory. Encrypted files in other folders are not found: they stop opening once the old key is
retired, so name their folders with --include.

With AIM_ENCRYPTION_KEY set, the key is not in the keyring and this command refuses: rotate it in
the secret manager that sets the variable instead (load with the old key, save with the new one).`

/** The `rotate-key` command. */
export const rotateKeyCommand: Command = {
  name: 'rotate-key',
  summary: 'replace the keyring key and re-encrypt every file, crash-safe',
  help: HELP,
  options: { include: { type: 'string', multiple: true } },
  run: runRotateKey,
}

async function runRotateKey({ values, settings, output }: CommandContext): Promise<ExitCode> {
  if (keyFromEnvironment(settings)) {
    output.error(
      'AIM_ENCRYPTION_KEY is set, so the key lives in your environment and this command cannot ' +
        'replace it; unset it to rotate the keyring key, or rotate it where it is set.',
    )
    output.hint(
      'To change an environment key: generate a new one (Fernet.generateKey()), load the ' +
        'credentials with SecureCredentialStorage({ key: oldKey }), save them with ' +
        'SecureCredentialStorage({ key: newKey }), then update AIM_ENCRYPTION_KEY.',
    )
    return EXIT_ACTION_NEEDED
  }

  const include = values.include
  const withIncluded = {
    ...settings,
    include: Array.isArray(include) ? include.filter((each) => typeof each === 'string') : [],
  }
  const inventory = await findCredentialFiles(withIncluded)
  const encrypted = inventory.files
    .filter((file) => file.format === 'encrypted')
    .map((file) => file.path)

  let step = 'starting'
  try {
    const result = await output.progress('rotating the key…', (relabel) =>
      rotateKeyringKey(withIncluded, encrypted, {
        onStep: (next) => {
          step = next
          relabel(`${next}…`)
          if (!next.startsWith('re-encrypting')) output.line(output.style.dim(`${next}…`))
        },
        onFile: (path, outcome) => {
          output.line(`${output.style.good(outcome)}  ${path}`)
        },
      }),
    )

    if (result.nothingToRotate) {
      output.line(
        'The OS keyring holds no key yet and no encrypted files exist: nothing to rotate.',
      )
      return EXIT_OK
    }
    if (result.resumed) output.line('Finished a rotation that had been interrupted.')
    output.line(
      `Key rotated: ${result.files.length} file(s) now under the new key; the old key was deleted.`,
    )
    return EXIT_OK
  } catch (error) {
    const failure = failureOf(error)
    output.error(`${failure.code} while ${step}: ${failure.message}`)
    return EXIT_ACTION_NEEDED
  }
}
