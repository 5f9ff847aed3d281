// Records in IndexedDB, through idb-keyval with a store of our own that bounds every open and
// transaction by a timeout (some Safari versions never answer the first open) and turns the
// browser's failures into typed errors.

import { get, promisifyRequest, type UseStore } from 'idb-keyval'

import { AimCredentialsError } from '../core/errors.ts'
import type { RecordChange, RecordStore } from './records.ts'
import {
  foreignDatabase,
  storageFailed,
  storageTimeout,
  storageUnavailable,
} from './storage-errors.ts'

/** The one object store each database holds. */
const OBJECT_STORE = 'credentials'
const DATABASE_VERSION = 1

/** How long an open or a transaction may take before it fails with `ERR_STORAGE_TIMEOUT`. */
export const INDEXEDDB_TIMEOUT_MS = 10_000

/** Returns the runtime's IndexedDB, or throws `ERR_STORAGE_UNAVAILABLE`. */
function indexedDbFactory(database: string): IDBFactory {
  let factory: IDBFactory | undefined
  try {
    factory = globalThis.indexedDB
  } catch (error) {
    // Sandboxed frames and some privacy settings throw on mere access.
    throw storageUnavailable(database, error)
  }
  if (!factory) throw storageUnavailable(database)
  return factory
}

/** Whether this runtime has IndexedDB at all (it may still refuse to open). */
export function hasIndexedDb(): boolean {
  try {
    return globalThis.indexedDB !== undefined
  } catch {
    // Access itself was refused: as good as missing.
    return false
  }
}

/**
 * Opens (creating when new) a database of this library within `timeoutMs`.
 *
 * @throws {AimCredentialsError} `ERR_STORAGE_UNAVAILABLE` when IndexedDB is missing or refuses,
 *   `ERR_STORAGE_TIMEOUT` when it does not answer in time, `ERR_STORAGE_FAILED` when the
 *   database belongs to another application.
 */
export function openDatabase(database: string, timeoutMs: number): Promise<IDBDatabase> {
  const factory = indexedDbFactory(database)

  return new Promise((resolve, reject) => {
    let request: IDBOpenDBRequest
    try {
      request = factory.open(database, DATABASE_VERSION)
    } catch (error) {
      reject(storageUnavailable(database, error))
      return
    }

    let blocked = false
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      reject(storageTimeout(database, 'open', timeoutMs, blocked))
    }, timeoutMs)

    request.onblocked = () => {
      blocked = true
    }
    request.onupgradeneeded = () => {
      const db = request.result
      if (!db.objectStoreNames.contains(OBJECT_STORE)) db.createObjectStore(OBJECT_STORE)
    }
    request.onerror = () => {
      clearTimeout(timer)
      // A newer version than ours was made by some other code under the same name.
      const foreign = request.error?.name === 'VersionError'
      reject(foreign ? foreignDatabase(database) : storageUnavailable(database, request.error))
    }
    request.onsuccess = () => {
      clearTimeout(timer)
      const db = request.result
      // An open that answers after we gave up must not keep a connection nobody will close.
      if (timedOut) return db.close()

      if (!db.objectStoreNames.contains(OBJECT_STORE)) {
        db.close()
        return reject(foreignDatabase(database))
      }
      resolve(db)
    }
  })
}

/** Rejects with `timeoutError()` (after calling it) when `work` takes longer than `timeoutMs`. */
function bounded<T>(work: Promise<T>, timeoutMs: number, timeoutError: () => Error): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timeoutError()), timeoutMs)
  })
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer))
}

/** Reads a record, decides and writes within the same transaction. */
function changeRecord<T>(
  store: IDBObjectStore,
  name: string,
  decide: (current: unknown) => RecordChange<T>,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const request = store.get(name)
    request.onerror = () => reject(request.error)
    request.onsuccess = () => {
      let outcome: RecordChange<T>
      try {
        outcome = decide(request.result)
      } catch (error) {
        store.transaction.abort()
        return reject(error)
      }

      if (outcome.remove) store.delete(name)
      else if ('value' in outcome) store.put(outcome.value, name)
      promisifyRequest(store.transaction).then(() => resolve(outcome.result), reject)
    }
  })
}

/**
 * Records in one IndexedDB database. The connection opens on first use, closes when another tab
 * upgrades or deletes the database (so this page never blocks it), and reopens when needed.
 */
export class IndexedDbRecords implements RecordStore {
  readonly name: string
  readonly #timeoutMs: number
  readonly #store: UseStore
  #connection: Promise<IDBDatabase> | undefined

  /**
   * @param database - the IndexedDB database name.
   * @param timeoutMs - the bound on opening and on each transaction.
   */
  constructor(database: string, timeoutMs = INDEXEDDB_TIMEOUT_MS) {
    this.name = database
    this.#timeoutMs = timeoutMs
    this.#store = (mode, callback) => this.#transact(mode, callback)
  }

  read(name: string): Promise<unknown> {
    return this.#guard(() => get(name, this.#store))
  }

  change<T>(name: string, decide: (current: unknown) => RecordChange<T>): Promise<T> {
    return this.#guard(() => this.#store('readwrite', (store) => changeRecord(store, name, decide)))
  }

  async #guard<T>(operation: () => Promise<T>): Promise<T> {
    try {
      return await operation()
    } catch (error) {
      if (error instanceof AimCredentialsError || !(error instanceof DOMException)) throw error
      throw storageFailed(this.name, error)
    }
  }

  async #transact<T>(
    mode: IDBTransactionMode,
    callback: (store: IDBObjectStore) => T | PromiseLike<T>,
  ): Promise<T> {
    const transaction = await this.#begin(mode)
    const work = Promise.resolve(callback(transaction.objectStore(OBJECT_STORE)))

    return bounded(work, this.#timeoutMs, () => {
      try {
        transaction.abort()
      } catch {
        // Already finished or aborted: nothing left to stop.
      }
      return storageTimeout(this.name, 'transaction', this.#timeoutMs)
    })
  }

  async #begin(mode: IDBTransactionMode): Promise<IDBTransaction> {
    try {
      return (await this.#open()).transaction(OBJECT_STORE, mode)
    } catch (error) {
      if (!(error instanceof DOMException && error.name === 'InvalidStateError')) throw error
      // The browser closed the connection under us (Safari does): reopen once.
      this.#connection = undefined
      return (await this.#open()).transaction(OBJECT_STORE, mode)
    }
  }

  #open(): Promise<IDBDatabase> {
    if (this.#connection) return this.#connection

    const connection: Promise<IDBDatabase> = openDatabase(this.name, this.#timeoutMs).then(
      (db) => {
        const forget = () => {
          db.close()
          if (this.#connection === connection) this.#connection = undefined
        }
        db.onversionchange = forget
        db.onclose = forget
        return db
      },
      (error: unknown) => {
        if (this.#connection === connection) this.#connection = undefined
        throw error
      },
    )
    this.#connection = connection
    return connection
  }
}
