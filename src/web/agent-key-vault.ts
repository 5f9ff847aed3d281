// Agents' private keys as non-extractable WebCrypto `CryptoKey`s in IndexedDB, kept by structured
// clone beside the encrypted agent record: the key bytes never exist in JavaScript, not even
// inside a Fernet token.

import type { AgentIdentity } from '../core/agent-identity.ts'
import type { AgentKeyVault } from '../core/aim-client-runtime.ts'
import { hasIndexedDb, IndexedDbRecords } from './indexeddb.ts'

/** The stored form: the private `CryptoKey` itself, and the public key it pairs with. */
interface StoredAgentKey {
  privateKey: CryptoKey
  publicKey: string
}

function isStoredAgentKey(value: unknown): value is StoredAgentKey {
  const stored = value as Partial<StoredAgentKey> | undefined
  return stored?.privateKey instanceof CryptoKey && typeof stored.publicKey === 'string'
}

/**
 * A vault in the IndexedDB database `database`, record `agent-key/<safe_name>`. Where there is
 * no IndexedDB (Deno, Bun, some workers) it keeps nothing, and agents' keys stay inside their
 * encrypted records instead.
 */
export function indexedDbAgentKeys(
  identity: typeof AgentIdentity,
  database: string,
): AgentKeyVault {
  let records: IndexedDbRecords | undefined
  const open = () => (records ??= new IndexedDbRecords(database))

  return {
    async save(safeName, agent) {
      const privateKey = agent.cryptoKey
      if (!hasIndexedDb() || !privateKey || privateKey.extractable) return false

      const stored: StoredAgentKey = { privateKey, publicKey: agent.publicKey }
      await open().change(`agent-key/${safeName}`, () => ({ value: stored, result: undefined }))
      return true
    },

    async load(safeName, publicKey) {
      if (!hasIndexedDb()) return undefined

      const stored = await open().read(`agent-key/${safeName}`)
      if (!isStoredAgentKey(stored) || stored.publicKey !== publicKey) return undefined
      return identity.fromCryptoKey(stored.privateKey, stored.publicKey)
    },
  }
}
