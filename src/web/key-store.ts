// Where the browser storage's Fernet key comes from: given by the caller, generated for this page
// only, or generated once per origin and kept in IndexedDB as two non-extractable `CryptoKey`s
// (stored by structured clone: the key bytes never exist in JavaScript).

import { decodeBase64Url } from '../core/base64.ts'
import { FernetInvalidKeyError } from '../core/errors.ts'
import { Fernet } from '../core/fernet.ts'
import type { KeySource, SecurityEventType } from '../core/storage.ts'
import type { RecordStore } from './records.ts'

/** The record name the key is kept under, next to the credentials. */
const KEY_RECORD = 'fernet-key'

/** A Fernet key's origin and the two ways storage asks for it. */
export interface FernetKeySource {
  readonly source: KeySource
  /** The key to decrypt with; `undefined` when none exists (never created, or lost). */
  existing(): Promise<Fernet | undefined>
  /** The key to encrypt with, created (once, whatever the number of tabs) when missing. */
  obtain(): Promise<Fernet>
}

/** Reports a key event to the storage's listener. */
export type KeyEventSink = (type: SecurityEventType) => void

/**
 * The key the caller passed: a Fernet key string (imported non-extractable on first use) or a
 * `Fernet`.
 *
 * @throws {FernetInvalidKeyError} `ERR_FERNET_INVALID_KEY`, at once, when the string is not a
 *   Fernet key.
 */
export function providedKey(key: string | Fernet): FernetKeySource {
  if (typeof key === 'string' && decodeBase64Url(key)?.length !== 32) {
    throw new FernetInvalidKeyError('The `key` option')
  }

  let fernet: Promise<Fernet> | undefined
  const obtain = () => {
    fernet ??= typeof key === 'string' ? Fernet.fromKey(key) : Promise.resolve(key)
    return fernet
  }
  return { source: 'provided', existing: obtain, obtain }
}

/** A key generated (non-extractable) on first use and kept only in this object. */
export function memoryKey(emit: KeyEventSink): FernetKeySource {
  let fernet: Promise<Fernet> | undefined

  return {
    source: 'memory',
    existing: async () => fernet,
    obtain() {
      if (!fernet) {
        fernet = Fernet.generate()
        void fernet.then(
          () => emit('key.created'),
          () => undefined,
        )
      }
      return fernet
    },
  }
}

/** The stored form of a key: the two `CryptoKey`s themselves. */
interface StoredKey {
  signingKey: CryptoKey
  encryptionKey: CryptoKey
}

/** Rebuilds a Fernet from a stored record, or `undefined` when it is missing or unusable. */
function fernetFrom(record: unknown): Fernet | undefined {
  if (typeof record !== 'object' || record === null) return undefined
  const { signingKey, encryptionKey } = record as Partial<StoredKey>
  try {
    return Fernet.fromCryptoKeys(signingKey as CryptoKey, encryptionKey as CryptoKey)
  } catch {
    // Not two keys of the right kind: treated as no key, so a save replaces it.
    return undefined
  }
}

/**
 * The origin's key in IndexedDB. It is read on every use rather than cached, so that a key
 * removed while the page runs (site data cleared) is noticed instead of silently encrypting
 * credentials nobody could decrypt after a reload.
 *
 * Creation is atomic: a candidate key is stored only if no key exists at that moment, within one
 * IndexedDB transaction, so tabs racing to create it all end up with the same key.
 */
export function indexedDbKey(records: RecordStore, emit: KeyEventSink): FernetKeySource {
  // A key is announced as loaded once per storage; every creation is announced.
  let announced = false
  const announce = (type: 'key.created' | 'key.loaded') => {
    if (type === 'key.loaded' && announced) return
    announced = true
    emit(type)
  }

  async function existing(): Promise<Fernet | undefined> {
    const fernet = fernetFrom(await records.read(KEY_RECORD))
    if (fernet) announce('key.loaded')
    return fernet
  }

  async function obtain(): Promise<Fernet> {
    const found = await existing()
    if (found) return found

    const candidate = await Fernet.generate({ extractable: false })
    const stored: StoredKey = {
      signingKey: candidate.signingKey,
      encryptionKey: candidate.encryptionKey,
    }
    const kept = await records.change(KEY_RECORD, (current) => {
      const winner = fernetFrom(current)
      return winner ? { result: winner } : { value: stored, result: candidate }
    })

    announce(kept === candidate ? 'key.created' : 'key.loaded')
    return kept
  }

  return { source: 'indexeddb', existing, obtain }
}

const keyIds = new WeakMap<Fernet, Promise<string>>()
const KEY_ID_LABEL = new TextEncoder().encode('aim-credentials key id v1')

/**
 * A short identifier of a key, stored next to each token so that a load can tell a lost or
 * different key from damaged data: the first 8 bytes of HMAC-SHA256 of a fixed label under the
 * signing key, in hex. It reveals nothing about the key.
 */
export function keyIdOf(fernet: Fernet): Promise<string> {
  let id = keyIds.get(fernet)
  if (!id) {
    id = crypto.subtle.sign('HMAC', fernet.signingKey, KEY_ID_LABEL).then((mac) => {
      const bytes = new Uint8Array(mac, 0, 8)
      return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('')
    })
    keyIds.set(fernet, id)
  }
  return id
}
