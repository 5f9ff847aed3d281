// `aim-credentials rotate-key` against a real Secret Service: every encrypted file ends under the
// new key and the old key is gone; a rotation killed (SIGKILL) at random moments always leaves
// every file decryptable with a stored key, and a later rotation finishes the job.

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

import { afterAll, afterEach, beforeEach, describe, expect } from 'vitest'

import { AimCredentialsError, Fernet } from '../../src/node/index.ts'
import { deleteKeyringKey, readKeyringKey, storeKeyringKey } from '../../src/node/keyring.ts'
import {
  agentCredentials,
  cliWorld,
  removeCliProgram,
  expectNoSecrets,
  runCli,
  sdkCredentials,
  secretsOf,
  secureAt,
  startCli,
  type CliWorld,
} from './cli-fixtures.ts'
import { itWith } from './components.ts'
import { secretService } from './storage-fixtures.ts'

const it = itWith(secretService)
const KILLS = 20
const PAUSE_MS = 40

let world: CliWorld

beforeEach(async () => {
  world = await cliWorld('rotate')
})
afterEach(() => world.remove())
afterAll(() => removeCliProgram())

function keyAt(account: 'encryption-key' | 'encryption-key.next'): Promise<string | null> {
  return readKeyringKey({ service: world.service, account, timeoutMs: 10_000 })
}

/** Three encrypted files: SDK credentials in ~/.aim and ./.aim, and one agent. */
async function plantEncrypted(): Promise<Map<string, Record<string, unknown>>> {
  const files = new Map<string, Record<string, unknown>>([
    [join(world.home, '.aim', 'credentials.json'), await sdkCredentials()],
    [join(world.home, '.aim', 'agents', 'alpha.json'), agentCredentials('alpha')],
    [join(world.cwd, '.aim', 'sdk_credentials.json'), await sdkCredentials()],
  ])
  for (const [path, credentials] of files) await secureAt(world, path).saveCredentials(credentials)
  return files
}

async function openingKey(path: string, keys: (string | null)[]): Promise<string | undefined> {
  const token = (await readFile(path.replace(/json$/, 'encrypted'), 'utf8')).trim()
  for (const key of keys) {
    if (key === null) continue
    try {
      await (await Fernet.fromKey(key)).decrypt(token)
      return key
    } catch {
      // Not this key; try the next one.
    }
  }
  return undefined
}

describe('rotate-key', () => {
  it('re-encrypts every file with a new key and deletes the old one', async () => {
    const files = await plantEncrypted()
    const oldKey = await keyAt('encryption-key')

    const result = await runCli(world, ['rotate-key'])

    expect(result.code).toBe(0)
    expect(result.stdout).toContain('Key rotated: 3 file(s) now under the new key')
    const newKey = await keyAt('encryption-key')
    expect(newKey).not.toBeNull()
    expect(newKey).not.toBe(oldKey)
    expect(await keyAt('encryption-key.next')).toBeNull()
    for (const [path, credentials] of files) {
      expect(result.stdout).toContain(`re-encrypted  ${path.replace(/json$/, 'encrypted')}`)
      expect(await openingKey(path, [oldKey])).toBeUndefined()
      expect(await openingKey(path, [newKey])).toBe(newKey)
      expect(await secureAt(world, path).loadCredentials()).toEqual(credentials)
    }
    expectNoSecrets([result], [...secretsOf(...files.values()), oldKey!, newKey!])
  })

  it('re-encrypts the .aim folder of each --include folder too', async () => {
    const project = await mkdtemp(join(tmpdir(), 'aim-cli-project-'))
    try {
      const path = join(project, '.aim', 'credentials.json')
      const credentials = await sdkCredentials()
      await secureAt(world, path).saveCredentials(credentials)

      const result = await runCli(world, ['rotate-key', '--include', project])

      expect(result.code).toBe(0)
      expect(result.stdout).toContain(
        `re-encrypted  ${join(project, '.aim', 'credentials.encrypted')}`,
      )
      const main = await keyAt('encryption-key')
      expect(await openingKey(path, [main])).toBe(main)
      expect(await secureAt(world, path).loadCredentials()).toEqual(credentials)
    } finally {
      await rm(project, { recursive: true, force: true })
    }
  })

  it('refuses with AIM_ENCRYPTION_KEY set, says what to do, and changes nothing', async () => {
    const key = Fernet.generateKey()
    const path = join(world.home, '.aim', 'credentials.json')
    await secureAt(world, path).saveCredentials(await sdkCredentials())
    const before = await readFile(path.replace(/json$/, 'encrypted'), 'utf8')

    const result = await runCli(world, ['rotate-key'], { ...world.env, AIM_ENCRYPTION_KEY: key })

    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/^error: AIM_ENCRYPTION_KEY is set/)
    expect(result.stderr).toContain('SecureCredentialStorage({ key: newKey })')
    expect(await readFile(path.replace(/json$/, 'encrypted'), 'utf8')).toBe(before)
    expect(result.stdout + result.stderr).not.toContain(key)
  })

  it('says there is nothing to rotate in an empty home', async () => {
    const result = await runCli(world, ['rotate-key'])

    expect(result.code).toBe(0)
    expect(result.stdout).toContain('nothing to rotate')
    expect(await keyAt('encryption-key')).toBeNull()
  })

  it('lets the storage open a file under the pending key of an unfinished rotation', async () => {
    const path = join(world.home, '.aim', 'credentials.json')
    const credentials = await sdkCredentials()
    await secureAt(world, path).saveCredentials(credentials)
    const pending = Fernet.generateKey()
    const item = { service: world.service, account: 'encryption-key.next', timeoutMs: 10_000 }
    const encrypted = path.replace(/json$/, 'encrypted')
    await writeFile(
      encrypted,
      await (await Fernet.fromKey(pending)).encrypt(JSON.stringify(credentials)),
    )

    await storeKeyringKey(item, pending)
    expect(await secureAt(world, path).loadCredentials()).toEqual(credentials)

    await deleteKeyringKey(item)
    const failure = await secureAt(world, path)
      .loadCredentials()
      .catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(AimCredentialsError)
    expect((failure as AimCredentialsError).code).toBe('ERR_KEY_MISMATCH')
  })

  it(`keeps every file decryptable when killed at ${KILLS} random moments`, async () => {
    const files = await plantEncrypted()
    const seenKeys = new Set<string>([(await keyAt('encryption-key'))!])
    let killedMidway = 0

    for (let round = 0; round < KILLS; round += 1) {
      const child = await startCli(world, ['rotate-key'], {
        ...world.env,
        AIM_CREDENTIALS_TEST_ROTATION_PAUSE_MS: String(PAUSE_MS),
      })
      const exited = new Promise((resolve) => child.once('exit', resolve))
      // Wait for the first step, then kill somewhere within the rotation's paused steps.
      await new Promise((resolve) => child.stdout!.once('data', resolve))
      await sleep(Math.random() * PAUSE_MS * 6)
      child.kill('SIGKILL')
      await exited

      const main = await keyAt('encryption-key')
      const pending = await keyAt('encryption-key.next')
      if (pending !== null) killedMidway += 1
      for (const key of [main, pending]) if (key) seenKeys.add(key)

      for (const [path, credentials] of files) {
        expect(await openingKey(path, [main, pending]), `round ${round}: ${path}`).toBeDefined()
        expect(await secureAt(world, path).loadCredentials()).toEqual(credentials)
      }
    }
    expect(killedMidway).toBeGreaterThan(0)

    const finish = await runCli(world, ['rotate-key'])
    expect(finish.code).toBe(0)
    const main = await keyAt('encryption-key')
    expect(await keyAt('encryption-key.next')).toBeNull()
    for (const [path, credentials] of files) {
      expect(await openingKey(path, [main])).toBe(main)
      expect(
        await openingKey(
          path,
          [...seenKeys].filter((key) => key !== main),
        ),
      ).toBeUndefined()
      expect(await secureAt(world, path).loadCredentials()).toEqual(credentials)
    }
    expectNoSecrets([finish], [...secretsOf(...files.values()), ...seenKeys])
  })
})
