// The shape every credential store shares, whatever keeps it (files and the OS keyring in Node,
// IndexedDB in browsers, memory anywhere): both entries export classes of exactly this shape.

import type { Fernet } from './fernet.ts'

/**
 * Stored credentials: the JSON object the Python SDK reads and writes, in either spelling
 * (camelCase or snake_case). Fields this library does not know survive a load and a save.
 */
export type Credentials = Record<string, unknown>

/** Where the encryption key comes from. */
export type KeySource = 'keyring' | 'environment' | 'provided' | 'indexeddb' | 'memory'

/** The answer of `describeKeySource()`. */
export interface KeySourceDescription {
  source: KeySource
  /** The keyring backend in use, e.g. `secret-service`, `keychain`, `windows-credential`. */
  backend?: string
}

/** Every kind of security event this library reports. */
export type SecurityEventType =
  | 'credentials.loaded'
  | 'credentials.saved'
  | 'credentials.migrated'
  | 'credentials.deleted'
  | 'credentials.imported'
  | 'key.created'
  | 'key.loaded'
  | 'key.rotated'
  | 'token.refreshed'
  | 'token.refresh_failed'
  | 'token.reused_shared'
  | 'token.revoked'
  | 'token.recovered'
  | 'token.expired'
  | 'session.logged_out'
  | 'agent.registered'
  | 'agent.saved'

/**
 * Something security-relevant that happened. Events never carry a secret: no key, token,
 * password or credential value, only where and how.
 */
export interface SecurityEvent {
  type: SecurityEventType
  /** When it happened, as an ISO-8601 UTC string. */
  time: string
  /** The file or database the event concerns. */
  path?: string
  /** Where the encryption key came from. */
  keySource?: KeySource
  /** The keyring backend, when the key came from a keyring. */
  backend?: string
  /** A short, secret-free detail, such as an error code or an agent id. */
  detail?: string
}

/** Called for each security event; exceptions it throws are ignored by the library. */
export type SecurityEventListener = (event: SecurityEvent) => void

/** Options of `SecureCredentialStorage`; each runtime reads the ones that apply to it. */
export interface SecureCredentialStorageOptions {
  /**
   * Node: the plaintext path, default `~/.aim/credentials.json`. The encrypted file is the same
   * path with `.json` replaced by `.encrypted`.
   *
   * Web: the record's name inside the database, default `credentials`. Records of one database
   * share its key and its lock, as files share the keyring key in Node (agents use
   * `agents/<safe_name>`).
   */
  path?: string
  /** Web: the IndexedDB database name, default `aim-sdk`. */
  database?: string
  /** Web: keep keys and credentials in IndexedDB (default) or only in this page's memory. */
  persistence?: 'indexeddb' | 'memory'
  /**
   * An explicit key. Otherwise Node uses `AIM_ENCRYPTION_KEY` if set, else the OS keyring; the
   * web uses a non-extractable key kept in IndexedDB.
   */
  key?: string | Fernet
  /**
   * Node: the OS keyring service that holds the key, default `aim-sdk` (the Python SDK's; the
   * account is always `encryption-key`). Change it only to keep separate identities apart.
   */
  keyringService?: string
  /** Node: how long one OS keyring call may take, in milliseconds; default 20000. */
  keyringTimeout?: number
  /** Receives security events. */
  onEvent?: SecurityEventListener
}

/** Options of `PlaintextCredentialStorage`, the explicit development mode. */
export interface PlaintextCredentialStorageOptions {
  /** Node: the plaintext path, default `~/.aim/credentials.json`. Web: the record's name. */
  path?: string
  /** Web: the IndexedDB database name, default `aim-sdk-plaintext`. */
  database?: string
  /** Web: keep the JSON in IndexedDB (default) or only in this object's memory. */
  persistence?: 'indexeddb' | 'memory'
  /** Receives security events. */
  onEvent?: SecurityEventListener
}

/** Computes new credentials from the current ones, inside the storage's lock. */
export type CredentialsUpdate = (current: Credentials | null) => Credentials | Promise<Credentials>

/** What every credential store can do; token and agent code depend only on this. */
export interface CredentialStore {
  /** Replaces the stored credentials. */
  saveCredentials(credentials: Credentials): Promise<void>
  /** Returns the stored credentials, or `null` when there are none. */
  loadCredentials(): Promise<Credentials | null>
  /**
   * Reads, transforms and writes the credentials under a lock that other processes (Node) or
   * tabs (browser) respect, so that concurrent updates are never lost.
   */
  updateCredentials(update: CredentialsUpdate): Promise<Credentials>
  /** Removes the stored credentials. */
  deleteCredentials(): Promise<void>
  /** Whether credentials are stored. */
  credentialsExist(): Promise<boolean>
  /**
   * Runs `action` while holding this store's exclusive lock (cross-process in Node, cross-tab in
   * browsers). The lock is not re-entrant: do not call `updateCredentials` inside `action`.
   */
  withLock<T>(action: () => Promise<T>): Promise<T>
}

/**
 * What `SecureCredentialStorage` offers on every runtime. Node keeps the key in the OS keyring and
 * the credentials in an encrypted file; browsers keep non-extractable keys and the encrypted
 * credentials in IndexedDB. A method without meaning on a runtime still exists there and says so
 * in its result (`migrateToEncrypted()` resolves `false` in a browser, `requestPersistence()`
 * resolves `true` in Node, where files persist).
 */
export interface SecureCredentialStore extends CredentialStore {
  /** Encrypts a plaintext credentials file left by development mode or the Python SDK. */
  migrateToEncrypted(): Promise<boolean>
  /** Says where the encryption key comes from, and which keyring backend holds it. */
  describeKeySource(): Promise<KeySourceDescription>
  /** Takes a downloaded plaintext credentials file straight into encrypted storage. */
  importCredentials(json: string | Credentials): Promise<void>
  /** Asks the runtime to keep the stored data from eviction, where it can. */
  requestPersistence(): Promise<boolean>
}

/** Where `findPlaintextCredentialFiles` looks; defaults are the home and current folders. */
export interface PlaintextSearchOptions {
  home?: string
  cwd?: string
}
