// `aim-credentials logout`: revokes the stored refresh token on the AIM server, then deletes the
// local SDK credentials (in ~/.aim and ./.aim), and says whether the server confirmed.

import { TokenManager } from '../../core/token-manager.ts'
import type { Command, CommandContext } from './command.ts'
import { failureOf, storageFor, summarizeFile } from './credential-summary.ts'
import { EXIT_ACTION_NEEDED, EXIT_OK, type ExitCode } from './exit-codes.ts'
import { findCredentialFiles, storagePathOf, type CredentialFile } from './locations.ts'

const HELP = `Usage: aim-credentials logout

Revokes the stored refresh token on the AIM server named in the credentials, then deletes the
local SDK credentials (credentials and sdk_credentials files, encrypted and plaintext, in ~/.aim
and ./.aim). The local copy is deleted even when the server cannot be reached; the exit code is
then 1, because the token may stay valid on the server until it expires: revoke it from the AIM
dashboard. Agent credentials (~/.aim/agents) are kept.`

// How long to wait for the server's answer before giving up on revocation.
const LOGOUT_TIMEOUT_MS = 15_000

/** The `logout` command. */
export const logoutCommand: Command = {
  name: 'logout',
  summary: 'revoke the session on the server and delete the local SDK credentials',
  help: HELP,
  options: {},
  run: runLogout,
}

async function runLogout({ settings, output }: CommandContext): Promise<ExitCode> {
  const inventory = await findCredentialFiles(settings)
  const sessions = oneFilePerStorage(inventory.files.filter((file) => file.kind === 'sdk'))
  if (sessions.length === 0) {
    output.line('No stored SDK credentials in ~/.aim or ./.aim: nothing to sign out of.')
    return EXIT_OK
  }

  let unconfirmed = 0
  for (const file of sessions) {
    const summary = await summarizeFile(file, settings)
    const server = summary.sdk?.server ?? 'the AIM server'
    const tokens = new TokenManager({
      storage: storageFor(file, settings),
      timeoutMs: LOGOUT_TIMEOUT_MS,
    })

    try {
      const { revoked } = await output.progress(`signing out of ${server}…`, () => tokens.logout())
      const where = storagePathOf(file).replace(/\.json$/, '.*')
      if (revoked) {
        output.line(`${output.style.good('signed out')}  ${server}: the server revoked the session`)
      } else {
        unconfirmed += 1
        const until = summary.sdk?.refreshToken?.expiresAt
        output.line(`${output.style.warn('signed out locally')}  ${server}`)
        output.error(
          `${server} did not confirm the revocation (unreachable, or it refused), so the token ` +
            `may stay valid${until ? ` until ${until}` : ''}; revoke it from the AIM dashboard.`,
        )
      }
      output.line(`  deleted ${where}`)
    } catch (error) {
      const failure = failureOf(error)
      output.error(`${failure.code}: ${failure.message}`)
      return EXIT_ACTION_NEEDED
    }
  }
  return unconfirmed === 0 ? EXIT_OK : EXIT_ACTION_NEEDED
}

// A plaintext file and its encrypted twin are one storage; the encrypted one is read first.
function oneFilePerStorage(files: CredentialFile[]): CredentialFile[] {
  const chosen = new Map<string, CredentialFile>()
  for (const file of files) {
    const key = storagePathOf(file)
    const existing = chosen.get(key)
    if (!existing || (existing.format === 'plaintext' && file.format === 'encrypted')) {
      chosen.set(key, file)
    }
  }
  return [...chosen.values()]
}
