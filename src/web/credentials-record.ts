// The stored credentials record, shared by the secure and plaintext browser storages: saving,
// loading and updating it without losing a concurrent write, under the credentials lock, with
// security events. How the credentials become stored fields (a Fernet token, or plain JSON) is
// the caller's `CredentialsCodec`.

import type {
  Credentials,
  CredentialsUpdate,
  KeySource,
  SecurityEventListener,
  SecurityEventType,
} from '../core/storage.ts'
import { checkCredentials, parseCredentialsText } from '../core/credentials-json.ts'
import type { Lock } from './locks.ts'
import type { RecordStore } from './records.ts'
import { credentialsCorrupt, updateContended } from './storage-errors.ts'

/** The record name the credentials are kept under unless the storage's `path` names another. */
const DEFAULT_RECORD = 'credentials'

// Names the storage itself uses in the same object store: the key, and agents' CryptoKeys.
const RESERVED_RECORD = /^(fernet-key$|agent-key\/)/

/** Checks the `path` option, which names the record in the browser, and returns the name. */
export function recordNameOf(path: string | undefined): string {
  if (path === undefined) return DEFAULT_RECORD
  if (typeof path !== 'string' || path === '' || RESERVED_RECORD.test(path)) {
    throw new TypeError('path must be a non-empty record name other than fernet-key or agent-key/…')
  }
  return path
}

/** How many times an update is recomputed when another writer changed the record meanwhile. */
const MAX_UPDATE_ATTEMPTS = 20

/** Turns credentials into the fields of the stored record, and back. */
export interface CredentialsCodec {
  /** Makes the stored fields; `revision` is added by the record. */
  seal(credentials: Credentials): Promise<Record<string, unknown>>
  /** Reads the credentials back from a stored record. */
  open(record: Record<string, unknown>): Promise<Credentials>
}

/** What a `CredentialsRecord` is made of. */
export interface CredentialsRecordParts {
  records: RecordStore
  /** The record's name in the store (from {@link recordNameOf}). */
  name: string
  lock: Lock
  codec: CredentialsCodec
  keySource?: KeySource
  onEvent?: SecurityEventListener
}

type StoredRecord = Record<string, unknown> & { revision: string }

/** Parses stored JSON text into credentials, or throws `ERR_CREDENTIALS_CORRUPT`. */
export function parseCredentials(text: string, database: string): Credentials {
  const credentials = parseCredentialsText(text)
  if (!credentials) throw credentialsCorrupt(database)
  return credentials
}

/** A fresh random revision: it changes on every write, and never repeats. */
function newRevision(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16))
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('')
}

/** The credentials record of one database (or memory store). */
export class CredentialsRecord {
  readonly #parts: CredentialsRecordParts

  constructor(parts: CredentialsRecordParts) {
    this.#parts = parts
  }

  /** Reports an event; a listener that throws or rejects cannot break the operation. */
  emit(type: SecurityEventType, detail?: string): void {
    const listener = this.#parts.onEvent
    if (!listener) return

    const event = {
      type,
      time: new Date().toISOString(),
      path: `${this.#parts.records.name}/${this.#parts.name}`,
      ...(this.#parts.keySource && { keySource: this.#parts.keySource }),
      ...(detail !== undefined && { detail }),
    }
    try {
      const result: unknown = listener(event)
      // An async listener's rejection must not surface as an unhandled rejection either.
      if (result instanceof Promise) result.catch(() => undefined)
    } catch {
      // Listeners are told; they do not get a say in whether the operation succeeds.
    }
  }

  async save(credentials: Credentials, event: SecurityEventType = 'credentials.saved') {
    checkCredentials(credentials)
    const sealed = await this.#parts.codec.seal(credentials)

    await this.#parts.records.change(this.#parts.name, () => ({
      value: { ...sealed, revision: newRevision() },
      result: undefined,
    }))
    this.emit(event)
  }

  async load(): Promise<Credentials | null> {
    const record = await this.#read()
    if (record === undefined) return null

    const credentials = await this.#parts.codec.open(record)
    this.emit('credentials.loaded')
    return credentials
  }

  /**
   * Reads, updates and writes under the lock. The write happens only if the record is still the
   * one that was read; otherwise (a writer that ignored the lock came in between) the update is
   * computed again from the newer credentials.
   */
  update(update: CredentialsUpdate): Promise<Credentials> {
    if (typeof update !== 'function') {
      return Promise.reject(new TypeError('update must be a function'))
    }

    return this.#parts.lock.run(async () => {
      for (let attempt = 1; attempt <= MAX_UPDATE_ATTEMPTS; attempt++) {
        const record = await this.#read()
        const current = record === undefined ? null : await this.#parts.codec.open(record)

        const next = await update(current)
        checkCredentials(next)
        const sealed = await this.#parts.codec.seal(next)

        const written = await this.#parts.records.change(this.#parts.name, (latest) => {
          const unchanged = revisionOf(latest) === record?.revision
          if (!unchanged) return { result: false }
          return { value: { ...sealed, revision: newRevision() }, result: true }
        })
        if (written) {
          this.emit('credentials.saved', 'update')
          return next
        }
      }
      throw updateContended(this.#parts.records.name, MAX_UPDATE_ATTEMPTS)
    })
  }

  async delete(): Promise<void> {
    await this.#parts.records.change(this.#parts.name, () => ({
      remove: true,
      result: undefined,
    }))
    this.emit('credentials.deleted')
  }

  async exists(): Promise<boolean> {
    return (await this.#read()) !== undefined
  }

  withLock<T>(action: () => Promise<T>): Promise<T> {
    if (typeof action !== 'function') {
      return Promise.reject(new TypeError('action must be a function'))
    }
    return this.#parts.lock.run(action)
  }

  async #read(): Promise<StoredRecord | undefined> {
    const record = await this.#parts.records.read(this.#parts.name)
    if (record === undefined) return undefined
    if (revisionOf(record) === undefined) throw credentialsCorrupt(this.#parts.records.name)
    return record as StoredRecord
  }
}

function revisionOf(record: unknown): string | undefined {
  if (typeof record !== 'object' || record === null) return undefined
  const revision = (record as { revision?: unknown }).revision
  return typeof revision === 'string' ? revision : undefined
}
