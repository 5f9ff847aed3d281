// In real Chromium: an agent key generated as a non-extractable WebCrypto key, kept in IndexedDB,
// read back from a fresh browsing context (a new same-origin frame, with its own JavaScript realm
// and WebCrypto), and used to sign again; the key bytes never become readable.

import { describe, expect, it } from 'vitest'

import { AgentIdentity, actionSignatureMessage } from '../../src/web/index.ts'

const DATABASE = 'aim-agent-persistence-test'
const STORE = 'agents'

interface StoredAgent {
  privateKey: CryptoKey
  publicKey: string
}

function request<T>(operation: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    operation.onsuccess = () => resolve(operation.result)
    operation.onerror = () => reject(operation.error)
  })
}

async function openDatabase(factory: IDBFactory): Promise<IDBDatabase> {
  const opening = factory.open(DATABASE, 1)
  opening.onupgradeneeded = () => opening.result.createObjectStore(STORE)
  return request(opening)
}

async function saveAgent(name: string, agent: StoredAgent): Promise<void> {
  const database = await openDatabase(indexedDB)
  const transaction = database.transaction(STORE, 'readwrite')
  transaction.objectStore(STORE).put(agent, name)
  await new Promise((resolve, reject) => {
    transaction.oncomplete = resolve
    transaction.onerror = () => reject(transaction.error)
  })
  database.close()
}

/** Reads the agent through another window's IndexedDB, so it is deserialised in that realm. */
async function loadAgentIn(frame: Window, name: string): Promise<StoredAgent> {
  const database = await openDatabase(frame.indexedDB)
  const stored = await request(database.transaction(STORE).objectStore(STORE).get(name))
  database.close()
  return stored as StoredAgent
}

async function freshFrame(): Promise<Window> {
  const frame = document.createElement('iframe')
  document.body.append(frame)
  return frame.contentWindow!
}

function toBytes(base64: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(atob(base64), (char) => char.charCodeAt(0))
}

describe('Agent key persistence in Chromium', () => {
  it('keeps a non-extractable key in IndexedDB and signs with it again after re-reading', async () => {
    const identity = await AgentIdentity.generate()
    expect(identity.cryptoKey).toBeDefined()
    expect(identity.cryptoKey!.extractable).toBe(false)
    await saveAgent('agent-1', { privateKey: identity.cryptoKey!, publicKey: identity.publicKey })

    const frame = await freshFrame()
    const stored = await loadAgentIn(frame, 'agent-1')
    expect(stored.privateKey).toBeInstanceOf((frame as unknown as typeof globalThis).CryptoKey)
    expect(stored.privateKey.extractable).toBe(false)
    await expect(frame.crypto.subtle.exportKey('jwk', stored.privateKey)).rejects.toThrow()

    const action = {
      agentId: 'agent-1',
      actionType: 'read',
      context: { é: '😀' },
      timestamp: '2026-01-02T03:04:05Z',
    }
    const message = new TextEncoder().encode(actionSignatureMessage(action))
    const signedInFrame = await frame.crypto.subtle.sign('Ed25519', stored.privateKey, message)
    const publicKey = await crypto.subtle.importKey(
      'raw',
      toBytes(stored.publicKey),
      'Ed25519',
      true,
      ['verify'],
    )
    expect(await crypto.subtle.verify('Ed25519', publicKey, signedInFrame, message)).toBe(true)

    // The restored key also works through the library, and Ed25519 signatures are deterministic.
    const ownRealm = await loadAgentIn(window, 'agent-1')
    const restored = await AgentIdentity.fromCryptoKey(ownRealm.privateKey, ownRealm.publicKey)
    const signature = await restored.signAction(action)
    expect(signature).toBe(await identity.signAction(action))
    expect(toBytes(signature)).toEqual(new Uint8Array(signedInFrame))
    await expect(restored.exportPrivateKey()).rejects.toBeInstanceOf(TypeError)
  })
})
