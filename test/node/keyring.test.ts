// The secure storage against a real Secret Service (gnome-keyring in a private D-Bus session):
// the key's life in the keyring, every keyring failure's code, duplicate items, and several
// processes creating the key and updating the credentials at once.

import { spawnSync } from 'node:child_process'
import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'

import { afterAll, beforeEach, afterEach, describe, expect } from 'vitest'

import {
  AimCredentialsError,
  Fernet,
  SecureCredentialStorage,
  type SecurityEvent,
} from '../../src/node/index.ts'
import { readKeyringKey } from '../../src/node/keyring.ts'
import { itWith } from './components.ts'
import {
  ROOT,
  pythonSdk,
  runChild,
  runWorker,
  secretService,
  temporaryHome,
  uniqueService,
} from './storage-fixtures.ts'

const it = itWith(secretService)
const usedServices: string[] = []

let home: string
let removeHome: () => Promise<void>

beforeEach(async () => {
  ;({ home, remove: removeHome } = await temporaryHome())
})
afterEach(() => removeHome())

// Every item this suite made, whichever program made it.
afterAll(() => {
  for (const service of usedServices) {
    spawnSync('secret-tool', ['clear', 'service', service, 'username', 'encryption-key'])
  }
})

function service(label: string): string {
  const name = uniqueService(label)
  usedServices.push(name)
  return name
}

function itemCount(name: string): number {
  const found = spawnSync('secret-tool', ['search', '--all', 'service', name], { encoding: 'utf8' })
  return (`${found.stdout}${found.stderr}`.match(/^\[\//gm) ?? []).length
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (error) {
    if (error instanceof AimCredentialsError) return error.code
    throw error
  }
  throw new Error('expected an AimCredentialsError')
}

describe('the key in the Secret Service', () => {
  it('is created once, then found: save, load, update, delete', async () => {
    const keyringService = service('roundtrip')
    const path = join(home, '.aim', 'credentials.json')
    const events: SecurityEvent[] = []
    const storage = new SecureCredentialStorage({
      path,
      keyringService,
      onEvent: (event) => events.push(event),
    })

    await storage.saveCredentials({ refreshToken: 'r1', extra: true })
    expect(await storage.describeKeySource()).toEqual({
      source: 'keyring',
      backend: 'secret-service',
    })
    expect(events.slice(0, 2)).toMatchObject([
      { type: 'key.created', keySource: 'keyring', backend: 'secret-service' },
      { type: 'key.loaded', keySource: 'keyring', backend: 'secret-service' },
    ])

    const again = new SecureCredentialStorage({ path, keyringService })
    expect(await again.loadCredentials()).toEqual({ refreshToken: 'r1', extra: true })
    expect(
      await again.updateCredentials((current) => ({ ...current, refreshToken: 'r2' })),
    ).toEqual({ refreshToken: 'r2', extra: true })
    expect(await storage.loadCredentials()).toEqual({ refreshToken: 'r2', extra: true })

    // The stored key is the Python form, and it is what encrypted the file.
    const key = await readKeyringKey({
      service: keyringService,
      account: 'encryption-key',
      timeoutMs: 5000,
    })
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}=$/)
    const token = await readFile(join(home, '.aim', 'credentials.encrypted'), 'utf8')
    expect(
      JSON.parse(new TextDecoder().decode(await (await Fernet.fromKey(key!)).decrypt(token))),
    ).toEqual({
      refreshToken: 'r2',
      extra: true,
    })
    expect(itemCount(keyringService)).toBe(1)
    expect(events.filter((event) => event.type === 'key.created')).toHaveLength(1)

    await again.deleteCredentials()
    expect(await storage.loadCredentials()).toBeNull()
    expect(
      await readKeyringKey({ service: keyringService, account: 'encryption-key', timeoutMs: 5000 }),
    ).toBe(key)
  })

  it('reports a lost key instead of making a new one when encrypted credentials exist', async () => {
    const keyringService = service('lost')
    const path = join(home, '.aim', 'credentials.json')
    await new SecureCredentialStorage({ path, keyringService }).saveCredentials({ a: 1 })
    const before = await readFile(join(home, '.aim', 'credentials.encrypted'), 'utf8')
    spawnSync('secret-tool', ['clear', 'service', keyringService, 'username', 'encryption-key'])

    const storage = new SecureCredentialStorage({ path, keyringService })
    expect(await codeOf(storage.loadCredentials())).toBe('ERR_KEY_LOST')
    expect(await codeOf(storage.saveCredentials({ a: 2 }))).toBe('ERR_KEY_LOST')
    expect(itemCount(keyringService)).toBe(0)
    expect(await readFile(join(home, '.aim', 'credentials.encrypted'), 'utf8')).toBe(before)
  })

  it('fails closed without a D-Bus session: the no-backend error, and no file anywhere', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: home }
    delete env.DBUS_SESSION_BUS_ADDRESS
    const path = join(home, '.aim', 'credentials.json')
    const options = JSON.stringify({ path, credentials: { refreshToken: 'secret-value' } })

    const saved = await runWorker('storage-worker.ts', ['save', options], env)
    expect(saved.stdout.trim()).toBe('ERR_KEYRING_UNAVAILABLE')
    expect(await readdir(home)).toEqual([])

    const message = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '-e',
        `import { SecureCredentialStorage } from './src/node/index.ts'
         new SecureCredentialStorage({ path: ${JSON.stringify(path)} }).saveCredentials({})
           .catch((error) => console.log(error.message))`,
      ],
      { cwd: ROOT, env, encoding: 'utf8' },
    ).stdout
    expect(message).toContain('AIM_ENCRYPTION_KEY')
    expect(message).toContain('PlaintextCredentialStorage')
    expect(await readdir(home)).toEqual([])
  })

  it('reports a locked keyring without creating a key, and bounds a frozen one (own session)', async () => {
    // Locking and freezing the Secret Service would disturb suites running beside this one, so
    // the scenario runs in a D-Bus session and gnome-keyring of its own.
    const result = await runChild(
      'dbus-run-session',
      [
        '--',
        'bash',
        'scripts/with-keyring.sh',
        process.execPath,
        '--import',
        'tsx',
        'test/node/workers/keyring-session-worker.ts',
        home,
      ],
      { ...process.env, HOME: home },
    )
    const outcome = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>

    expect(outcome).toMatchObject({
      lock: 'locked',
      lockedLoadWithKey: 'ERR_KEYRING_LOCKED',
      lockedSaveWithKey: 'ERR_KEYRING_LOCKED',
      lockedSaveWithoutKey: 'ERR_KEYRING_LOCKED',
      filesWithoutKey: [],
      unlock: 'unlocked',
      keyAfterUnlock: null,
      loadAfterUnlock: { refreshToken: 'r1' },
      frozenLoad: 'ERR_KEYRING_TIMEOUT',
    })
  })
})

describe('two items for one service and account', () => {
  it('are used when they hold the same key, and reported when they differ', async () => {
    const keyringService = service('duplicates')
    const path = join(home, '.aim', 'credentials.json')
    await new SecureCredentialStorage({ path, keyringService }).saveCredentials({ a: 1 })
    const ours = await pythonSdk<{ key: string }>({ op: 'get_key', service: keyringService })

    // Python's keyring adds its own attribute, so storing the same key makes a second item.
    await pythonSdk({ op: 'set_key', service: keyringService, key: ours.key })
    expect(itemCount(keyringService)).toBe(2)
    expect(await new SecureCredentialStorage({ path, keyringService }).loadCredentials()).toEqual({
      a: 1,
    })

    const storage = new SecureCredentialStorage({ path, keyringService })
    await pythonSdk({ op: 'set_key', service: keyringService, key: Fernet.generateKey() })
    expect(await codeOf(storage.loadCredentials())).toBe('ERR_KEYRING_CONFLICT')
    expect(await codeOf(storage.saveCredentials({ a: 2 }))).toBe('ERR_KEYRING_CONFLICT')
  })
})

describe('several processes at once', () => {
  it('starting together with no key make one key, and every process reads every file', async () => {
    const keyringService = service('race')
    const count = 5
    const paths = Array.from({ length: count }, (_, index) =>
      join(home, `agent-${index}`, 'credentials.json'),
    )
    const startAt = Date.now() + 2500
    const env = { ...process.env, HOME: home }

    const results = await Promise.all(
      paths.map((path, index) =>
        runWorker(
          'storage-worker.ts',
          [
            'save-then-load',
            JSON.stringify({
              path,
              service: keyringService,
              id: String(index),
              startAt,
              readPaths: paths,
            }),
          ],
          env,
        ),
      ),
    )

    const expected = paths.map((_, index) => ({ writer: String(index) }))
    for (const result of results) expect(JSON.parse(result.stdout.trim())).toEqual(expected)
    expect(itemCount(keyringService)).toBe(1)
  })

  it('lose no update: 10 processes × 5 increments make exactly 50', async () => {
    const keyringService = service('increments')
    const path = join(home, '.aim', 'credentials.json')
    await new SecureCredentialStorage({ path, keyringService }).saveCredentials({ counter: 0 })
    const startAt = Date.now() + 3000
    const env = { ...process.env, HOME: home }

    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        runWorker(
          'storage-worker.ts',
          ['increment', JSON.stringify({ path, service: keyringService, times: 5, startAt })],
          env,
        ),
      ),
    )
    for (const result of results) expect(result.stdout.trim()).toBe('done')

    expect(await new SecureCredentialStorage({ path, keyringService }).loadCredentials()).toEqual({
      counter: 50,
    })
    expect((await readdir(join(home, '.aim'))).sort()).toEqual(['credentials.encrypted'])
    expect((await stat(join(home, '.aim', 'credentials.encrypted'))).mode & 0o777).toBe(0o600)
  })
})
