// Secrets stay secret: a representative end-to-end workload (storage save, load, update and
// migrate; token refresh through the demo AIM server; agent registration and signing; the CLI;
// error paths such as a key mismatch, a corrupt file, a revoked session and a bad agent key) runs
// with every secret it creates recorded, and every line written to stdout and stderr, every error
// (message, stack, cause), every event and every file under the temporary HOME is searched for
// them. Files may hold secrets only inside Fernet tokens. No plaintext development-mode file is
// left for the search: the one the workload writes is migrated (overwritten and removed) first.

import { spawnSync } from 'node:child_process'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { inspect } from 'node:util'

import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { startAimServer, type AimServer } from '../../demo/server/index.ts'
import {
  AgentIdentity,
  AimClient,
  AimCredentialsError,
  Fernet,
  MultiFernet,
  PlaintextCredentialStorage,
  SecureCredentialStorage,
  TokenManager,
  type CredentialStore,
  type SecurityEvent,
} from '../../src/node/index.ts'
import { KEYRING_ACCOUNT, readKeyringKey } from '../../src/node/keyring.ts'
import { itWith } from '../node/components.ts'
import {
  ROOT,
  runChild,
  secretService,
  temporaryHome,
  uniqueService,
} from '../node/storage-fixtures.ts'
import { count, figures } from './fixtures.ts'
import { Evidence, FERNET_TOKEN } from './leak-evidence.ts'

const tally = figures('leaks')

let home: string
let removeHome: () => Promise<void>
let server: AimServer | undefined

beforeEach(async () => {
  ;({ home, remove: removeHome } = await temporaryHome())
})
afterEach(async () => {
  await server?.close()
  server = undefined
  await removeHome()
})

/** Runs `action`, expecting a failure, and records the error. Returns its code. */
async function failure(evidence: Evidence, where: string, action: () => Promise<unknown>) {
  try {
    await action()
  } catch (error) {
    evidence.error(where, error)
    count(tally, 'errorsChecked')
    return error instanceof AimCredentialsError ? error.code : (error as Error).name
  }
  throw new Error(`${where} was expected to fail`)
}

/** Captures console.* and process.stdout/stderr writes of this process while `action` runs. */
async function capturingOutput(evidence: Evidence, action: () => Promise<void>): Promise<void> {
  const methods = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const
  const originals = methods.map((name) => console[name])
  const writes = [process.stdout.write, process.stderr.write]
  for (const name of methods) {
    console[name] = (...args: unknown[]) => evidence.text(`console.${name}`, inspect(args))
  }
  for (const stream of [process.stdout, process.stderr]) {
    const original = stream.write
    stream.write = ((chunk: unknown, ...rest: never[]) => {
      evidence.text(stream === process.stdout ? 'stdout' : 'stderr', String(chunk))
      return original.call(stream, chunk as string, ...rest)
    }) as typeof stream.write
  }
  try {
    await action()
  } finally {
    methods.forEach((name, index) => (console[name] = originals[index]!))
    process.stdout.write = writes[0]!
    process.stderr.write = writes[1]!
  }
}

async function filesUnder(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true })
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
}

/** A fetch that records every token and key the AIM server hands out. */
function recordingFetch(evidence: Evidence): typeof fetch {
  return async (input, init) => {
    const response = await fetch(input, init)
    const body = await response
      .clone()
      .json()
      .catch(() => undefined)
    for (const field of [
      'accessToken',
      'refreshToken',
      'access_token',
      'refresh_token',
      'privateKey',
    ]) {
      evidence.secret(
        `server-issued ${field}`,
        (body as Record<string, unknown> | undefined)?.[field],
      )
    }
    return response
  }
}

interface WorkloadKey {
  keyringService?: string
  key?: string
}

async function runWorkload(evidence: Evidence, keySource: WorkloadKey): Promise<void> {
  const events: SecurityEvent[] = []
  const onEvent = (event: SecurityEvent) => events.push(event)
  const aim = join(home, '.aim')
  const path = join(aim, 'credentials.json')
  const storageOptions = { ...keySource, onEvent }
  server = await startAimServer({ accessTokenTtlSeconds: 120 })
  for (const apiKey of server.apiKeys) evidence.secret('API key', apiKey)

  // Development mode first, then migration into encrypted storage.
  const credentials = await server.issueSdkCredentials()
  evidence.secret('refresh token', credentials.refreshToken)
  evidence.secret('access token', credentials.accessToken)
  await new PlaintextCredentialStorage({ path, onEvent }).saveCredentials(credentials)
  const storage = new SecureCredentialStorage({ path, ...storageOptions })
  expect(await storage.migrateToEncrypted()).toBe(true)
  expect(await storage.loadCredentials()).toEqual(credentials)
  await storage.updateCredentials((current) => ({ ...current, note: 'updated' }))
  const fernetKey =
    keySource.key ??
    (await readKeyringKey({
      service: keySource.keyringService!,
      account: KEYRING_ACCOUNT,
      timeoutMs: 5000,
    }))
  evidence.secret('Fernet key', fernetKey)

  // Tokens through the demo server: refresh with rotation, a shared token, a 401 and recovery.
  const fetchAndRecord = recordingFetch(evidence)
  const manager = new TokenManager({ storage, fetch: fetchAndRecord, onEvent })
  evidence.secret('access token', await manager.getAccessToken())
  evidence.secret('access token', await manager.refresh())
  expect((await manager.fetch('/api/v1/audit-logs')).status).toBe(200)
  const stored = await storage.loadCredentials()
  server.revokeToken(String(stored?.sdkTokenId))
  evidence.secret('access token', await manager.refresh().catch(() => undefined))
  const afterRecovery = await storage.loadCredentials()
  server.deleteToken(String(afterRecovery?.sdkTokenId))
  server.revokeToken(String(afterRecovery?.sdkTokenId))
  await failure(evidence, 'refresh of a deleted session', () => manager.refresh())
  await failure(evidence, 'fetch to another origin', () =>
    manager.fetch('https://elsewhere.example/'),
  )

  // Agents: registered with an API key and with a session, then signing and verification.
  const agentStorage = (safeName: string): CredentialStore =>
    new SecureCredentialStorage({
      path: join(aim, 'agents', `${safeName}.json`),
      ...storageOptions,
    })
  const byKey = new AimClient({
    apiKey: server.apiKeys[0],
    aimUrl: server.url,
    fetch: fetchAndRecord,
    agentStorage,
  })
  const agent = await byKey.registerAgent({ name: 'leak-bot', agentType: 'custom' })
  const record = await agentStorage('leak-bot').loadCredentials()
  evidence.secret('agent private key', record?.private_key ?? record?.privateKey)
  const signed = await agent.identity.signRequest({
    agentId: agent.agentId,
    method: 'GET',
    url: '/x',
  })
  evidence.text('signed headers', JSON.stringify(signed))
  const verdict = await byKey.verifyAction(agent.identity, {
    agentId: agent.agentId,
    actionType: 'read_database',
    resource: 'customers',
    context: { rows: 10 },
  })
  evidence.text('verification', JSON.stringify(verdict))

  const withSession = new TokenManager({
    storage: new SecureCredentialStorage({ path: join(aim, 'second.json'), ...storageOptions }),
    fetch: fetchAndRecord,
    onEvent,
  })
  const second = await server.issueSdkCredentials()
  evidence.secret('refresh token', second.refreshToken)
  await new SecureCredentialStorage({
    path: join(aim, 'second.json'),
    ...storageOptions,
  }).importCredentials(JSON.stringify(second))
  const bySession = new AimClient({ tokens: withSession, aimUrl: server.url, agentStorage })
  const sessionAgent = await bySession.registerAgent({ name: 'session-bot' })
  const sessionRecord = await agentStorage('session-bot').loadCredentials()
  evidence.secret('agent private key', sessionRecord?.private_key ?? sessionRecord?.privateKey)
  await bySession.getAgent(sessionAgent.agentId, { identity: sessionAgent.identity })

  // Error paths with secrets in reach.
  const otherKey = Fernet.generateKey()
  evidence.secret('Fernet key', otherKey)
  await failure(evidence, 'key mismatch', () =>
    new SecureCredentialStorage({ path, key: otherKey }).loadCredentials(),
  )
  const corruptPath = join(aim, 'corrupt.json')
  await writeFile(join(aim, 'corrupt.encrypted'), `${fernetKey}\n${credentials.refreshToken}`, {
    mode: 0o600,
  })
  await failure(evidence, 'corrupt file', () =>
    new SecureCredentialStorage({ path: corruptPath, ...keySource }).loadCredentials(),
  )
  await writeFile(join(aim, 'corrupt.encrypted'), 'gAAAAA-damaged')
  const wrongHalf = Buffer.alloc(64, 7)
  wrongHalf.set(
    Buffer.from(String(record?.private_key ?? record?.privateKey), 'base64').subarray(0, 32),
  )
  evidence.secret('agent private key', wrongHalf.toString('base64'))
  await failure(evidence, 'bad agent key', () =>
    AgentIdentity.fromPrivateKey(wrongHalf.toString('base64')),
  )
  await failure(evidence, 'bad plaintext JSON', () =>
    new SecureCredentialStorage({ path, ...keySource }).importCredentials(
      `{"refreshToken": "${credentials.refreshToken}"`,
    ),
  )
  await failure(evidence, 'registering a stored name', () =>
    byKey.registerAgent({ name: 'leak-bot' }),
  )

  // The objects that hold secrets, in every printable form.
  const fernet = await Fernet.fromKey(fernetKey!)
  evidence.forms('Fernet', fernet)
  evidence.forms('MultiFernet', new MultiFernet([fernet, await Fernet.fromKey(otherKey)]))
  evidence.forms('AgentIdentity', agent.identity)
  evidence.forms('AgentIdentity (session)', sessionAgent.identity)
  evidence.forms('TokenManager', manager)
  evidence.forms('SecureCredentialStorage', storage)
  evidence.forms(
    'SecureCredentialStorage (explicit key)',
    new SecureCredentialStorage({ path, key: otherKey }),
  )
  evidence.forms('PlaintextCredentialStorage', new PlaintextCredentialStorage({ path }))
  evidence.forms('AimClient', byKey)
  evidence.forms('AimClient (session)', bySession)
  for (const event of events) evidence.text(`event ${event.type}`, JSON.stringify(event))
  count(tally, 'eventsChecked', events.length)
}

/** Runs the CLI as a user would, recording its output; it must have said something. */
async function runCli(evidence: Evidence, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const result = await runChild(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'src/node/cli/main.ts'), ...args],
    {
      ...env,
      HOME: home,
      NO_COLOR: '1',
    },
  )
  evidence.text(`aim-credentials ${args.join(' ')} stdout`, result.stdout)
  evidence.text(`aim-credentials ${args.join(' ')} stderr`, result.stderr)
  expect(result.stdout.length + result.stderr.length).toBeGreaterThan(0)
  expect(result.stderr, `aim-credentials ${args.join(' ')}`).not.toMatch(/unexpected/)
  count(tally, 'cliRuns')
}

async function checkEverything(evidence: Evidence): Promise<void> {
  for (const file of await filesUnder(home)) {
    const text = (await readFile(file, 'utf8')).replace(FERNET_TOKEN, '')
    evidence.text(`file ${file.slice(home.length)}`, text)
    count(tally, 'filesChecked')
  }

  const leaks = evidence.leaks()
  count(tally, 'secretsRecorded', evidence.secrets.size)
  count(tally, 'textsSearched', evidence.texts.length)
  count(
    tally,
    'bytesSearched',
    evidence.texts.reduce((sum, { text }) => sum + text.length, 0),
  )
  count(tally, 'leaksFound', leaks.length)
  expect(leaks).toEqual([])
  expect(evidence.secrets.size).toBeGreaterThan(10)
}

describe('no secret leaks', () => {
  it('the search itself finds a planted secret in each form it records', () => {
    const evidence = new Evidence()
    // The Fernet specification's key: it has both '-' and '_', so its two base64 forms differ.
    const key = 'cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4='
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLW9mLXRoZS10b2tlbi0xMjM0'
    evidence.secret('Fernet key', key)
    evidence.secret('token', jwt)
    evidence.text('a log line', `key=${Buffer.from(key, 'base64url').toString('base64')}`)
    evidence.text('an error', `refresh failed for …${jwt.split('.')[2]}`)
    evidence.text('a file', `${key}`.replace(FERNET_TOKEN, ''))
    expect(evidence.leaks()).toEqual([
      'Fernet key (standard base64) in a log line',
      'token (signature) in an error',
      'Fernet key in a file',
    ])
  })

  it('with an explicit key: output, errors, events, object forms and files hold none', async () => {
    const evidence = new Evidence()
    const key = Fernet.generateKey()
    await capturingOutput(evidence, () => runWorkload(evidence, { key }))
    await runCli(evidence, ['status'], { ...process.env, AIM_ENCRYPTION_KEY: key })
    await runCli(evidence, ['status', '--json'], { ...process.env, AIM_ENCRYPTION_KEY: key })
    await runCli(evidence, ['doctor'], { ...process.env, AIM_ENCRYPTION_KEY: key })
    await checkEverything(evidence)
  }, 120_000)

  itWith(secretService)(
    'with the key in the keyring, including the CLI and a key rotation: none',
    async () => {
      const evidence = new Evidence()
      const keyringService = uniqueService('leaks')
      const env: NodeJS.ProcessEnv = { ...process.env, AIM_KEYRING_SERVICE: keyringService }
      delete env.AIM_ENCRYPTION_KEY
      try {
        await capturingOutput(evidence, () => runWorkload(evidence, { keyringService }))
        await runCli(evidence, ['status'], env)
        await runCli(evidence, ['doctor'], env)
        await runCli(evidence, ['rotate-key'], env)
        const item = { service: keyringService, account: KEYRING_ACCOUNT, timeoutMs: 5000 }
        evidence.secret('Fernet key (after rotation)', await readKeyringKey(item))
        await runCli(evidence, ['status', '--json'], env)
        await checkEverything(evidence)
      } finally {
        for (const account of [KEYRING_ACCOUNT, `${KEYRING_ACCOUNT}.next`]) {
          spawnSync('secret-tool', ['clear', 'service', keyringService, 'username', account])
        }
      }
    },
    120_000,
  )
})
