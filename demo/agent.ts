// `npm run demo:agent`: the console's path from Node, with the key in the OS keyring. It starts a
// local AIM server in this process, stores the credentials a user would download, keeps a session,
// registers an agent, signs and verifies two actions, and prints the server's audit log.
//
// It keeps everything apart from a real installation: files under ~/.aim-credentials-demo and the
// keyring service "aim-credentials-demo" (the real SDK uses ~/.aim and "aim-sdk").
//
// Options: --plaintext (the development mode: no keyring, 0600 plaintext files), --keep (leave
// the demo's files and keyring entry in place afterwards).

import { rm } from 'node:fs/promises'

import { Entry } from '@napi-rs/keyring'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'

import {
  AimClient,
  AimCredentialsError,
  PlaintextCredentialStorage,
  SecureCredentialStorage,
  TokenManager,
  type CredentialStore,
  type SecurityEvent,
} from '../src/node/index.ts'
import { startAimServer } from './server/index.ts'

const { values } = parseArgs({
  options: {
    plaintext: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
})

const HOME = join(homedir(), '.aim-credentials-demo')
const KEYRING_SERVICE = 'aim-credentials-demo'
const tty = process.stdout.isTTY && !process.env.NO_COLOR
const dim = (text: string) => (tty ? `\x1b[2m${text}\x1b[0m` : text)
const bold = (text: string) => (tty ? `\x1b[1m${text}\x1b[0m` : text)

function logEvent(event: SecurityEvent): void {
  const where = event.path ? ` ${event.path}` : ''
  const detail = event.detail ? ` (${event.detail})` : ''
  console.log(dim(`  event ${event.type}${where}${detail}`))
}

function storageAt(path: string): CredentialStore & { describeKeySource?: () => Promise<unknown> } {
  return values.plaintext
    ? new PlaintextCredentialStorage({ path, onEvent: logEvent })
    : new SecureCredentialStorage({ path, keyringService: KEYRING_SERVICE, onEvent: logEvent })
}

const KEYRING_HELP = `
This machine has no usable OS keyring, so the agent cannot keep its secrets encrypted here.
Secure storage never falls back to plaintext by itself. Choose one:

  1. Start a Secret Service in this session (Linux), e.g.
       dbus-run-session -- sh -c 'printf pw | gnome-keyring-daemon --unlock --components=secrets; npm run demo:agent'
  2. Give the key through the environment, as containers and CI do:
       AIM_ENCRYPTION_KEY=$(node -p "crypto.randomBytes(32).toString('base64url') + '='") npm run demo:agent
     (keep that key: without it the files cannot be decrypted)
  3. Use the explicit development mode (plaintext 0600 files):
       npm run demo:agent -- --plaintext
`

/** Removes the demo's files and its keyring entry (never the real SDK's). */
async function forgetDemo(): Promise<void> {
  await rm(HOME, { recursive: true, force: true })
  if (values.plaintext || process.env.AIM_ENCRYPTION_KEY) return
  const options = { linux: { store: 'secret-service' as const } }
  try {
    new Entry(KEYRING_SERVICE, 'encryption-key', options).deleteCredential()
  } catch {
    // No keyring, or already gone: nothing of the demo's is left there.
  }
}

async function main(): Promise<void> {
  const server = await startAimServer({ accessTokenTtlSeconds: 3 })
  try {
    console.log(bold(`Local AIM server ${server.url}`))
    const storage = storageAt(join(HOME, 'credentials.json'))

    console.log(bold('\n1. Store the downloaded SDK credentials, encrypted'))
    await storage.saveCredentials(await server.issueSdkCredentials())
    if ('describeKeySource' in storage && storage.describeKeySource) {
      console.log(`  key source: ${JSON.stringify(await storage.describeKeySource())}`)
    }

    console.log(bold('\n2. Get access tokens; they expire every 3 s and rotate on refresh'))
    const tokens = new TokenManager({ storage, refreshSkewSeconds: 1, onEvent: logEvent })
    for (let round = 0; round < 3; round++) {
      const token = await tokens.getAccessToken()
      console.log(`  access token …${token.slice(-8)} (round ${round + 1})`)
      await new Promise((wake) => setTimeout(wake, 2_500))
    }

    console.log(bold('\n3. Register an agent with the session; its key pair is made here'))
    const client = new AimClient({
      tokens,
      agentStorage: (safeName) => storageAt(join(HOME, 'agents', `${safeName}.json`)),
    })
    const agent = await client.registerAgent({ name: `node-agent-${Date.now()}` })
    console.log(`  agent ${agent.agentId}, public key ${agent.publicKey}`)

    console.log(bold('\n4. Sign actions and have the server verify them'))
    for (const actionType of ['read_database', 'deny_delete_database']) {
      const verdict = await client.verifyAction(agent.identity, {
        agentId: agent.agentId,
        actionType,
        resource: 'customers',
        context: { reason: 'nightly report ✓', rows: 42 },
      })
      console.log(
        `  ${actionType}: ${verdict.status}${verdict.denialReason ? ` (${verdict.denialReason})` : ''}`,
      )
      if (verdict.status === 'approved') {
        await client.reportActionResult(verdict.id, { result: 'success' })
      }
    }

    console.log(bold('\n5. The server audit log'))
    for (const row of await client.listAuditLogs()) console.log(`  ${row.action}`)

    const stats = server.stats()
    console.log(`\n${stats.refreshes} refreshes, ${stats.reuseDetections} reused refresh tokens.`)
  } finally {
    await server.close()
    if (!values.keep) await forgetDemo()
  }
}

try {
  await main()
} catch (error) {
  if (error instanceof AimCredentialsError && error.code.startsWith('ERR_KEYRING_')) {
    console.error(`\n${error.code}: ${error.message}\n${KEYRING_HELP}`)
  } else {
    console.error(
      `\n${error instanceof AimCredentialsError ? `${error.code}: ` : ''}${String(error)}`,
    )
  }
  process.exitCode = 1
}
