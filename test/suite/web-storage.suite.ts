// The web storage suite, shared by every runtime the web entry serves: happy-dom (fake-indexeddb),
// real Chromium, Node without IndexedDB, Deno and Bun. It receives the entry under test and the
// persistence to use; cases that need two storages to share one database run only on IndexedDB.

import type * as Entry from '../../src/web/index.ts'
import {
  assert,
  assertEqual,
  assertFailsWithCode,
  assertFailsWithType,
  type Case,
} from './harness.ts'

/** What the suite needs from the package under test. */
export type StorageApi = Pick<
  typeof Entry,
  | 'Fernet'
  | 'SecureCredentialStorage'
  | 'PlaintextCredentialStorage'
  | 'findPlaintextCredentialFiles'
>

type Options = NonNullable<ConstructorParameters<typeof Entry.SecureCredentialStorage>[0]>
type Event = Entry.SecurityEvent

/** How the suite makes storages: where they keep data, and a fresh database name per case. */
export interface StorageSetup {
  persistence: 'indexeddb' | 'memory'
  /** Whether this runtime has IndexedDB; without it the suite checks the typed refusal. */
  indexedDb: boolean
  newDatabase(): string
}

let serial = 0

/** SDK credentials with a refresh token unique to each call, and a field this library ignores. */
export function sampleCredentials(counter = 0): Record<string, unknown> {
  serial += 1
  return {
    aimUrl: 'http://localhost:8080',
    refreshToken: `refresh-${serial}-${Math.random().toString(36).slice(2)}`,
    sdkTokenId: `jti-${serial}`,
    userId: '3f1c2a8e-5b7d-4e9a-9c61-0d2b7f4a1e55',
    email: 'developer@example.com',
    schemaVersion: '1.0',
    type: 'sdk_oauth',
    futureField: { nested: [1, 'two', null], unicode: 'clé ✓' },
    counter,
  }
}

function assertJsonEqual(actual: unknown, expected: unknown, message: string): void {
  assertEqual(JSON.stringify(actual), JSON.stringify(expected), message)
}

function counterOf(credentials: Record<string, unknown> | null): number {
  const counter = credentials?.counter
  assert(typeof counter === 'number', `counter missing from ${JSON.stringify(credentials)}`)
  return counter
}

const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds))

export function webStorageSuite(api: StorageApi, setup: StorageSetup): Case[] {
  const { SecureCredentialStorage, PlaintextCredentialStorage, Fernet } = api
  const shared = setup.persistence === 'indexeddb'
  const options = (extra: Options = {}): Options => ({
    database: setup.newDatabase(),
    persistence: setup.persistence,
    ...extra,
  })

  const cases: Case[] = [
    {
      name: 'saves, loads and deletes credentials, keeping unknown fields',
      async run() {
        const storage = new SecureCredentialStorage(options())
        const credentials = sampleCredentials()

        assertEqual(await storage.loadCredentials(), null, 'empty storage loads null')
        assertEqual(await storage.credentialsExist(), false, 'empty storage has none')
        await storage.saveCredentials(credentials)
        assertEqual(await storage.credentialsExist(), true, 'saved credentials exist')
        assertJsonEqual(await storage.loadCredentials(), credentials, 'round trip')

        await storage.deleteCredentials()
        assertEqual(await storage.loadCredentials(), null, 'deleted credentials load null')
        assertEqual(await storage.credentialsExist(), false, 'deleted credentials are gone')
      },
    },
    {
      name: 'updates from many concurrent callers all take effect',
      async run() {
        const database = setup.newDatabase()
        const first = new SecureCredentialStorage({ database, persistence: setup.persistence })
        const second = shared
          ? new SecureCredentialStorage({ database, persistence: setup.persistence })
          : first
        await first.saveCredentials(sampleCredentials(0))

        const increment = (current: Record<string, unknown> | null) => ({
          ...current,
          counter: counterOf(current) + 1,
        })
        await Promise.all(
          Array.from({ length: 12 }, (_, index) =>
            (index % 2 ? first : second).updateCredentials(increment),
          ),
        )
        assertEqual(counterOf(await second.loadCredentials()), 12, 'every update counted')
      },
    },
    {
      name: 'an update sees null when nothing is stored, and its result is stored',
      async run() {
        const storage = new SecureCredentialStorage(options())
        let seen: unknown = 'not called'
        const result = await storage.updateCredentials((current) => {
          seen = current
          return sampleCredentials(7)
        })

        assertEqual(seen, null, 'update saw null')
        assertJsonEqual(await storage.loadCredentials(), result, 'result stored')
      },
    },
    {
      name: 'a failing or invalid update leaves the credentials as they were',
      async run() {
        const storage = new SecureCredentialStorage(options())
        const credentials = sampleCredentials(1)
        await storage.saveCredentials(credentials)

        const error = new Error('update refused')
        let thrown: unknown
        try {
          await storage.updateCredentials(() => {
            throw error
          })
        } catch (caughtError) {
          thrown = caughtError
        }
        assertEqual(thrown, error, 'the update’s own error comes back')
        await assertFailsWithType(
          () => storage.updateCredentials(() => [] as unknown as Record<string, unknown>),
          TypeError,
        )
        assertJsonEqual(await storage.loadCredentials(), credentials, 'unchanged')
      },
    },
    {
      name: 'an update recomputes when a write that ignored the lock came in between',
      async run() {
        const storage = new SecureCredentialStorage(options())
        await storage.saveCredentials(sampleCredentials(0))
        let calls = 0

        const result = await storage.updateCredentials(async (current) => {
          calls += 1
          // saveCredentials does not take the lock: it lands between this read and its write.
          if (calls === 1) await storage.saveCredentials({ ...current, counter: 100 })
          return { ...current, counter: counterOf(current) + 1 }
        })

        assertEqual(calls, 2, 'the update ran again on the newer credentials')
        assertEqual(counterOf(result), 101, 'result built on the concurrent write')
        assertEqual(counterOf(await storage.loadCredentials()), 101, 'nothing lost')
      },
    },
    {
      name: 'withLock lets load and save run inside and makes updates wait',
      async run() {
        const database = setup.newDatabase()
        const storage = new SecureCredentialStorage({ database, persistence: setup.persistence })
        const other = shared
          ? new SecureCredentialStorage({ database, persistence: setup.persistence })
          : storage
        await storage.saveCredentials(sampleCredentials(0))
        const order: string[] = []
        let pending: Promise<unknown> | undefined

        const inside = await storage.withLock(async () => {
          pending = other.updateCredentials((current) => {
            order.push('update')
            return { ...current, counter: counterOf(current) + 1 }
          })
          const loaded = await storage.loadCredentials()
          await storage.saveCredentials({ ...loaded, counter: 10 })
          // Room for the update to run, had the lock not held it back.
          await sleep(50)
          order.push('lock released')
          return 'inside'
        })
        await pending

        assertEqual(inside, 'inside', 'withLock returns the action’s result')
        assertEqual(order.join(), 'lock released,update', 'the update waited for the lock')
        assertEqual(counterOf(await storage.loadCredentials()), 11, 'both writes kept')
      },
    },
    {
      name: 'imports a downloaded credentials file, as text or object',
      async run() {
        const events: Event[] = []
        const storage = new SecureCredentialStorage(options({ onEvent: (e) => events.push(e) }))
        const credentials = sampleCredentials()

        await storage.importCredentials(JSON.stringify(credentials, null, 2))
        assertJsonEqual(await storage.loadCredentials(), credentials, 'text import')
        assert(
          events.some((event) => event.type === 'credentials.imported'),
          'an import event is reported',
        )

        const snakeCase = { aim_url: 'http://localhost:8080', refresh_token: 'r', user_id: 'u' }
        await storage.importCredentials(snakeCase)
        assertJsonEqual(await storage.loadCredentials(), snakeCase, 'object import')
      },
    },
    {
      name: 'refuses to import what is not a credentials file, keeping the stored ones',
      async run() {
        const storage = new SecureCredentialStorage(options())
        const credentials = sampleCredentials()
        await storage.saveCredentials(credentials)

        for (const bad of ['{"refreshToken": ', '[1, 2]', '{"aimUrl": "x"}', '"text"']) {
          const error = await assertFailsWithCode(
            () => storage.importCredentials(bad),
            'ERR_CREDENTIALS_CORRUPT',
          )
          assert(error.message.includes('sdk_credentials.json'), 'says what to do')
        }
        assertJsonEqual(await storage.loadCredentials(), credentials, 'unchanged')
      },
    },
    {
      name: 'reports events without secrets, and survives a listener that throws',
      async run() {
        const events: Event[] = []
        const storage = new SecureCredentialStorage(
          options({
            onEvent(event) {
              events.push(event)
              throw new Error('listener failure')
            },
          }),
        )
        const credentials = sampleCredentials()

        await storage.saveCredentials(credentials)
        await storage.loadCredentials()
        await storage.deleteCredentials()

        const types = events.map((event) => event.type)
        for (const type of ['key.created', 'credentials.saved', 'credentials.loaded']) {
          assert(types.includes(type as Event['type']), `${type} reported in ${types.join()}`)
        }
        assertEqual(types.at(-1), 'credentials.deleted', 'deletion reported last')
        assert(!JSON.stringify(events).includes(credentials.refreshToken as string), 'no secret')
        assert(
          events.every((event) => !Number.isNaN(Date.parse(event.time))),
          'events carry a time',
        )
      },
    },
    {
      name: 'uses an explicit key, which decrypts what it stored and nothing else',
      async run() {
        const key = Fernet.generateKey()
        const events: Event[] = []
        const storage = new SecureCredentialStorage(
          options({ key, onEvent: (event) => events.push(event) }),
        )
        const credentials = sampleCredentials()

        await storage.saveCredentials(credentials)
        assertJsonEqual(await storage.loadCredentials(), credentials, 'round trip')
        assertEqual((await storage.describeKeySource()).source, 'provided', 'key source')
        assert(
          events.every((event) => event.keySource === 'provided'),
          'events name the source',
        )
        assert(!JSON.stringify(events).includes(key), 'the key stays out of events')
        assert(!types(events).includes('key.created'), 'no key was created')

        const fernet = await Fernet.fromKey(key)
        const asInstance = new SecureCredentialStorage(options({ key: fernet }))
        await asInstance.saveCredentials(credentials)
        assertJsonEqual(await asInstance.loadCredentials(), credentials, 'Fernet instance key')
      },
    },
    {
      name: 'rejects a malformed key and options of the wrong type',
      async run() {
        for (const key of ['not a fernet key', Fernet.generateKey().slice(0, 40)]) {
          await assertFailsWithCode(
            () => new SecureCredentialStorage(options({ key })),
            'ERR_FERNET_INVALID_KEY',
          )
        }

        const wrong = [
          { database: '' },
          { persistence: 'cookies' },
          { key: 42 },
          { onEvent: 'log' },
        ] as unknown as Options[]
        for (const bad of wrong) {
          await assertFailsWithType(() => new SecureCredentialStorage(bad), TypeError)
        }
        const valid = new SecureCredentialStorage(options())
        await assertFailsWithType(
          () => valid.saveCredentials(null as unknown as Record<string, unknown>),
          TypeError,
        )
      },
    },
    {
      name: 'describes itself: key source, no migration, persistence request',
      async run() {
        const storage = new SecureCredentialStorage(options())
        const expected = setup.persistence === 'memory' ? 'memory' : 'indexeddb'

        assertJsonEqual(await storage.describeKeySource(), { source: expected }, 'key source')
        assertEqual(await storage.migrateToEncrypted(), false, 'nothing to migrate')
        const persisted = await storage.requestPersistence()
        assertEqual(typeof persisted, 'boolean', 'persistence answer')
        if (setup.persistence === 'memory') assertEqual(persisted, false, 'memory never persists')
        assertJsonEqual(await api.findPlaintextCredentialFiles(), [], 'no plaintext files')
      },
    },
    {
      name: 'the plaintext development storage saves, updates and deletes',
      async run() {
        const storage = new PlaintextCredentialStorage({
          database: setup.newDatabase(),
          persistence: setup.persistence,
        })
        const credentials = sampleCredentials(0)

        await storage.saveCredentials(credentials)
        assertJsonEqual(await storage.loadCredentials(), credentials, 'round trip')
        await Promise.all(
          Array.from({ length: 5 }, () =>
            storage.updateCredentials((current) => ({
              ...current,
              counter: counterOf(current) + 1,
            })),
          ),
        )
        assertEqual(counterOf(await storage.loadCredentials()), 5, 'updates counted')
        await storage.deleteCredentials()
        assertEqual(await storage.credentialsExist(), false, 'deleted')
      },
    },
  ]

  if (shared) cases.push(...sharedDatabaseCases(api, setup))
  if (!setup.indexedDb) cases.push(...unavailableCases(api, setup))
  return cases
}

function types(events: Event[]): string[] {
  return events.map((event) => event.type)
}

/** Cases where two storage objects share one IndexedDB database. */
function sharedDatabaseCases(api: StorageApi, setup: StorageSetup): Case[] {
  const { SecureCredentialStorage, Fernet } = api

  return [
    {
      name: 'storages racing to create the key end with one key',
      async run() {
        const database = setup.newDatabase()
        const events: Event[] = []
        const storages = Array.from(
          { length: 6 },
          () => new SecureCredentialStorage({ database, onEvent: (e) => events.push(e) }),
        )

        await Promise.all(storages.map((storage) => storage.saveCredentials(sampleCredentials())))
        const created = types(events).filter((type) => type === 'key.created')
        assertEqual(created.length, 1, 'exactly one key created')
        const loaded = await Promise.all(storages.map((storage) => storage.loadCredentials()))
        assert(
          loaded.every((credentials) => JSON.stringify(credentials) === JSON.stringify(loaded[0])),
          'every storage decrypts the same credentials',
        )
      },
    },
    {
      name: 'a different explicit key is told apart from damage',
      async run() {
        const database = setup.newDatabase()
        const saver = new SecureCredentialStorage({ database, key: Fernet.generateKey() })
        await saver.saveCredentials(sampleCredentials())

        const other = new SecureCredentialStorage({ database, key: Fernet.generateKey() })
        await assertFailsWithCode(() => other.loadCredentials(), 'ERR_KEY_MISMATCH')
        await assertFailsWithCode(
          () => other.updateCredentials((current) => ({ ...current })),
          'ERR_KEY_MISMATCH',
        )
        assert((await saver.loadCredentials()) !== null, 'the stored credentials are intact')
      },
    },
  ]
}

/** Cases for a runtime without IndexedDB (Node, Deno, Bun). */
function unavailableCases(api: StorageApi, setup: StorageSetup): Case[] {
  const { SecureCredentialStorage, PlaintextCredentialStorage, Fernet } = api

  return [
    {
      name: 'without IndexedDB, default storage fails with ERR_STORAGE_UNAVAILABLE',
      async run() {
        const database = setup.newDatabase()
        const secure = new SecureCredentialStorage({ database })
        const error = await assertFailsWithCode(
          () => secure.saveCredentials(sampleCredentials()),
          'ERR_STORAGE_UNAVAILABLE',
        )
        assert(error.message.includes("persistence: 'memory'"), 'the message gives the way out')
        await assertFailsWithCode(() => secure.loadCredentials(), 'ERR_STORAGE_UNAVAILABLE')

        const explicit = new SecureCredentialStorage({
          database,
          key: Fernet.generateKey(),
          persistence: 'indexeddb',
        })
        await assertFailsWithCode(() => explicit.loadCredentials(), 'ERR_STORAGE_UNAVAILABLE')

        const plaintext = new PlaintextCredentialStorage({ database })
        await assertFailsWithCode(() => plaintext.loadCredentials(), 'ERR_STORAGE_UNAVAILABLE')
      },
    },
    {
      name: 'without IndexedDB, an explicit key keeps the credentials in memory',
      async run() {
        const storage = new SecureCredentialStorage({
          database: setup.newDatabase(),
          key: Fernet.generateKey(),
        })
        const credentials = sampleCredentials()

        await storage.saveCredentials(credentials)
        assertJsonEqual(await storage.loadCredentials(), credentials, 'round trip in memory')
        assertEqual(await storage.requestPersistence(), false, 'memory does not persist')
      },
    },
  ]
}
