// The explicit development mode for browsers: credentials kept as unencrypted JSON in IndexedDB
// (or memory), and the web's answer to the search for plaintext files (there are none).

import type {
  Credentials,
  CredentialStore,
  CredentialsUpdate,
  PlaintextCredentialStorageOptions,
  PlaintextSearchOptions,
} from '../core/storage.ts'
import { CredentialsRecord, parseCredentials, recordNameOf } from './credentials-record.ts'
import { credentialsCorrupt } from './storage-errors.ts'
import { IndexedDbRecords } from './indexeddb.ts'
import { crossTabLock, pageLock } from './locks.ts'
import { MemoryRecords } from './records.ts'

/** The default IndexedDB database, apart from the encrypted storage's. */
const DEFAULT_DATABASE = 'aim-sdk-plaintext'

function checkOptions(options: PlaintextCredentialStorageOptions): void {
  const { database, persistence, onEvent } = options
  if (database !== undefined && (typeof database !== 'string' || database === '')) {
    throw new TypeError('database must be a non-empty string')
  }
  if (persistence !== undefined && persistence !== 'indexeddb' && persistence !== 'memory') {
    throw new TypeError("persistence must be 'indexeddb' or 'memory'")
  }
  if (onEvent !== undefined && typeof onEvent !== 'function') {
    throw new TypeError('onEvent must be a function')
  }
}

/**
 * Unencrypted credential storage, for development only: the JSON (2-space indented, as the Python
 * SDK writes it) kept as text in the IndexedDB database `aim-sdk-plaintext`, or in memory.
 * Same locking and update guarantees as {@link SecureCredentialStorage}.
 *
 * > [!WARNING]
 * > Anyone with access to this browser profile, and any script in the page, can read these
 * > credentials. Use `SecureCredentialStorage` for anything but local development.
 *
 * Errors: `ERR_STORAGE_UNAVAILABLE`, `ERR_STORAGE_TIMEOUT`, `ERR_STORAGE_FAILED`,
 * `ERR_CREDENTIALS_CORRUPT`, `ERR_LOCK_TIMEOUT` (all `AimCredentialsError`).
 */
export class PlaintextCredentialStorage implements CredentialStore {
  readonly #record: CredentialsRecord

  /**
   * @param options - `database` (default `aim-sdk-plaintext`), `path` (the record's name in it,
   *   default `credentials`), `persistence`, `onEvent`.
   * @throws {TypeError} when an option has the wrong type.
   */
  constructor(options: PlaintextCredentialStorageOptions = {}) {
    checkOptions(options)
    const database = options.database ?? DEFAULT_DATABASE
    const memory = options.persistence === 'memory'

    this.#record = new CredentialsRecord({
      records: memory ? new MemoryRecords(database) : new IndexedDbRecords(database),
      name: recordNameOf(options.path),
      lock: memory ? pageLock() : crossTabLock(`aim-credentials:${database}`),
      codec: {
        seal: async (credentials) => ({ json: JSON.stringify(credentials, null, 2) }),
        async open(record) {
          if (typeof record.json !== 'string') throw credentialsCorrupt(database)
          return parseCredentials(record.json, database)
        },
      },
      onEvent: options.onEvent,
    })
  }

  /**
   * Stores `credentials` as JSON, replacing what was stored.
   *
   * @throws {TypeError} when `credentials` is not a JSON object.
   */
  saveCredentials(credentials: Credentials): Promise<void> {
    return this.#record.save(credentials)
  }

  /**
   * Returns the stored credentials, or `null` when none are stored.
   *
   * @throws {AimCredentialsError} `ERR_CREDENTIALS_CORRUPT` when the stored JSON is damaged.
   */
  loadCredentials(): Promise<Credentials | null> {
    return this.#record.load()
  }

  /** Reads, transforms and writes under the cross-tab lock; see `SecureCredentialStorage`. */
  updateCredentials(update: CredentialsUpdate): Promise<Credentials> {
    return this.#record.update(update)
  }

  /** Removes the stored credentials. */
  deleteCredentials(): Promise<void> {
    return this.#record.delete()
  }

  /** Whether credentials are stored. */
  credentialsExist(): Promise<boolean> {
    return this.#record.exists()
  }

  /** Runs `action` holding the cross-tab lock; not re-entrant. */
  withLock<T>(action: () => Promise<T>): Promise<T> {
    return this.#record.withLock(action)
  }
}

/**
 * Lists plaintext credentials files left on disk. Browsers have no such files, so the web entry
 * always resolves `[]`; the Node entry searches the home and current folders.
 *
 * @param _options - the Node entry's search folders; ignored here.
 */
export async function findPlaintextCredentialFiles(
  _options?: PlaintextSearchOptions,
): Promise<string[]> {
  return []
}
