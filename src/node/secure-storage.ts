// The Node secure credential storage: the credentials JSON encrypted with Fernet in one file, the
// key in the OS keyring (or AIM_ENCRYPTION_KEY, or given), compatible with the Python SDK's
// ~/.aim/credentials.encrypted in both directions. It fails closed: without a usable key nothing
// is written anywhere.

import { AsyncLocalStorage } from 'node:async_hooks'

import type {
  Credentials,
  CredentialsUpdate,
  KeySourceDescription,
  SecureCredentialStorageOptions,
  SecureCredentialStore,
  SecurityEventListener,
} from '../core/storage.ts'
import { checkCredentials, parseCredentials, serializeCredentials } from './credential-json.ts'
import { defaultCredentialsPath, encryptedPathOf } from './credential-paths.ts'
import { emitEvent, type EventDetails } from './events.ts'
import {
  overwriteAndRemove,
  pathExists,
  readCredentialFile,
  removeFile,
  writeFileAtomically,
} from './files.ts'
import { resolveKey, keySourceOf, type KeySettings, type ResolvedKey } from './key-source.ts'
import { DEFAULT_KEYRING_SERVICE, DEFAULT_KEYRING_TIMEOUT_MS, KEYRING_ACCOUNT } from './keyring.ts'
import { withFileLock } from './lock.ts'
import { decryptCredentials, migratePlaintext } from './migration.ts'

/**
 * Credentials encrypted at rest, with the key in the OS keyring: the Keychain on macOS, the
 * Credential Manager on Windows, the Secret Service on Linux. `AIM_ENCRYPTION_KEY` overrides the
 * keyring; an explicit `key` overrides both. The files and the key are the Python SDK's: service
 * `aim-sdk`, account `encryption-key`, `~/.aim/credentials.encrypted` holding one Fernet token.
 *
 * Errors (all `AimCredentialsError`): `ERR_KEYRING_UNAVAILABLE`, `ERR_KEYRING_LOCKED`,
 * `ERR_KEYRING_TIMEOUT`, `ERR_KEYRING_BINDING_MISSING`, `ERR_KEYRING_CONFLICT`,
 * `ERR_KEYRING_FAILED`, `ERR_KEY_LOST`, `ERR_FERNET_INVALID_KEY`, `ERR_KEY_MISMATCH`,
 * `ERR_CREDENTIALS_CORRUPT`, `ERR_INSECURE_PERMISSIONS`, `ERR_SYMLINK_REFUSED`,
 * `ERR_LOCK_TIMEOUT`, `ERR_STORAGE_FAILED`, `ERR_MIGRATION_FAILED`.
 *
 * @example
 * ```ts
 * const storage = new SecureCredentialStorage()
 * await storage.updateCredentials((current) => ({ ...current, refreshToken }))
 * ```
 *
 * > [!WARNING]
 * > The key is only as safe as the keyring session: any process of the same user that can talk to
 * > the unlocked keyring can read it. `AIM_ENCRYPTION_KEY` is visible to the process's children and
 * > to anything that can read its environment.
 */
export class SecureCredentialStorage implements SecureCredentialStore {
  readonly #plaintextPath: string
  readonly #encryptedPath: string
  readonly #settings: KeySettings
  readonly #onEvent: SecurityEventListener | undefined
  readonly #insideLock = new AsyncLocalStorage<true>()
  #key: Promise<ResolvedKey> | undefined

  /**
   * @param options.path - the plaintext path, default `~/.aim/credentials.json`; the encrypted
   *   file is the same path with `.json` replaced by `.encrypted`.
   * @param options.key - an explicit Fernet key (string or `Fernet`).
   * @param options.keyringService - the keyring service, default `aim-sdk`.
   * @param options.keyringTimeout - the bound on one keyring call, in ms, default 20000.
   * @param options.onEvent - receives security events; what it throws is ignored.
   */
  constructor(options?: SecureCredentialStorageOptions) {
    const timeout = options?.keyringTimeout ?? DEFAULT_KEYRING_TIMEOUT_MS
    if (!Number.isFinite(timeout) || timeout <= 0) {
      throw new RangeError('keyringTimeout must be a positive number of milliseconds')
    }

    this.#plaintextPath = options?.path ?? defaultCredentialsPath()
    this.#encryptedPath = encryptedPathOf(this.#plaintextPath)
    this.#settings = {
      provided: options?.key,
      keyring: {
        service: options?.keyringService ?? DEFAULT_KEYRING_SERVICE,
        account: KEYRING_ACCOUNT,
        timeoutMs: timeout,
      },
    }
    this.#onEvent = options?.onEvent
  }

  /** Encrypts and writes the credentials atomically, creating the key on first use. */
  async saveCredentials(credentials: Credentials): Promise<void> {
    checkCredentials(credentials)
    await this.#write(credentials)
    this.#emit({ type: 'credentials.saved' })
  }

  /**
   * Reads and decrypts the credentials; `null` when there are none. A plaintext file at `path`
   * with no encrypted twin is migrated first (encrypted, verified, then overwritten and removed).
   */
  async loadCredentials(): Promise<Credentials | null> {
    const token = await readCredentialFile(this.#encryptedPath, { private: false })
    if (token !== undefined) {
      const credentials = await decryptCredentials(
        token,
        await this.#resolveKey(),
        this.#encryptedPath,
      )
      this.#emit({ type: 'credentials.loaded' })
      return credentials
    }

    if (!(await pathExists(this.#plaintextPath))) {
      // A malformed explicit or environment key is reported even when there is nothing to load;
      // the keyring is left alone, so that loading never creates a key.
      if (keySourceOf(this.#settings).source !== 'keyring') await this.#resolveKey()
      return null
    }
    return this.#locked(async () => {
      await this.#migrate()
      return this.loadCredentials()
    })
  }

  /** Reads, transforms and writes the credentials under the cross-process lock. */
  async updateCredentials(update: CredentialsUpdate): Promise<Credentials> {
    return this.#locked(async () => {
      const next = await update(await this.loadCredentials())
      await this.saveCredentials(next)
      return next
    })
  }

  /** Removes the encrypted file and any plaintext file at `path`. The key stays in the keyring. */
  async deleteCredentials(): Promise<void> {
    await this.#locked(async () => {
      const encrypted = await removeFile(this.#encryptedPath)
      const plaintext = await overwriteAndRemove(this.#plaintextPath)
      if (encrypted || plaintext) this.#emit({ type: 'credentials.deleted' })
    })
  }

  /** Whether an encrypted or a plaintext credentials file exists. */
  async credentialsExist(): Promise<boolean> {
    return (await pathExists(this.#encryptedPath)) || (await pathExists(this.#plaintextPath))
  }

  /**
   * Runs `action` holding the cross-process lock of these credentials. Inside it this storage's
   * own methods (including `updateCredentials`) run without taking the lock again.
   */
  async withLock<T>(action: () => Promise<T>): Promise<T> {
    return this.#locked(action)
  }

  /**
   * Encrypts the plaintext file at `path` into its encrypted twin, verifies it decrypts, then
   * overwrites and removes the plaintext. Resolves `false` when there was no plaintext file.
   *
   * > [!WARNING]
   * > Overwriting cannot reach copies that SSDs, copy-on-write file systems, snapshots or
   * > backups keep: treat credentials that were ever stored in plaintext as exposed.
   */
  async migrateToEncrypted(): Promise<boolean> {
    return this.#locked(() => this.#migrate())
  }

  /** Says where the key comes from (`provided`, `environment` or `keyring`) and the backend. */
  async describeKeySource(): Promise<KeySourceDescription> {
    const resolved = await this.#key?.catch(() => undefined)
    return resolved ? describe(resolved) : keySourceOf(this.#settings)
  }

  /** Stores a downloaded credentials JSON (text or object) straight into encrypted storage. */
  async importCredentials(json: string | Credentials): Promise<void> {
    const credentials =
      typeof json === 'string' ? parseCredentials(json, 'The imported JSON') : json
    checkCredentials(credentials)
    await this.#write(credentials)
    this.#emit({ type: 'credentials.imported' })
  }

  /** Files persist in Node: resolves `true`. */
  async requestPersistence(): Promise<boolean> {
    return true
  }

  async #write(credentials: Credentials): Promise<void> {
    const key = await this.#resolveKey()
    const token = await key.fernet.encrypt(serializeCredentials(credentials))
    await writeFileAtomically(this.#encryptedPath, token)
  }

  async #migrate(): Promise<boolean> {
    const migrated = await migratePlaintext({
      plaintextPath: this.#plaintextPath,
      encryptedPath: this.#encryptedPath,
      resolveKey: () => this.#resolveKey(),
    })
    if (migrated) this.#emit({ type: 'credentials.migrated' })
    return migrated
  }

  // The key is looked up on first use and kept; a failure is not kept, so a later call can succeed
  // once the keyring is unlocked. A new key is never made while encrypted credentials exist:
  // it could not open them.
  #resolveKey(): Promise<ResolvedKey> {
    if (this.#key) return this.#key

    this.#key = (async () => {
      const create = !(await pathExists(this.#encryptedPath))
      const resolved = await resolveKey(this.#settings, { create })
      if (resolved.created) this.#emit({ type: 'key.created', ...describeForEvent(resolved) })
      this.#emit({ type: 'key.loaded', ...describeForEvent(resolved) })
      return resolved
    })()
    this.#key.catch(() => {
      this.#key = undefined
    })
    return this.#key
  }

  async #locked<T>(action: () => Promise<T>): Promise<T> {
    if (this.#insideLock.getStore()) return action()
    return withFileLock(`${this.#encryptedPath}.lock`, () => this.#insideLock.run(true, action))
  }

  #emit(details: EventDetails): void {
    const path = details.type.startsWith('key.') ? undefined : this.#encryptedPath
    emitEvent(this.#onEvent, path ? { path, ...details } : details)
  }
}

function describe(resolved: ResolvedKey): KeySourceDescription {
  return resolved.backend
    ? { source: resolved.source, backend: resolved.backend }
    : { source: resolved.source }
}

function describeForEvent(resolved: ResolvedKey): Pick<EventDetails, 'keySource' | 'backend'> {
  return resolved.backend
    ? { keySource: resolved.source, backend: resolved.backend }
    : { keySource: resolved.source }
}
