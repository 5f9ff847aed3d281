// Replaces the keyring's Fernet key and re-encrypts every encrypted credentials file, in an order
// that keeps each file decryptable with a stored key at every instant, whatever moment the process
// dies at:
//
// 1. the new key is stored under a second account (`encryption-key.next`) and read back;
// 2. with every file's storage lock held, each file is re-encrypted with the new key into a
//    temporary file that replaces it atomically, then read back and verified (old key in
//    `encryption-key`, new key in `encryption-key.next`: every file opens with one of them);
// 3. the new key replaces the main one (`encryption-key`);
// 4. the pending account is deleted: only now is the old key gone.
//
// A rotation that stopped anywhere is finished by the next one, which finds the pending key and
// reuses it; files already under it are left alone. The key storage resolves a file that does not
// open with the main key with the pending key, so nothing is unreadable in between.

import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

import { AimCredentialsError, FernetInvalidTokenError } from '../../core/errors.ts'
import { Fernet } from '../fernet-node.ts'
import { readCredentialFile, writeFileAtomically } from '../files.ts'
import { deleteKeyringKey, readKeyringKey, storeKeyringKey } from '../keyring.ts'
import { withFileLock } from '../lock.ts'
import { SecureCredentialStorage } from '../secure-storage.ts'
import { pendingKeyItem } from './key-state.ts'
import { mainKeyItem, type CliSettings } from './settings.ts'

/** What happened to one file. */
export type FileOutcome = 're-encrypted' | 'already under the new key'

/** What a rotation reports as it goes; none of it carries a key. */
export interface RotationObserver {
  /** Called before each step, e.g. "storing the new key". */
  onStep?(step: string): void
  onFile?(path: string, outcome: FileOutcome): void
}

/** The result of a rotation. */
export interface RotationResult {
  /** Whether an earlier, interrupted rotation's pending key was taken up and finished. */
  resumed: boolean
  /** The keyring held no key and there were no files: nothing was done. */
  nothingToRotate: boolean
  files: { path: string; outcome: FileOutcome }[]
}

/**
 * For tests of crash safety only: milliseconds to pause after each step, so that a test can kill
 * the process in the middle of a rotation.
 */
export const ROTATION_PAUSE_VARIABLE = 'AIM_CREDENTIALS_TEST_ROTATION_PAUSE_MS'

/**
 * Rotates the keyring key and re-encrypts `encryptedPaths` (every `.encrypted` credentials file
 * the caller found). Holds every file's storage lock and the key lock (the one key creation
 * takes) for the whole rotation.
 *
 * @throws {AimCredentialsError} `ERR_KEY_LOST` when files exist but the keyring has no key;
 *   `ERR_KEY_MISMATCH` when a file opens with neither key (the rotation stops before retiring
 *   anything); `ERR_STORAGE_FAILED` when a rewritten file does not read back (it is restored);
 *   the `ERR_KEYRING_*`, `ERR_LOCK_TIMEOUT` and file codes of the steps.
 */
export async function rotateKeyringKey(
  settings: CliSettings,
  encryptedPaths: string[],
  observer: RotationObserver = {},
): Promise<RotationResult> {
  const mainItem = mainKeyItem(settings)
  const pendingItem = pendingKeyItem(settings)
  const pause = pauseFrom(settings)
  const lockPath = join(settings.home, '.aim', `.key-${safeName(settings.keyringService)}.lock`)

  const underAllLocks = (action: () => Promise<RotationResult>) =>
    holdingStorageLocks(settings, [...encryptedPaths].sort(), () => withFileLock(lockPath, action))

  return underAllLocks(async () => {
    const mainKey = await readKeyringKey(mainItem)
    const previous = await readKeyringKey(pendingItem)
    if (mainKey === null && previous === null && encryptedPaths.length === 0) {
      return { resumed: false, nothingToRotate: true, files: [] }
    }
    if (mainKey === null) throw noKeyToRotate(settings)

    observer.onStep?.(previous ? 'resuming an interrupted rotation' : 'storing the new key')
    const newKey = previous ?? (await storeNewPendingKey(pendingItem))
    await pause()

    const oldFernet = await Fernet.fromKey(mainKey)
    const newFernet = await Fernet.fromKey(newKey)
    const files: RotationResult['files'] = []
    for (const path of encryptedPaths) {
      observer.onStep?.(`re-encrypting ${path}`)
      const outcome = await reencryptFile(path, oldFernet, newFernet)
      files.push({ path, outcome })
      observer.onFile?.(path, outcome)
      await pause()
    }

    observer.onStep?.('making the new key the main one')
    if (newKey !== mainKey) {
      await storeKeyringKey(mainItem, newKey)
      if ((await readKeyringKey(mainItem)) !== newKey) throw keyringReadBackFailed(settings)
    }
    await pause()

    observer.onStep?.('retiring the old key')
    await deleteKeyringKey(pendingItem)
    return { resumed: previous !== null, nothingToRotate: false, files }
  })
}

async function storeNewPendingKey(item: Parameters<typeof storeKeyringKey>[0]): Promise<string> {
  const key = Fernet.generateKey()
  await storeKeyringKey(item, key)

  const stored = await readKeyringKey(item)
  if (stored !== key) {
    throw new AimCredentialsError(
      'ERR_KEYRING_FAILED',
      `The OS keyring did not return the new key stored under account "${item.account}"; ` +
        'nothing was re-encrypted. Check the keyring service and run rotate-key again',
    )
  }
  return key
}

// Every storage lock is held for the whole rotation (taken in path order, before the key lock,
// the order a storage that creates a key uses too), so that no other process writes a file with
// the old key after it was re-encrypted.
async function holdingStorageLocks<T>(
  settings: CliSettings,
  encryptedPaths: string[],
  action: () => Promise<T>,
): Promise<T> {
  const [first, ...rest] = encryptedPaths
  if (first === undefined) return action()

  const storage = new SecureCredentialStorage({
    path: first.replace(/\.encrypted$/, '.json'),
    keyringService: settings.keyringService,
  })
  return storage.withLock(() => holdingStorageLocks(settings, rest, action))
}

async function reencryptFile(
  encryptedPath: string,
  oldFernet: Fernet,
  newFernet: Fernet,
): Promise<FileOutcome> {
  const original = await readCredentialFile(encryptedPath, { private: false })
  if (original === undefined) return 'already under the new key'
  const token = original.trim()

  if (await opensWith(newFernet, token)) return 'already under the new key'
  const plaintext = await decryptOrUndefined(oldFernet, token)
  if (plaintext === undefined) throw opensWithNeither(encryptedPath)

  await writeFileAtomically(encryptedPath, await newFernet.encrypt(plaintext))

  const written = await readCredentialFile(encryptedPath, { private: false })
  const check =
    written === undefined ? undefined : await decryptOrUndefined(newFernet, written.trim())
  if (check === undefined || !sameBytes(check, plaintext)) {
    await writeFileAtomically(encryptedPath, original)
    throw new AimCredentialsError(
      'ERR_STORAGE_FAILED',
      `${encryptedPath} did not read back correctly after re-encryption; the old content was ` +
        'put back and no key was retired. Check the disk and run rotate-key again',
    )
  }
  return 're-encrypted'
}

async function opensWith(fernet: Fernet, token: string): Promise<boolean> {
  return (await decryptOrUndefined(fernet, token)) !== undefined
}

async function decryptOrUndefined(fernet: Fernet, token: string): Promise<Uint8Array | undefined> {
  try {
    return await fernet.decrypt(token)
  } catch (error) {
    if (error instanceof FernetInvalidTokenError) return undefined
    throw error
  }
}

function sameBytes(left: Uint8Array, right: Uint8Array): boolean {
  return left.length === right.length && left.every((byte, index) => byte === right[index])
}

function pauseFrom(settings: CliSettings): () => Promise<void> {
  const milliseconds = Number(settings.env[ROTATION_PAUSE_VARIABLE] ?? 0)
  return async () => {
    if (milliseconds > 0) await sleep(milliseconds)
  }
}

function noKeyToRotate(settings: CliSettings): AimCredentialsError {
  return new AimCredentialsError(
    'ERR_KEY_LOST',
    `Encrypted credentials exist but the OS keyring has no key (service ` +
      `"${settings.keyringService}"), so they cannot be re-encrypted; restore the key first (or ` +
      'delete the credentials and register again)',
  )
}

function opensWithNeither(path: string): AimCredentialsError {
  return new AimCredentialsError(
    'ERR_KEY_MISMATCH',
    `${path} opens with neither the current key nor the new one, so it was left as it is and no ` +
      'key was retired; restore that file from a backup (or delete it), then run rotate-key again',
  )
}

function keyringReadBackFailed(settings: CliSettings): AimCredentialsError {
  return new AimCredentialsError(
    'ERR_KEYRING_FAILED',
    `The OS keyring (service "${settings.keyringService}") did not return the new key after ` +
      'storing it; both keys are kept. Check the keyring service and run rotate-key again',
  )
}

// The same lock name key creation uses, so that no key is created while one is being rotated.
function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, '_')
}
