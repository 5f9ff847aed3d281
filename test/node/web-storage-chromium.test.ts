// Browser storage in real Chromium, driven by Playwright with several pages of one origin: what a
// single Vitest browser page cannot show. Keys survive a reload and cannot be exported, pages
// racing to create the key end with one, concurrent updates from several pages all land, a
// withLock in one page holds back the others, and tokens interoperate with Python's Fernet.

import { spawnSync } from 'node:child_process'

import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect } from 'vitest'

import { CHROMIUM_ARGS } from '../../vite.config.ts'
import { itWith, PYTHON, pythonCryptography, CHROMIUM, chromiumBrowser } from './components.ts'
import { serveWebEntry, type EntryPageServer } from './web-bundle.ts'

const withChromium = itWith(chromiumBrowser)
const withChromiumAndPython = itWith({
  ...pythonCryptography,
  available: pythonCryptography.available && chromiumBrowser.available,
})

let server: EntryPageServer | undefined
let origin = ''
let browser: Browser | undefined
let context: BrowserContext

beforeAll(async () => {
  if (!chromiumBrowser.available) return
  server = await serveWebEntry()
  origin = server.origin
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
  context = await browser.newContext()
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await server?.close()
})

async function openPage(): Promise<Page> {
  const page = await context.newPage()
  await page.goto(origin)
  await page.waitForFunction(() => window.aimReady === true)
  return page
}

async function openPages(count: number): Promise<Page[]> {
  return Promise.all(Array.from({ length: count }, () => openPage()))
}

let databaseCount = 0
const newDatabase = () => `aim-chromium-${Date.now().toString(36)}-${(databaseCount += 1)}`

describe('browser storage across pages of one origin, in Chromium', () => {
  withChromium('keeps the key and credentials across a reload and in a new page', async () => {
    const database = newDatabase()
    const page = await openPage()
    const credentials = { refreshToken: 'r-reload', aimUrl: 'http://localhost:8080', n: 1 }

    await page.evaluate(
      ([database, credentials]) =>
        new window.aim.SecureCredentialStorage({ database }).saveCredentials(credentials),
      [database, credentials] as const,
    )
    await page.reload()
    await page.waitForFunction(() => window.aimReady === true)

    const afterReload = await page.evaluate(async (database) => {
      const events: string[] = []
      const storage = new window.aim.SecureCredentialStorage({
        database,
        onEvent: (event) => events.push(event.type),
      })
      return { credentials: await storage.loadCredentials(), events }
    }, database)
    expect(afterReload.credentials).toEqual(credentials)
    expect(afterReload.events).toContain('key.loaded')
    expect(afterReload.events).not.toContain('key.created')

    const other = await openPage()
    const inNewPage = await other.evaluate(
      (database) => new window.aim.SecureCredentialStorage({ database }).loadCredentials(),
      database,
    )
    expect(inNewPage).toEqual(credentials)
    await Promise.all([page.close(), other.close()])
  })

  withChromium('stores keys that exportKey refuses, after a reload too', async () => {
    const database = newDatabase()
    const page = await openPage()
    await page.evaluate(
      (database) =>
        new window.aim.SecureCredentialStorage({ database }).saveCredentials({ refreshToken: 'r' }),
      database,
    )
    await page.reload()
    await page.waitForFunction(() => window.aimReady === true)

    const outcome = await page.evaluate(async (database) => {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const request = indexedDB.open(database)
        request.onsuccess = () => resolve(request.result)
        request.onerror = () => reject(request.error)
      })
      const stored = await new Promise<{ signingKey: CryptoKey; encryptionKey: CryptoKey }>(
        (resolve) => {
          const request = db.transaction('credentials').objectStore('credentials').get('fernet-key')
          request.onsuccess = () => resolve(request.result)
        },
      )
      db.close()

      const refusals: string[] = []
      for (const key of [stored.signingKey, stored.encryptionKey]) {
        for (const format of ['raw', 'jwk'] as const) {
          refusals.push(
            await crypto.subtle.exportKey(format, key).then(
              () => 'exported',
              (error: Error) => error.name,
            ),
          )
        }
      }
      return {
        extractable: [stored.signingKey.extractable, stored.encryptionKey.extractable],
        algorithms: [stored.signingKey.algorithm.name, stored.encryptionKey.algorithm.name],
        refusals,
      }
    }, database)

    expect(outcome.extractable).toEqual([false, false])
    expect(outcome.algorithms).toEqual(['HMAC', 'AES-CBC'])
    expect(outcome.refusals).toEqual(Array(4).fill('InvalidAccessError'))
    await page.close()
  })

  withChromium('pages racing to create the key end with one key', async () => {
    const database = newDatabase()
    const pages = await openPages(4)

    // Every page starts at the same moment (one clock for all pages), not as each call arrives.
    const startAt = Date.now() + 500
    const results = await Promise.all(
      pages.map((page, index) =>
        page.evaluate(
          async ([database, index, startAt]) => {
            const events: string[] = []
            const storage = new window.aim.SecureCredentialStorage({
              database,
              onEvent: (event) => events.push(event.type),
            })
            await new Promise((resolve) => setTimeout(resolve, startAt - Date.now()))
            await storage.saveCredentials({ refreshToken: `r-${index}`, page: index })
            return events
          },
          [database, index, startAt] as const,
        ),
      ),
    )
    const created = results.flat().filter((type) => type === 'key.created')
    expect(created).toHaveLength(1)

    // Had two keys been made, a page whose key lost would fail to decrypt the last writer's token.
    const loaded = await Promise.all(
      pages.map((page) =>
        page.evaluate(
          (database) => new window.aim.SecureCredentialStorage({ database }).loadCredentials(),
          database,
        ),
      ),
    )
    expect(new Set(loaded.map((credentials) => JSON.stringify(credentials))).size).toBe(1)
    await Promise.all(pages.map((page) => page.close()))
  })

  withChromium('concurrent updates from several pages all land', async () => {
    const database = newDatabase()
    const pages = await openPages(4)
    const perPage = 12
    await pages[0]!.evaluate(
      (database) =>
        new window.aim.SecureCredentialStorage({ database }).saveCredentials({
          refreshToken: 'r',
          updates: [],
        }),
      database,
    )

    await Promise.all(
      pages.map((page, index) =>
        page.evaluate(
          async ([database, index, perPage]) => {
            const storage = new window.aim.SecureCredentialStorage({ database })
            await Promise.all(
              Array.from({ length: perPage }, (_, step) =>
                storage.updateCredentials((current) => ({
                  ...current,
                  updates: [...(current?.updates as string[]), `${index}:${step}`],
                })),
              ),
            )
          },
          [database, index, perPage] as const,
        ),
      ),
    )

    const final = await pages[0]!.evaluate(
      (database) => new window.aim.SecureCredentialStorage({ database }).loadCredentials(),
      database,
    )
    const updates = final?.updates as string[]
    expect(updates).toHaveLength(pages.length * perPage)
    expect(new Set(updates).size).toBe(pages.length * perPage)
    await Promise.all(pages.map((page) => page.close()))
  })

  withChromium('withLock in one page holds back updates from another', async () => {
    const database = newDatabase()
    const [holder, waiter] = await openPages(2)
    await holder!.evaluate(
      (database) =>
        new window.aim.SecureCredentialStorage({ database }).saveCredentials({ refreshToken: 'r' }),
      database,
    )

    await holder!.evaluate((database) => {
      const storage = new window.aim.SecureCredentialStorage({ database })
      let release!: () => void
      const released = new Promise<void>((resolve) => (release = resolve))
      Object.assign(window, { release })
      return new Promise<void>((locked) => {
        void storage.withLock(async () => {
          locked()
          await released
          await storage.saveCredentials({ refreshToken: 'r', holder: 'done' })
        })
      })
    }, database)

    const update = waiter!.evaluate(
      (database) =>
        new window.aim.SecureCredentialStorage({ database }).updateCredentials((current) => ({
          ...current,
          waiterSaw: current?.holder ?? 'nothing',
        })),
      database,
    )
    // Let the other page queue up behind the lock before releasing it.
    await new Promise((resolve) => setTimeout(resolve, 300))
    await holder!.evaluate(() => (window as unknown as { release: () => void }).release())

    expect(await update).toMatchObject({ holder: 'done', waiterSaw: 'done' })
    await Promise.all([holder!.close(), waiter!.close()])
  })
})

/** Runs Python's `cryptography` Fernet: `fernet(key).encrypt/decrypt(...)` on JSON lines. */
function python(script: string, input: unknown): unknown {
  const result = spawnSync(PYTHON, ['-c', script], {
    input: JSON.stringify(input),
    encoding: 'utf8',
  })
  if (result.status !== 0) throw new Error(`python failed: ${result.stderr}`)
  return JSON.parse(result.stdout)
}

const PYTHON_ENCRYPT = `
import json, sys
from cryptography.fernet import Fernet
request = json.load(sys.stdin)
key = Fernet.generate_key()
token = Fernet(key).encrypt(json.dumps(request, indent=2).encode())
print(json.dumps({"key": key.decode(), "token": token.decode()}))
`
const PYTHON_DECRYPT = `
import json, sys
from cryptography.fernet import Fernet
request = json.load(sys.stdin)
print(json.dumps(Fernet(request["key"].encode()).decrypt(request["token"].encode()).decode()))
`

describe('tokens shared with Python cryptography, in Chromium', () => {
  withChromiumAndPython('a token Python made with a known key decrypts through `key`', async () => {
    const credentials = { refresh_token: 'r-python', aim_url: 'http://localhost:8080', é: 'ü' }
    const { key, token } = python(PYTHON_ENCRYPT, credentials) as { key: string; token: string }
    const database = newDatabase()
    const page = await openPage()

    const loaded = await page.evaluate(
      async ([database, key, token]) => {
        const storage = new window.aim.SecureCredentialStorage({ database, key })
        await storage.credentialsExist() // creates the database
        const db = await new Promise<IDBDatabase>((resolve) => {
          const request = indexedDB.open(database)
          request.onsuccess = () => resolve(request.result)
        })
        // The stored layout: the token and a revision, as if an earlier save had put it there.
        await new Promise((resolve) => {
          const transaction = db.transaction('credentials', 'readwrite')
          transaction.objectStore('credentials').put({ token, revision: 'python' }, 'credentials')
          transaction.oncomplete = resolve
        })
        db.close()
        return storage.loadCredentials()
      },
      [database, key, token] as const,
    )
    expect(loaded).toEqual(credentials)
    await page.close()
  })

  withChromiumAndPython('Python decrypts the token saved with an explicit key', async () => {
    const { key } = python(PYTHON_ENCRYPT, {}) as { key: string }
    const credentials = { refreshToken: 'r-browser', aimUrl: 'http://localhost:8080' }
    const database = newDatabase()
    const page = await openPage()

    const token = await page.evaluate(
      async ([database, key, credentials]) => {
        await new window.aim.SecureCredentialStorage({ database, key }).saveCredentials(credentials)
        const db = await new Promise<IDBDatabase>((resolve) => {
          const request = indexedDB.open(database)
          request.onsuccess = () => resolve(request.result)
        })
        const record = await new Promise<{ token: string }>((resolve) => {
          const request = db
            .transaction('credentials')
            .objectStore('credentials')
            .get('credentials')
          request.onsuccess = () => resolve(request.result)
        })
        db.close()
        return record.token
      },
      [database, key, credentials] as const,
    )
    expect(python(PYTHON_DECRYPT, { key, token })).toBe(JSON.stringify(credentials, null, 2))
    await page.close()
  })
})
