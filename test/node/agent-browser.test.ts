// The web entry's agent side in real Chromium against the demo AIM server: an agent registered
// with the page's session, its record encrypted in IndexedDB, actions verified before and after a
// page reload; and an agent key generated as a non-extractable CryptoKey, kept in IndexedDB
// across a reload, signing a request the server verifies.

import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect } from 'vitest'

import { CHROMIUM_ARGS } from '../../vite.config.ts'
import { startAimServer, type AimServer } from '../../demo/server/index.ts'
import { itWith, CHROMIUM, chromiumBrowser } from './components.ts'
import { serveWebEntry, type EntryPageServer } from './web-bundle.ts'

const withChromium = itWith(chromiumBrowser)

let pageServer: EntryPageServer | undefined
let aimServer: AimServer | undefined
let browser: Browser | undefined
let origin = ''

beforeAll(async () => {
  if (!chromiumBrowser.available) return

  pageServer = await serveWebEntry()
  origin = pageServer.origin

  aimServer = await startAimServer()
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await aimServer?.close()
  await pageServer?.close()
})

async function ready(page: Page): Promise<void> {
  await page.waitForFunction(() => window.aimReady === true)
}

/** Every value stored in an IndexedDB database, as text, to look for plaintext secrets. */
async function databaseText(page: Page, database: string): Promise<string> {
  return page.evaluate(async (name) => {
    const open = indexedDB.open(name)
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      open.onsuccess = () => resolve(open.result)
      open.onerror = () => reject(open.error)
    })
    const texts: string[] = []
    for (const storeName of Array.from(db.objectStoreNames)) {
      const all = db.transaction(storeName).objectStore(storeName).getAll()
      const values = await new Promise<unknown[]>(
        (resolve) => (all.onsuccess = () => resolve(all.result)),
      )
      texts.push(JSON.stringify(values))
    }
    db.close()
    return texts.join('\n')
  }, database)
}

describe('Agents in Chromium with the demo AIM server', () => {
  withChromium(
    'registers with the session, verifies actions, and again after a reload',
    async () => {
      const page = await (await browser!.newContext()).newPage()
      await page.goto(origin)
      await ready(page)
      const credentials = await aimServer!.issueSdkCredentials()

      const first = await page.evaluate(async (credentials) => {
        const storage = new window.aim.SecureCredentialStorage({ database: 'aim-sdk' })
        await storage.saveCredentials(credentials)
        const client = new window.aim.AimClient({
          tokens: new window.aim.TokenManager({ storage }),
        })
        const agent = await client.registerAgent({ name: 'browser agent' })
        const approved = await client.verifyAction(agent.identity, {
          agentId: agent.agentId,
          actionType: 'read_page',
          context: { title: 'Grüße 😀', tags: ['a', 'b'], count: 3 },
        })
        const denied = await client.verifyAction(agent.identity, {
          agentId: agent.agentId,
          actionType: 'deny_export',
        })
        await client.reportActionResult(approved.id, { result: 'success' })
        const privateKey = await agent.identity
          .exportPrivateKey()
          .catch((error: Error) => error.name)
        return {
          agentId: agent.agentId,
          publicKey: agent.publicKey,
          approved: approved.status,
          denied: denied.status,
          privateKey,
        }
      }, credentials)

      expect(first).toMatchObject({
        approved: 'approved',
        denied: 'denied',
        privateKey: 'TypeError',
      })
      // The record is a Fernet token beside the SDK credentials, under the same key; the private
      // key is a non-extractable CryptoKey beside it, never in the record.
      const stored = await databaseText(page, 'aim-sdk')
      expect(stored).toMatch(/"gAAAAA[\w-]+=*"/)
      expect(stored).not.toContain('private_key')
      const kept = await page.evaluate(async () => {
        const open = indexedDB.open('aim-sdk')
        const db = await new Promise<IDBDatabase>(
          (resolve) => (open.onsuccess = () => resolve(open.result)),
        )
        const read = db
          .transaction('credentials')
          .objectStore('credentials')
          .get('agent-key/browser_agent')
        const record = await new Promise<{ privateKey: CryptoKey }>(
          (resolve) => (read.onsuccess = () => resolve(read.result)),
        )
        db.close()
        const exported = await crypto.subtle.exportKey('pkcs8', record.privateKey).then(
          () => 'exported',
          (error: Error) => error.name,
        )
        return { extractable: record.privateKey.extractable, exported }
      })
      expect(kept).toEqual({ extractable: false, exported: 'InvalidAccessError' })

      await page.reload()
      await ready(page)
      const second = await page.evaluate(async () => {
        const storage = new window.aim.SecureCredentialStorage({ database: 'aim-sdk' })
        const client = new window.aim.AimClient({
          tokens: new window.aim.TokenManager({ storage }),
        })
        const agent = await client.loadAgent('browser agent')
        if (!agent) return undefined
        const verdict = await client.verifyAction(agent.identity, {
          agentId: agent.agentId,
          actionType: 'read_again',
        })
        return { agentId: agent.agentId, status: verdict.status }
      })
      expect(second).toEqual({ agentId: first.agentId, status: 'approved' })
    },
  )

  withChromium(
    'keeps a non-extractable agent key across a reload and signs with it again',
    async () => {
      const page = await (await browser!.newContext()).newPage()
      await page.goto(origin)
      await ready(page)

      // The server registers the key as a session agent; the page keeps it as a CryptoKey.
      const credentials = await aimServer!.issueSdkCredentials()
      const agent = await page.evaluate(async (credentials) => {
        const { AgentIdentity, SecureCredentialStorage, TokenManager } = window.aim
        const storage = new SecureCredentialStorage({ database: 'aim-sdk' })
        await storage.saveCredentials(credentials)
        const identity = await AgentIdentity.generate()
        const response = await new TokenManager({ storage }).fetch('/api/v1/agents', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            name: 'kept-key',
            agentType: 'custom',
            publicKey: identity.publicKey,
          }),
        })
        const { id } = (await response.json()) as { id: string }

        const db = await new Promise<IDBDatabase>((resolve) => {
          const open = indexedDB.open('agent-keys', 1)
          open.onupgradeneeded = () => open.result.createObjectStore('keys')
          open.onsuccess = () => resolve(open.result)
        })
        const put = db.transaction('keys', 'readwrite').objectStore('keys')
        put.put({ privateKey: identity.cryptoKey, publicKey: identity.publicKey, id }, 'kept-key')
        await new Promise((done) => (put.transaction.oncomplete = done))
        db.close()
        return { id, publicKey: identity.publicKey, extractable: identity.cryptoKey?.extractable }
      }, credentials)
      expect(agent.extractable).toBe(false)

      await page.reload()
      await ready(page)
      const pingUrl = `${aimServer!.url}/api/v1/agents/${agent.id}/ping?after=reload`
      const afterReload = await page.evaluate(async (url) => {
        const db = await new Promise<IDBDatabase>((resolve) => {
          const open = indexedDB.open('agent-keys', 1)
          open.onsuccess = () => resolve(open.result)
        })
        const get = db.transaction('keys').objectStore('keys').get('kept-key')
        const saved = await new Promise<{ privateKey: CryptoKey; publicKey: string; id: string }>(
          (resolve) => (get.onsuccess = () => resolve(get.result)),
        )
        db.close()

        const exportRefused = await crypto.subtle.exportKey('jwk', saved.privateKey).then(
          () => false,
          () => true,
        )
        const identity = await window.aim.AgentIdentity.fromCryptoKey(
          saved.privateKey,
          saved.publicKey,
        )
        const body = JSON.stringify({ hello: 'again' })
        const headers = await identity.signRequest({ agentId: saved.id, method: 'POST', url, body })
        const response = await fetch(url, { method: 'POST', body, headers })
        return { status: response.status, exportRefused, publicKey: identity.publicKey }
      }, pingUrl)

      expect(afterReload).toEqual({ status: 200, exportRefused: true, publicKey: agent.publicKey })
    },
  )

  withChromium(
    'imports a server-issued key into a non-extractable CryptoKey and stores no key bytes',
    async () => {
      const page = await (await browser!.newContext()).newPage()
      await page.goto(origin)
      await ready(page)
      const server = { aimUrl: aimServer!.url, apiKey: aimServer!.apiKeys[0]! }

      const first = await page.evaluate(async (server) => {
        const client = new window.aim.AimClient(server)
        const agent = await client.registerAgent({ name: 'issued agent' })
        const exported = await agent.identity.exportPrivateKey().then(
          () => 'exported',
          (error: Error) => error.name,
        )
        return { agentId: agent.agentId, exported }
      }, server)
      expect(first.exported).toBe('TypeError')

      const stored = await databaseText(page, 'aim-sdk')
      expect(stored).toMatch(/"gAAAAA[\w-]+=*"/)
      expect(stored).not.toContain('private_key')

      await page.reload()
      await ready(page)
      const second = await page.evaluate(async (server) => {
        const client = new window.aim.AimClient(server)
        const agent = await client.loadAgent('issued agent')
        if (!agent) return undefined
        const extractable = agent.identity.cryptoKey?.extractable
        const verdict = await client.verifyAction(agent.identity, {
          agentId: agent.agentId,
          actionType: 'read_issued',
        })
        return { agentId: agent.agentId, extractable, status: verdict.status }
      }, server)
      expect(second).toEqual({ agentId: first.agentId, extractable: false, status: 'approved' })
    },
  )
})
