// The explicit development mode: credentials as a plaintext JSON file, the way the Python SDK
// writes ~/.aim/credentials.json, with the same careful file handling as the secure storage
// (0600 files, 0700 folders, atomic writes, the lock, symlink and permission refusal).

import { AsyncLocalStorage } from 'node:async_hooks'

import type {
  CredentialStore,
  Credentials,
  CredentialsUpdate,
  PlaintextCredentialStorageOptions,
  SecurityEventListener,
} from '../core/storage.ts'
import { checkCredentials, parseCredentials, serializeCredentials } from './credential-json.ts'
import { defaultCredentialsPath } from './credential-paths.ts'
import { emitEvent, type EventDetails } from './events.ts'
import { overwriteAndRemove, pathExists, readCredentialFile, writeFileAtomically } from './files.ts'
import { withFileLock } from './lock.ts'

/**
 * Credentials in a plaintext JSON file: for development only, never a fallback. Files are
 * readable by the owner only (0600) and a file that others can read is refused.
 *
 * Errors (all `AimCredentialsError`): `ERR_CREDENTIALS_CORRUPT`, `ERR_INSECURE_PERMISSIONS`,
 * `ERR_SYMLINK_REFUSED`, `ERR_LOCK_TIMEOUT`, `ERR_STORAGE_FAILED`.
 *
 * > [!WARNING]
 * > Anything running as the same user, every backup and every disk image can read these
 * > credentials. Use `SecureCredentialStorage` outside development, and move existing files with
 * > its `migrateToEncrypted()`.
 *
 * @example
 * ```ts
 * const storage = new PlaintextCredentialStorage({ path: './.aim/credentials.json' })
 * const credentials = await storage.loadCredentials()
 * ```
 */
export class PlaintextCredentialStorage implements CredentialStore {
  readonly #path: string
  readonly #onEvent: SecurityEventListener | undefined
  readonly #insideLock = new AsyncLocalStorage<true>()

  /**
   * @param options.path - the file, default `~/.aim/credentials.json`.
   * @param options.onEvent - receives security events; what it throws is ignored.
   */
  constructor(options?: PlaintextCredentialStorageOptions) {
    this.#path = options?.path ?? defaultCredentialsPath()
    this.#onEvent = options?.onEvent
  }

  /** Writes the credentials atomically as 2-space-indented JSON, mode 0600. */
  async saveCredentials(credentials: Credentials): Promise<void> {
    checkCredentials(credentials)
    await writeFileAtomically(this.#path, serializeCredentials(credentials))
    this.#emit({ type: 'credentials.saved' })
  }

  /** Reads the credentials; `null` when the file does not exist. */
  async loadCredentials(): Promise<Credentials | null> {
    const text = await readCredentialFile(this.#path, { private: true })
    if (text === undefined) return null

    const credentials = parseCredentials(text, this.#path)
    this.#emit({ type: 'credentials.loaded' })
    return credentials
  }

  /** Reads, transforms and writes the credentials under the cross-process lock. */
  async updateCredentials(update: CredentialsUpdate): Promise<Credentials> {
    return this.#locked(async () => {
      const next = await update(await this.loadCredentials())
      await this.saveCredentials(next)
      return next
    })
  }

  /** Overwrites and removes the file (see the warning on `SecureCredentialStorage`). */
  async deleteCredentials(): Promise<void> {
    await this.#locked(async () => {
      if (await overwriteAndRemove(this.#path)) this.#emit({ type: 'credentials.deleted' })
    })
  }

  /** Whether the file exists. */
  async credentialsExist(): Promise<boolean> {
    return pathExists(this.#path)
  }

  /** Runs `action` holding the cross-process lock; this storage's methods work inside it. */
  async withLock<T>(action: () => Promise<T>): Promise<T> {
    return this.#locked(action)
  }

  async #locked<T>(action: () => Promise<T>): Promise<T> {
    if (this.#insideLock.getStore()) return action()
    return withFileLock(`${this.#path}.lock`, () => this.#insideLock.run(true, action))
  }

  #emit(details: EventDetails): void {
    emitEvent(this.#onEvent, { path: this.#path, ...details })
  }
}
