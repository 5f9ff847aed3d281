// `aim-credentials migrate`: encrypts every plaintext credentials file the Python SDK or the
// development mode left (SDK and agent files, in ~/.aim and ./.aim). Each is encrypted into its
// `.encrypted` twin, read back and verified, and only then overwritten and removed.

import { lstat } from 'node:fs/promises'

import { encryptedPathOf, findPlaintextCredentialFiles } from '../credential-paths.ts'
import { pathExists } from '../files.ts'
import { SecureCredentialStorage } from '../secure-storage.ts'
import type { Command, CommandContext } from './command.ts'
import { failureOf } from './credential-summary.ts'
import { EXIT_ACTION_NEEDED, EXIT_OK, type ExitCode } from './exit-codes.ts'
import { formatMode } from './locations.ts'
import type { Output } from './output.ts'

const HELP = `Usage: aim-credentials migrate [--dry-run]

Finds every plaintext credentials file (credentials.json, sdk_credentials.json and agents/*.json
in ~/.aim and ./.aim), encrypts each into its .encrypted twin with the key from the OS keyring (or
AIM_ENCRYPTION_KEY), reads it back to verify, and only then overwrites and removes the plaintext.
A file that fails is left exactly as it was, and the others still go ahead.

Options:
  --dry-run               show what would be done and change nothing

Overwriting cannot reach copies kept by SSDs, copy-on-write file systems, snapshots or backups:
treat credentials that were ever stored in plaintext as exposed.`

/** The `migrate` command. */
export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'encrypt every plaintext credentials file and remove the plaintext',
  help: HELP,
  options: { 'dry-run': { type: 'boolean' } },
  run: runMigrate,
}

async function runMigrate({ values, settings, output }: CommandContext): Promise<ExitCode> {
  const found = await findPlaintextCredentialFiles({ home: settings.home, cwd: settings.cwd })
  if (found.length === 0) {
    output.line('No plaintext credentials files found in ~/.aim or ./.aim: nothing to migrate.')
    return EXIT_OK
  }

  if (values['dry-run'] === true) {
    await printPlan(found, output)
    return EXIT_OK
  }

  let failures = 0
  for (const [index, path] of found.entries()) {
    const storage = new SecureCredentialStorage({ path, keyringService: settings.keyringService })
    try {
      await output.progress(`encrypting ${index + 1}/${found.length}: ${path}`, () =>
        storage.migrateToEncrypted(),
      )
      output.line(`${output.style.good('encrypted')} ${path} → ${encryptedPathOf(path)}`)
      output.line(`  verified, plaintext overwritten and removed`)
    } catch (error) {
      failures += 1
      const failure = failureOf(error)
      output.line(`${output.style.bad('failed')}    ${path}`)
      output.error(`${failure.code}: ${failure.message}`)
    }
  }

  const done = found.length - failures
  output.line()
  output.line(`${done} of ${found.length} file(s) migrated.`)
  return failures === 0 ? EXIT_OK : EXIT_ACTION_NEEDED
}

async function printPlan(found: string[], output: Output): Promise<void> {
  output.line(`Dry run: ${found.length} plaintext file(s) found; nothing was changed.`)
  for (const path of found) {
    const encrypted = encryptedPathOf(path)
    const stats = await lstat(path)
    const notes: string[] = []
    if (stats.isSymbolicLink()) notes.push('a symbolic link: will be refused, replace it first')
    else if ((stats.mode & 0o077) !== 0) {
      notes.push(
        `mode ${formatMode(stats.mode & 0o777)}: will be refused, run \`chmod 600 ${path}\``,
      )
    }
    if (await pathExists(encrypted)) {
      notes.push(
        `${encrypted} exists: the plaintext is removed only if both hold the same credentials`,
      )
    }

    output.line(`would encrypt ${path} → ${encrypted}, verify, then remove the plaintext`)
    for (const note of notes) output.line(`  ${output.style.warn('note:')} ${note}`)
  }
}
