// Browser storage through the web entry in every Vitest project: real IndexedDB and Web Locks in
// Chromium, fake-indexeddb (and the page-local lock) in happy-dom, and no IndexedDB at all in
// Node, where the typed refusal and memory persistence are what is checked.

import { afterEach, describe, expect, it, vi } from 'vitest'

import * as web from '../src/web/index.ts'
import { IndexedDbRecords } from '../src/web/indexeddb.ts'
import { crossTabLock } from '../src/web/locks.ts'
import { sampleCredentials, webStorageSuite } from './suite/web-storage.suite.ts'

// happy-dom has no IndexedDB: it gets fake-indexeddb. Chromium keeps its own; Node stays without.
if (typeof window !== 'undefined' && typeof indexedDB === 'undefined') {
  // @ts-expect-error fake-indexeddb's `exports` map hides its declaration of this side-effect module.
  await import('fake-indexeddb/auto')
}
const hasIndexedDb = typeof indexedDB !== 'undefined'

let databaseCount = 0
const newDatabase = () => `aim-test-${Date.now().toString(36)}-${(databaseCount += 1)}`

describe('web storage in memory', () => {
  const setup = { persistence: 'memory', indexedDb: hasIndexedDb, newDatabase } as const
  for (const testCase of webStorageSuite(web, setup)) it(testCase.name, testCase.run)
})

describe.runIf(hasIndexedDb)('web storage in IndexedDB', () => {
  const setup = { persistence: 'indexeddb', indexedDb: true, newDatabase } as const
  for (const testCase of webStorageSuite(web, setup)) it(testCase.name, testCase.run)
})

/** Runs one request against a database's object store directly, as another script could. */
async function raw<T>(
  database: string,
  mode: IDBTransactionMode,
  operation: (store: IDBObjectStore) => IDBRequest<T>,
): Promise<T> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const request = indexedDB.open(database)
    request.onsuccess = () => resolve(request.result)
    request.onerror = () => reject(request.error)
  })
  try {
    return await new Promise<T>((resolve, reject) => {
      const transaction = db.transaction('credentials', mode)
      const request = operation(transaction.objectStore('credentials'))
      transaction.oncomplete = () => resolve(request.result)
      transaction.onerror = () => reject(transaction.error)
    })
  } finally {
    db.close()
  }
}

describe.runIf(hasIndexedDb)('the stored key and token', () => {
  it('are two non-extractable CryptoKeys that exportKey refuses', async () => {
    const database = newDatabase()
    await new web.SecureCredentialStorage({ database }).saveCredentials(sampleCredentials())

    const stored = await raw(database, 'readonly', (store) => store.get('fernet-key'))
    const { signingKey, encryptionKey } = stored as {
      signingKey: CryptoKey
      encryptionKey: CryptoKey
    }
    expect(signingKey).toBeInstanceOf(CryptoKey)
    expect(signingKey.algorithm).toMatchObject({ name: 'HMAC', length: 128 })
    expect(encryptionKey.algorithm).toMatchObject({ name: 'AES-CBC', length: 128 })
    for (const key of [signingKey, encryptionKey]) {
      expect(key.extractable).toBe(false)
      const refused = await crypto.subtle.exportKey('raw', key).catch((error: Error) => error)
      // Browsers name it InvalidAccessError; Node's WebCrypto under happy-dom says …Exception.
      expect((refused as Error).name).toMatch(/^InvalidAccess(Error|Exception)$/)
      await expect(crypto.subtle.exportKey('jwk', key)).rejects.toThrow()
    }
  })

  it('keep secrets out of localStorage, sessionStorage and cookies', async () => {
    const credentials = sampleCredentials()
    await new web.SecureCredentialStorage({ database: newDatabase() }).saveCredentials(credentials)

    expect(localStorage.length).toBe(0)
    expect(sessionStorage.length).toBe(0)
    expect(document.cookie).toBe('')
  })

  it('with an explicit key, the stored token is a Fernet token of the 2-space JSON', async () => {
    const database = newDatabase()
    const key = web.Fernet.generateKey()
    const credentials = sampleCredentials()
    await new web.SecureCredentialStorage({ database, key }).saveCredentials(credentials)

    const record = (await raw(database, 'readonly', (store) => store.get('credentials'))) as {
      token: string
    }
    expect(record.token).toMatch(/^gAAAAA[\w-]+=*$/)
    const plaintext = await (await web.Fernet.fromKey(key)).decrypt(record.token)
    expect(new TextDecoder().decode(plaintext)).toBe(JSON.stringify(credentials, null, 2))
  })

  it('a lost key gives ERR_KEY_LOST, and an import recovers', async () => {
    const database = newDatabase()
    const events: web.SecurityEvent[] = []
    const storage = new web.SecureCredentialStorage({ database, onEvent: (e) => events.push(e) })
    await storage.saveCredentials(sampleCredentials())

    await raw(database, 'readwrite', (store) => store.delete('fernet-key'))
    const lost = await storage.loadCredentials().catch((error: unknown) => error)
    expect(lost).toMatchObject({ code: 'ERR_KEY_LOST' })
    expect((lost as Error).message).toMatch(/import the credentials again/i)
    await expect(storage.updateCredentials((c) => ({ ...c }))).rejects.toMatchObject({
      code: 'ERR_KEY_LOST',
    })
    expect(await storage.credentialsExist()).toBe(true)

    const fresh = sampleCredentials()
    await storage.importCredentials(JSON.stringify(fresh))
    expect(await storage.loadCredentials()).toEqual(fresh)
    expect(events.filter((event) => event.type === 'key.created')).toHaveLength(2)
  })

  it('a replaced key is reported as lost, not as a crypto failure', async () => {
    const database = newDatabase()
    await new web.SecureCredentialStorage({ database }).saveCredentials(sampleCredentials())

    const other = newDatabase()
    await new web.SecureCredentialStorage({ database: other }).saveCredentials(sampleCredentials())
    const otherKey = await raw(other, 'readonly', (store) => store.get('fernet-key'))
    await raw(database, 'readwrite', (store) => store.put(otherKey, 'fernet-key'))

    await expect(
      new web.SecureCredentialStorage({ database }).loadCredentials(),
    ).rejects.toMatchObject({ code: 'ERR_KEY_LOST' })
  })

  it('a tampered token gives ERR_CREDENTIALS_CORRUPT and stays as it was', async () => {
    const database = newDatabase()
    const storage = new web.SecureCredentialStorage({ database })
    await storage.saveCredentials(sampleCredentials())

    const record = (await raw(database, 'readonly', (store) => store.get('credentials'))) as {
      token: string
    }
    const flipped = record.token.startsWith('gAAAAAB') ? 'gAAAAAC' : 'gAAAAAB'
    const tampered = { ...record, token: flipped + record.token.slice(7) }
    await raw(database, 'readwrite', (store) => store.put(tampered, 'credentials'))

    await expect(storage.loadCredentials()).rejects.toMatchObject({
      code: 'ERR_CREDENTIALS_CORRUPT',
    })
    expect(await raw(database, 'readonly', (store) => store.get('credentials'))).toEqual(tampered)

    await raw(database, 'readwrite', (store) => store.put({ token: 42 }, 'credentials'))
    await expect(storage.loadCredentials()).rejects.toMatchObject({
      code: 'ERR_CREDENTIALS_CORRUPT',
    })
  })

  it('does not block another tab deleting the database, and starts afresh after', async () => {
    const database = newDatabase()
    const storage = new web.SecureCredentialStorage({ database })
    await storage.saveCredentials(sampleCredentials())

    await new Promise<void>((resolve, reject) => {
      const request = indexedDB.deleteDatabase(database)
      request.onsuccess = () => resolve()
      request.onerror = () => reject(request.error)
      request.onblocked = () => reject(new Error('the storage kept the database open'))
    })
    expect(await storage.loadCredentials()).toBeNull()
    await storage.saveCredentials(sampleCredentials())
    expect(await storage.credentialsExist()).toBe(true)
  })
})

describe.runIf(hasIndexedDb)('IndexedDB failures', () => {
  it('a newer database of the same name fails with ERR_STORAGE_FAILED', async () => {
    const database = newDatabase()
    await new Promise<void>((resolve) => {
      const request = indexedDB.open(database, 5)
      request.onsuccess = () => {
        request.result.close()
        resolve()
      }
    })

    const storage = new web.PlaintextCredentialStorage({ database })
    await expect(storage.loadCredentials()).rejects.toMatchObject({ code: 'ERR_STORAGE_FAILED' })
  })

  it('an open that never answers fails with ERR_STORAGE_TIMEOUT', async () => {
    const database = newDatabase()
    const holder = await new Promise<IDBDatabase>((resolve) => {
      const request = indexedDB.open(database, 1)
      request.onupgradeneeded = () => request.result.createObjectStore('credentials')
      request.onsuccess = () => resolve(request.result)
    })
    // A connection that ignores versionchange keeps the deletion pending; opens queue behind it.
    holder.onversionchange = null
    const deletion = indexedDB.deleteDatabase(database)

    const records = new IndexedDbRecords(database, 200)
    await expect(records.read('credentials')).rejects.toMatchObject({
      code: 'ERR_STORAGE_TIMEOUT',
    })
    holder.close()
    await new Promise((resolve) => {
      deletion.onsuccess = resolve
    })
  })

  it('a transaction kept waiting fails with ERR_STORAGE_TIMEOUT', async () => {
    const database = newDatabase()
    const records = new IndexedDbRecords(database, 200)
    await records.change('credentials', () => ({ value: 1, result: undefined }))

    const db = await new Promise<IDBDatabase>((resolve) => {
      const request = indexedDB.open(database)
      request.onsuccess = () => resolve(request.result)
    })
    // A readwrite transaction kept alive by a chain of requests holds the store for ~1 s.
    const busy = db.transaction('credentials', 'readwrite')
    const until = Date.now() + 1000
    const keepBusy = () => {
      if (Date.now() < until) busy.objectStore('credentials').get('x').onsuccess = keepBusy
    }
    keepBusy()

    await expect(
      records.change('credentials', () => ({ value: 2, result: undefined })),
    ).rejects.toMatchObject({ code: 'ERR_STORAGE_TIMEOUT' })
    await new Promise((resolve) => {
      busy.oncomplete = resolve
    })
    db.close()
  })

  it('a database of another application fails with ERR_STORAGE_FAILED', async () => {
    const database = newDatabase()
    await new Promise<void>((resolve) => {
      const request = indexedDB.open(database, 1)
      request.onupgradeneeded = () => request.result.createObjectStore('something-else')
      request.onsuccess = () => {
        request.result.close()
        resolve()
      }
    })

    const storage = new web.SecureCredentialStorage({ database })
    const error = await storage.loadCredentials().catch((failure: unknown) => failure)
    expect(error).toMatchObject({ code: 'ERR_STORAGE_FAILED' })
    expect((error as Error).message).toMatch(/another application/)
  })
})

describe('IndexedDB that refuses to open', () => {
  afterEach(() => {
    vi.unstubAllGlobals()
  })

  it('gives ERR_STORAGE_UNAVAILABLE, unless an explicit key lets memory take over', async () => {
    vi.stubGlobal('indexedDB', {
      open() {
        throw new DOMException('The user denied storage', 'SecurityError')
      },
    })

    const secure = new web.SecureCredentialStorage({ database: newDatabase() })
    const error = await secure.loadCredentials().catch((failure: unknown) => failure)
    expect(error).toMatchObject({ code: 'ERR_STORAGE_UNAVAILABLE' })
    expect((error as Error).message).toMatch(/refused to open .*SecurityError/)
    expect((error as Error).cause).toBeInstanceOf(DOMException)

    const key = web.Fernet.generateKey()
    const withKey = new web.SecureCredentialStorage({ database: newDatabase(), key })
    const credentials = sampleCredentials()
    await withKey.saveCredentials(credentials)
    expect(await withKey.loadCredentials()).toEqual(credentials)

    const insisting = new web.SecureCredentialStorage({ key, persistence: 'indexeddb' })
    await expect(insisting.loadCredentials()).rejects.toMatchObject({
      code: 'ERR_STORAGE_UNAVAILABLE',
    })
  })
})

describe('the credentials lock', () => {
  it('fails with ERR_LOCK_TIMEOUT while another holder keeps it, then works again', async () => {
    const name = `aim-credentials:${newDatabase()}`
    let release!: () => void
    const held = crossTabLock(name).run(() => new Promise<void>((resolve) => (release = resolve)))

    await expect(crossTabLock(name, 100).run(async () => 'never')).rejects.toMatchObject({
      code: 'ERR_LOCK_TIMEOUT',
    })
    release()
    await held
    expect(await crossTabLock(name, 1000).run(async () => 'acquired')).toBe('acquired')
  })
})

describe.runIf(hasIndexedDb)('several records in one database', () => {
  it('share its key, keep their own contents, and refuse the reserved names', async () => {
    const database = newDatabase()
    const sdk = new web.SecureCredentialStorage({ database })
    const agent = new web.SecureCredentialStorage({ database, path: 'agents/report_bot' })
    await sdk.saveCredentials({ refreshToken: 'sdk' })
    await agent.saveCredentials({ agent_id: 'a-1' })

    expect(await sdk.loadCredentials()).toEqual({ refreshToken: 'sdk' })
    expect(await agent.loadCredentials()).toEqual({ agent_id: 'a-1' })
    const keys = await raw(database, 'readonly', (store) => store.getAllKeys())
    expect(keys.sort()).toEqual(['agents/report_bot', 'credentials', 'fernet-key'])

    await agent.deleteCredentials()
    expect(await sdk.loadCredentials()).toEqual({ refreshToken: 'sdk' })
    for (const path of ['fernet-key', 'agent-key/x', '']) {
      expect(() => new web.SecureCredentialStorage({ database, path })).toThrow(TypeError)
    }
  })
})
