// `SecureCredentialStorage` for browsers, workers, Deno and Bun: the credentials as a Fernet token,
// with the key as two non-extractable `CryptoKey`s in IndexedDB (or given by the caller), and the
// Web Locks API keeping tabs from losing each other's updates.

import { FernetInvalidTokenError } from '../core/errors.ts'
import { Fernet } from '../core/fernet.ts'
import type {
  Credentials,
  CredentialsUpdate,
  KeySourceDescription,
  SecureCredentialStorageOptions,
  SecureCredentialStore,
} from '../core/storage.ts'
import {
  CredentialsRecord,
  parseCredentials,
  recordNameOf,
  type CredentialsCodec,
} from './credentials-record.ts'
import { hasIndexedDb, IndexedDbRecords } from './indexeddb.ts'
import {
  indexedDbKey,
  keyIdOf,
  memoryKey,
  providedKey,
  type FernetKeySource,
  type KeyEventSink,
} from './key-store.ts'
import { crossTabLock, pageLock } from './locks.ts'
import { MemoryRecords, RecordsWithMemoryFallback, type RecordStore } from './records.ts'
import { requestStoragePersistence } from './persistence.ts'
import { credentialsCorrupt, importRejected, keyLost, keyMismatch } from './storage-errors.ts'

/** The default IndexedDB database. */
const DEFAULT_DATABASE = 'aim-sdk'

/** Stores credentials as Fernet tokens and reads them back, telling a lost key from damage. */
function fernetCodec(keys: FernetKeySource, database: string): CredentialsCodec {
  return {
    async seal(credentials) {
      const fernet = await keys.obtain()
      const token = await fernet.encrypt(JSON.stringify(credentials, null, 2))
      return { token, keyId: await keyIdOf(fernet) }
    },

    async open(record) {
      const { token, keyId } = record
      if (typeof token !== 'string') throw credentialsCorrupt(database)

      const fernet = await keys.existing()
      if (!fernet) throw keyLost(database)
      const different = typeof keyId === 'string' && keyId !== (await keyIdOf(fernet))
      if (different) throw keys.source === 'provided' ? keyMismatch(database) : keyLost(database)

      let plaintext: Uint8Array
      try {
        plaintext = await fernet.decrypt(token)
      } catch (error) {
        if (!(error instanceof FernetInvalidTokenError)) throw error
        // Without a key id (a token stored by hand) a failure most likely means another key.
        throw typeof keyId === 'string' ? credentialsCorrupt(database) : keyMismatch(database)
      }
      return parseCredentials(new TextDecoder().decode(plaintext), database)
    },
  }
}

/** Reads the import argument: a downloaded `sdk_credentials.json` text or its parsed object. */
function readImport(json: string | Credentials): Credentials {
  let credentials: unknown = json
  if (typeof json === 'string') {
    try {
      credentials = JSON.parse(json)
    } catch {
      // The parser's message may quote the file's content: it is not passed on.
      throw importRejected('not valid JSON')
    }
  }

  if (typeof credentials !== 'object' || credentials === null || Array.isArray(credentials)) {
    throw importRejected('not a JSON object')
  }
  const { refreshToken, refresh_token } = credentials as Record<string, unknown>
  const token = refreshToken ?? refresh_token
  if (typeof token !== 'string' || token === '') throw importRejected('no refresh token')
  return credentials as Credentials
}

/**
 * Chooses where the credentials live: memory when asked; IndexedDB when asked or when the key is
 * ours to keep; with a caller's key and no choice made, IndexedDB where it works, else memory.
 */
function chooseRecords(options: SecureCredentialStorageOptions, database: string): RecordStore {
  const { persistence, key } = options
  if (persistence === 'memory') return new MemoryRecords(database)
  if (key === undefined || persistence === 'indexeddb') return new IndexedDbRecords(database)

  if (!hasIndexedDb()) return new MemoryRecords(database)
  return new RecordsWithMemoryFallback(new IndexedDbRecords(database))
}

function checkOptions(options: SecureCredentialStorageOptions): void {
  const { database, persistence, key, onEvent } = options
  if (database !== undefined && (typeof database !== 'string' || database === '')) {
    throw new TypeError('database must be a non-empty string')
  }
  if (persistence !== undefined && persistence !== 'indexeddb' && persistence !== 'memory') {
    throw new TypeError("persistence must be 'indexeddb' or 'memory'")
  }
  if (key !== undefined && typeof key !== 'string' && !(key instanceof Fernet)) {
    throw new TypeError('key must be a Fernet key string or a Fernet instance')
  }
  if (onEvent !== undefined && typeof onEvent !== 'function') {
    throw new TypeError('onEvent must be a function')
  }
}

/**
 * Encrypted credential storage for browsers, workers, Deno and Bun.
 *
 * By default the key is generated once per origin as two non-extractable WebCrypto keys
 * (HMAC-SHA256 and AES-128-CBC) and kept in IndexedDB by structured clone, next to the
 * credentials, which are stored as a Fernet token. With `key`, the caller's key is used and
 * never stored; where IndexedDB is missing the credentials then stay in memory unless
 * `persistence: 'indexeddb'` was asked for. With `persistence: 'memory'` nothing outlives the page.
 *
 * > [!WARNING]
 * > Non-extractable keys cannot be read out, even by script in the page, but such script can still
 * > use them while it runs: an XSS flaw can decrypt the credentials. Clearing site data, or a
 * > browser's eviction (Safari after 7 days without a visit), deletes the key; a remaining token
 * > then fails with `ERR_KEY_LOST` and the credentials must be imported again. Call
 * > {@link SecureCredentialStorage.requestPersistence} to make eviction less likely.
 *
 * Errors (all `AimCredentialsError`): `ERR_STORAGE_UNAVAILABLE` (no usable IndexedDB),
 * `ERR_STORAGE_TIMEOUT`, `ERR_STORAGE_FAILED`, `ERR_KEY_LOST`, `ERR_KEY_MISMATCH`,
 * `ERR_CREDENTIALS_CORRUPT`, `ERR_LOCK_TIMEOUT`; a malformed `key` throws
 * `ERR_FERNET_INVALID_KEY` from the constructor.
 *
 * @example
 * ```ts
 * const storage = new SecureCredentialStorage()
 * await storage.importCredentials(await file.text()) // a downloaded sdk_credentials.json
 * const credentials = await storage.loadCredentials()
 * ```
 */
export class SecureCredentialStorage implements SecureCredentialStore {
  readonly #record: CredentialsRecord
  readonly #keys: FernetKeySource
  readonly #persistent: boolean

  /**
   * @param options - `database` (default `aim-sdk`), `path` (the record's name in it, default
   *   `credentials`; records of one database share its key), `persistence`, `key`, `onEvent`.
   * @throws {TypeError} when an option has the wrong type.
   * @throws {FernetInvalidKeyError} `ERR_FERNET_INVALID_KEY` when `key` is not a Fernet key.
   */
  constructor(options: SecureCredentialStorageOptions = {}) {
    checkOptions(options)
    const database = options.database ?? DEFAULT_DATABASE
    const records = chooseRecords(options, database)
    const memory = records instanceof MemoryRecords

    const emitKeyEvent: KeyEventSink = (type) => this.#record.emit(type)
    if (options.key !== undefined) this.#keys = providedKey(options.key)
    else if (memory) this.#keys = memoryKey(emitKeyEvent)
    else this.#keys = indexedDbKey(records, emitKeyEvent)

    this.#persistent = !memory
    this.#record = new CredentialsRecord({
      records,
      name: recordNameOf(options.path),
      lock: memory ? pageLock() : crossTabLock(`aim-credentials:${database}`),
      codec: fernetCodec(this.#keys, database),
      keySource: this.#keys.source,
      onEvent: options.onEvent,
    })
  }

  /**
   * Encrypts and stores `credentials`, replacing what was stored; creates the key if needed.
   *
   * @throws {TypeError} when `credentials` is not a JSON object.
   */
  saveCredentials(credentials: Credentials): Promise<void> {
    return this.#record.save(credentials)
  }

  /**
   * Decrypts the stored credentials, or resolves `null` when none are stored.
   *
   * @throws {AimCredentialsError} `ERR_KEY_LOST` when the key is gone but a token remains,
   *   `ERR_KEY_MISMATCH` when `key` is not the key they were saved with,
   *   `ERR_CREDENTIALS_CORRUPT` when the stored token was damaged or altered.
   */
  loadCredentials(): Promise<Credentials | null> {
    return this.#record.load()
  }

  /**
   * Reads, transforms and writes the credentials under the cross-tab lock: updates from several
   * tabs at once all take effect. `update` may run more than once if a writer that ignores the
   * lock changed the credentials meanwhile, so it should only compute its result.
   */
  updateCredentials(update: CredentialsUpdate): Promise<Credentials> {
    return this.#record.update(update)
  }

  /** Removes the stored credentials; the key stays, for the next save. */
  deleteCredentials(): Promise<void> {
    return this.#record.delete()
  }

  /** Whether credentials are stored (without decrypting them). */
  credentialsExist(): Promise<boolean> {
    return this.#record.exists()
  }

  /**
   * Runs `action` holding the cross-tab lock (a Web Lock named `aim-credentials:<database>`).
   * `loadCredentials` and `saveCredentials` work inside it; `updateCredentials` and another
   * `withLock` would wait for ever, since the lock is not re-entrant.
   *
   * > [!WARNING]
   * > Without Web Locks (Bun, old browsers), only this page waits for the lock; other tabs do not.
   */
  withLock<T>(action: () => Promise<T>): Promise<T> {
    return this.#record.withLock(action)
  }

  /** Browsers have no plaintext credentials file to migrate: always resolves `false`. */
  async migrateToEncrypted(): Promise<boolean> {
    return false
  }

  /** Where the key comes from: `indexeddb`, `memory` or `provided`. */
  async describeKeySource(): Promise<KeySourceDescription> {
    return { source: this.#keys.source }
  }

  /**
   * Takes a downloaded plaintext credentials file (`sdk_credentials.json`, as text or parsed)
   * straight into encrypted storage, replacing what was stored. The plaintext is never stored.
   * This is also how credentials are recovered after `ERR_KEY_LOST`.
   *
   * @throws {AimCredentialsError} `ERR_CREDENTIALS_CORRUPT` when it is not JSON, not an object,
   *   or has no refresh token; nothing stored changes then.
   */
  async importCredentials(json: string | Credentials): Promise<void> {
    await this.#record.save(readImport(json), 'credentials.imported')
  }

  /**
   * Asks the browser to exempt this origin's storage from eviction (`navigator.storage.persist()`).
   * Resolves whether the storage is now persistent; `false` with memory persistence or where the
   * API is missing or refuses.
   */
  requestPersistence(): Promise<boolean> {
    return this.#persistent ? requestStoragePersistence() : Promise.resolve(false)
  }
}
