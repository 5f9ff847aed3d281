// The errors browser storage raises, with messages that say what to do next. Each names the
// IndexedDB database concerned (never a key, token or credential value) and keeps the browser's
// own failure as `cause`.

import { AimCredentialsError } from '../core/errors.ts'

function seconds(milliseconds: number): string {
  return `${Math.round(milliseconds / 100) / 10} s`
}

/** Names the DOMException (or other failure) behind an error, without its message. */
function failureName(cause: unknown): string {
  return cause instanceof Error ? cause.name : typeof cause
}

/**
 * `ERR_STORAGE_UNAVAILABLE`: IndexedDB is missing (Deno, Bun, some workers) or refused to open
 * (private browsing, blocked site data, a sandboxed frame).
 */
export function storageUnavailable(database: string, cause?: unknown): AimCredentialsError {
  const reason =
    cause === undefined
      ? 'IndexedDB is not available in this runtime'
      : `IndexedDB refused to open the database "${database}" (${failureName(cause)})`
  return new AimCredentialsError(
    'ERR_STORAGE_UNAVAILABLE',
    `${reason}. Private browsing, blocked site data, Deno, Bun and some workers have no usable ` +
      "IndexedDB: pass an explicit `key` with `persistence: 'memory'`, or choose " +
      "`persistence: 'memory'` to keep the credentials only while this page runs",
    { cause },
  )
}

/** `ERR_STORAGE_TIMEOUT`: IndexedDB did not answer in time. */
export function storageTimeout(
  database: string,
  step: 'open' | 'transaction',
  milliseconds: number,
  blocked = false,
): AimCredentialsError {
  const what =
    step === 'open' ? `opening the database "${database}"` : `a transaction on "${database}"`
  const why = blocked
    ? 'another tab keeps an older version of it open'
    : 'the browser may be stuck or another tab may be upgrading or deleting it'
  return new AimCredentialsError(
    'ERR_STORAGE_TIMEOUT',
    `IndexedDB did not answer within ${seconds(milliseconds)} while ${what}: ${why}. ` +
      'Close the other tabs of this site and try again',
  )
}

/** `ERR_STORAGE_FAILED`: a read or write failed (quota exhausted, database of another app). */
export function storageFailed(database: string, cause: unknown): AimCredentialsError {
  const name = failureName(cause)
  const hint =
    name === 'QuotaExceededError'
      ? 'the storage quota of this site is exhausted: free some space and try again'
      : 'try again, or clear this site’s data and import the credentials again'
  return new AimCredentialsError(
    'ERR_STORAGE_FAILED',
    `IndexedDB failed on the database "${database}" (${name}): ${hint}`,
    { cause },
  )
}

/** `ERR_STORAGE_FAILED`: the database exists but was not made by this library. */
export function foreignDatabase(database: string): AimCredentialsError {
  return new AimCredentialsError(
    'ERR_STORAGE_FAILED',
    `The IndexedDB database "${database}" belongs to another application: choose another ` +
      'name with the `database` option',
  )
}

/** `ERR_KEY_LOST`: the stored credentials remain but the key that encrypted them is gone. */
export function keyLost(database: string): AimCredentialsError {
  return new AimCredentialsError(
    'ERR_KEY_LOST',
    `The encryption key of the credentials stored in "${database}" is gone (site data was ` +
      'partly cleared, or the browser evicted it) while the encrypted credentials remain, so ' +
      'they can no longer be decrypted. Import the credentials again with importCredentials()',
  )
}

/** `ERR_KEY_MISMATCH`: the credentials were encrypted with another key than the given one. */
export function keyMismatch(database: string): AimCredentialsError {
  return new AimCredentialsError(
    'ERR_KEY_MISMATCH',
    `The credentials stored in "${database}" were encrypted with a different key: pass the key ` +
      'they were saved with, or import the credentials again with importCredentials()',
  )
}

/** `ERR_CREDENTIALS_CORRUPT`: the stored record or its decrypted JSON is damaged. */
export function credentialsCorrupt(database: string, cause?: unknown): AimCredentialsError {
  return new AimCredentialsError(
    'ERR_CREDENTIALS_CORRUPT',
    `The credentials stored in "${database}" are damaged or were altered: import the ` +
      'credentials again with importCredentials()',
    { cause },
  )
}

/** `ERR_CREDENTIALS_CORRUPT`: a file given to `importCredentials` is not SDK credentials. */
export function importRejected(reason: string): AimCredentialsError {
  return new AimCredentialsError(
    'ERR_CREDENTIALS_CORRUPT',
    `The credentials to import are not an AIM SDK credentials file (${reason}): download ` +
      'sdk_credentials.json again from the AIM dashboard',
  )
}

/** `ERR_LOCK_TIMEOUT`: waiting for the credentials lock took too long. */
export function lockTimeout(lockName: string, milliseconds: number): AimCredentialsError {
  return new AimCredentialsError(
    'ERR_LOCK_TIMEOUT',
    `Waited more than ${seconds(milliseconds)} for the lock "${lockName}": another tab or ` +
      'task of this site holds it. Try again; if it persists, close the other tabs',
  )
}

/** `ERR_LOCK_TIMEOUT`: other writers kept changing the credentials during an update. */
export function updateContended(database: string, attempts: number): AimCredentialsError {
  return new AimCredentialsError(
    'ERR_LOCK_TIMEOUT',
    `The credentials in "${database}" changed under ${attempts} update attempts in a row: ` +
      'other tabs keep writing them without the lock. Try again',
  )
}
