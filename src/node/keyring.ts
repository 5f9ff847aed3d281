// The encryption key's home in the OS keyring, through @napi-rs/keyring: the Keychain on macOS,
// the Credential Manager on Windows, the Secret Service on Linux (pinned: never the kernel
// keyutils store, which forgets everything at reboot). Every failure becomes a typed error that
// says what to do.

import { createRequire } from 'node:module'

import type { AsyncEntry } from '@napi-rs/keyring'

import { AimCredentialsError, type ErrorCode } from '../core/errors.ts'

/** The keyring item that holds the key: the Python SDK's service and account by default. */
export interface KeyringItem {
  service: string
  account: string
  /** How long one keyring call may take, in milliseconds. */
  timeoutMs: number
}

/** The Python SDK's keyring service name. */
export const DEFAULT_KEYRING_SERVICE = 'aim-sdk'
/** The Python SDK's keyring account (`username`) for the key. */
export const KEYRING_ACCOUNT = 'encryption-key'
/**
 * The account of the new key while `aim-credentials rotate-key` runs: stored before any file is
 * re-encrypted, removed once the new key is the main one. Found after a crash, it opens the files
 * already re-encrypted, and the next rotation finishes with it.
 */
export const PENDING_KEYRING_ACCOUNT = `${KEYRING_ACCOUNT}.next`
/** The default bound on one keyring call; an unanswered unlock prompt ends here. */
export const DEFAULT_KEYRING_TIMEOUT_MS = 20_000

/** The keyring backend this platform uses: `secret-service`, `keychain` or `windows-credential`. */
export function keyringBackend(): string {
  if (process.platform === 'darwin') return 'keychain'
  if (process.platform === 'win32') return 'windows-credential'
  return 'secret-service'
}

const REMEDIES =
  'start a Secret Service (gnome-keyring, KeePassXC) in this session, or set AIM_ENCRYPTION_KEY ' +
  'to a Fernet key from your secret manager, or use PlaintextCredentialStorage for development only'

/**
 * Reads the key string from the keyring, or `null` when there is none. Two items for the same
 * service and account (Python's keyring and this library may each create one) are accepted when
 * they hold the same key.
 *
 * @throws {AimCredentialsError} `ERR_KEYRING_UNAVAILABLE`, `ERR_KEYRING_LOCKED`,
 *   `ERR_KEYRING_TIMEOUT`, `ERR_KEYRING_BINDING_MISSING`, `ERR_KEYRING_CONFLICT`,
 *   `ERR_KEYRING_FAILED`.
 */
export async function readKeyringKey(item: KeyringItem): Promise<string | null> {
  const entry = await openEntry(item)
  try {
    return await bounded(item, (signal) => entry.getPassword(signal))
  } catch (error) {
    if (!isAmbiguous(error)) throw keyringError(error, 'read', item)
    return resolveDuplicates(item, error)
  }
}

/**
 * Stores the key string in the keyring.
 *
 * @throws {AimCredentialsError} the same codes as {@link readKeyringKey}.
 */
export async function storeKeyringKey(item: KeyringItem, key: string): Promise<void> {
  const entry = await openEntry(item)
  try {
    await bounded(item, (signal) => entry.setPassword(key, signal))
  } catch (error) {
    if (isAmbiguous(error)) throw conflictError(item, 2, error)
    throw keyringError(error, 'store', item)
  }
}

/**
 * Removes the key from the keyring; returns whether there was one. For tests and for deliberate
 * resets only: every file encrypted with the key becomes unreadable.
 */
export async function deleteKeyringKey(item: KeyringItem): Promise<boolean> {
  const entry = await openEntry(item)
  try {
    return await bounded(item, (signal) => entry.deletePassword(signal))
  } catch (error) {
    throw keyringError(error, 'delete', item)
  }
}

type Binding = typeof import('@napi-rs/keyring')

let bindingPromise: Promise<Binding> | undefined

// Loaded on first use, with require: importing the CommonJS binding through ESM makes Node parse
// its loader for exports first, which took four times as long as the require itself.
function loadBinding(): Promise<Binding> {
  return new Promise((resolve) => resolve(createRequire(import.meta.url)('@napi-rs/keyring')))
}

async function openEntry(item: KeyringItem): Promise<AsyncEntry> {
  bindingPromise ??= loadBinding()
  let binding
  try {
    binding = await bindingPromise
  } catch (cause) {
    bindingPromise = undefined
    throw new AimCredentialsError(
      'ERR_KEYRING_BINDING_MISSING',
      `The native keyring binding (@napi-rs/keyring) is not installed for ` +
        `${process.platform}-${process.arch}; reinstall with optional dependencies ` +
        '(npm install --include=optional), or set AIM_ENCRYPTION_KEY',
      { cause },
    )
  }

  try {
    return new binding.AsyncEntry(item.service, item.account, {
      linux: { store: 'secret-service' },
    })
  } catch (cause) {
    // The entry is built only when its store answers: on Linux a failure here means no D-Bus
    // session, no Secret Service on it, or one that does not reply.
    const error = keyringError(cause, 'read', item)
    throw error.code === 'ERR_KEYRING_FAILED' ? unavailableError(cause) : error
  }
}

async function resolveDuplicates(item: KeyringItem, ambiguity: unknown): Promise<string> {
  const { findCredentialsAsync } = await bindingPromise!
  let found
  try {
    found = await bounded(item, (signal) => findCredentialsAsync(item.service, null, signal))
  } catch (error) {
    throw keyringError(error, 'read', item)
  }

  const keys = new Set(
    found.filter((each) => each.account === item.account).map((each) => each.password),
  )
  if (keys.size === 1) return [...keys][0]!
  throw conflictError(item, keys.size, ambiguity)
}

// Each call gets an abort signal and a timer: a prompt nobody answers, or a frozen daemon, must
// not hang the caller forever.
async function bounded<T>(
  item: KeyringItem,
  call: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController()
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort()
      reject(timeoutError(item))
    }, item.timeoutMs)
  })

  try {
    return await Promise.race([call(controller.signal), timeout])
  } finally {
    clearTimeout(timer)
  }
}

function isAmbiguous(error: unknown): boolean {
  return /matched by \d+ credentials|ambiguous/i.test(messageOf(error))
}

function keyringError(error: unknown, operation: string, item: KeyringItem): AimCredentialsError {
  if (error instanceof AimCredentialsError) return error

  const message = messageOf(error)
  // The binding's own D-Bus calls give up after a few seconds without an answer.
  if (/did not receive a reply|timed out|timeout/i.test(message)) return timeoutError(item, error)
  if (/unlock prompt|is locked|locked collection|interaction is not allowed/i.test(message)) {
    const done = operation === 'store' ? 'stored' : 'read'
    return new AimCredentialsError(
      'ERR_KEYRING_LOCKED',
      `The OS keyring is locked, so the encryption key could not be ${done}; ` +
        'unlock it (log in to the desktop session, or unlock the login keyring) and try again. ' +
        'No key was created and nothing was written',
      { cause: error },
    )
  }
  if (/platform storage|platform failure|dbus|no storage access/i.test(message)) {
    return unavailableError(error)
  }
  return new AimCredentialsError(
    'ERR_KEYRING_FAILED',
    `The OS keyring failed to ${operation} the encryption key; check the keyring service, or ` +
      'set AIM_ENCRYPTION_KEY',
    { cause: error },
  )
}

function timeoutError(item: KeyringItem, cause?: unknown): AimCredentialsError {
  return new AimCredentialsError(
    'ERR_KEYRING_TIMEOUT',
    `The OS keyring did not answer in time (limit ${item.timeoutMs / 1000} s; an unanswered ` +
      'unlock prompt, or a frozen keyring daemon); answer the prompt or restart the keyring ' +
      'service and try again, or set AIM_ENCRYPTION_KEY. Nothing was written',
    { cause },
  )
}

function unavailableError(cause: unknown): AimCredentialsError {
  const backend = keyringBackend()
  return new AimCredentialsError(
    'ERR_KEYRING_UNAVAILABLE' satisfies ErrorCode,
    `No OS keyring is available to hold the encryption key (${backend}` +
      `${backend === 'secret-service' ? ' over the D-Bus session bus' : ''}); ${REMEDIES}. ` +
      'Nothing was written',
    { cause },
  )
}

function conflictError(item: KeyringItem, count: number, cause: unknown): AimCredentialsError {
  return new AimCredentialsError(
    'ERR_KEYRING_CONFLICT',
    `The OS keyring holds ${count} different keys for service "${item.service}", account ` +
      `"${item.account}" (Python's keyring and this library can each create one). Keep the one ` +
      'your encrypted credentials were made with and delete the others (on Linux: ' +
      `\`secret-tool search --all service ${item.service} username ${item.account}\`)`,
    { cause },
  )
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
