// Finds the Fernet key for the secure storage: an explicit key, else AIM_ENCRYPTION_KEY, else the
// OS keyring, where a missing key is created once, under a lock, so that processes starting
// together agree on one key.

import { homedir } from 'node:os'
import { join } from 'node:path'

import { AimCredentialsError } from '../core/errors.ts'
import { FernetInvalidKeyError } from '../core/errors.ts'
import type { KeySource } from '../core/storage.ts'
import { Fernet } from './fernet-node.ts'
import {
  keyringBackend,
  PENDING_KEYRING_ACCOUNT,
  readKeyringKey,
  storeKeyringKey,
  type KeyringItem,
} from './keyring.ts'
import { withFileLock } from './lock.ts'

/** A usable key and where it came from. */
export interface ResolvedKey {
  fernet: Fernet
  source: KeySource
  backend?: string
  /** Whether this call created the key in the keyring. */
  created: boolean
  /**
   * Keyring keys only: the other keys to try when a file does not open with `fernet`, read when
   * needed: the pending key of an unfinished rotation, and the main key read afresh (another
   * process may have rotated it since this one read it).
   */
  fallbackKeys?: () => Promise<Fernet[]>
}

/** What decides where the key comes from. */
export interface KeySettings {
  provided?: string | Fernet
  keyring: KeyringItem
}

/** The environment variable that overrides the keyring, as containers and CI get secrets. */
export const ENVIRONMENT_KEY = 'AIM_ENCRYPTION_KEY'

/**
 * Where the key would come from, without touching the keyring.
 */
export function keySourceOf(settings: KeySettings): { source: KeySource; backend?: string } {
  if (settings.provided !== undefined) return { source: 'provided' }
  if (process.env[ENVIRONMENT_KEY] !== undefined) return { source: 'environment' }
  return { source: 'keyring', backend: keyringBackend() }
}

/**
 * Resolves the key. With `create`, a keyring without a key gets a new one; without it, a missing
 * key is reported as `ERR_KEY_LOST` (used when encrypted credentials already exist, which a new key
 * could never open).
 *
 * @throws {AimCredentialsError} `ERR_FERNET_INVALID_KEY` for a malformed explicit, environment or
 *   stored key; `ERR_KEY_LOST`; every `ERR_KEYRING_*` code; `ERR_LOCK_TIMEOUT`.
 */
export async function resolveKey(
  settings: KeySettings,
  options: { create: boolean },
): Promise<ResolvedKey> {
  const { source, backend } = keySourceOf(settings)

  if (settings.provided instanceof Fernet) {
    return { fernet: settings.provided, source, created: false }
  }
  if (settings.provided !== undefined) {
    return { fernet: await importKey(settings.provided, 'The key option'), source, created: false }
  }

  const fromEnvironment = process.env[ENVIRONMENT_KEY]
  if (fromEnvironment !== undefined) {
    const fernet = await importKey(fromEnvironment.trim(), ENVIRONMENT_KEY)
    return { fernet, source, created: false }
  }

  const stored = await readKeyringKey(settings.keyring)
  if (stored !== null) {
    return {
      fernet: await importKey(stored, keyName(settings.keyring)),
      source,
      backend,
      created: false,
      fallbackKeys: () => readFallbackKeys(settings.keyring, stored),
    }
  }
  if (!options.create) throw keyLost(settings.keyring)

  const created = await createKeyOnce(settings.keyring, backend)
  return { ...created, fallbackKeys: () => readFallbackKeys(settings.keyring) }
}

// A rotation stores the new key under the pending account, re-encrypts file by file, then makes
// it the main key: until it finishes (or if it crashed), a file may need either key.
async function readFallbackKeys(item: KeyringItem, known?: string): Promise<Fernet[]> {
  const candidates = [
    await readKeyringKey({ ...item, account: PENDING_KEYRING_ACCOUNT }),
    await readKeyringKey(item),
  ]
  const fresh = new Set(candidates.filter((key) => key !== null && key !== known))

  const keys: Fernet[] = []
  for (const key of fresh) keys.push(await importKey(key!, keyName(item)))
  return keys
}

// Key creation is a read-modify-write of the keyring: under a lock shared by every process of this
// user, re-read, and create only if the key is still missing. The lock lives in ~/.aim whatever
// the credentials path, because the keyring item is shared by every path.
async function createKeyOnce(item: KeyringItem, backend: string | undefined): Promise<ResolvedKey> {
  const lockPath = join(homedir(), '.aim', `.key-${safeName(item.service)}.lock`)

  return withFileLock(lockPath, async () => {
    const existing = await readKeyringKey(item)
    if (existing !== null) {
      return {
        fernet: await importKey(existing, keyName(item)),
        source: 'keyring' as const,
        backend,
        created: false,
      }
    }

    await storeKeyringKey(item, Fernet.generateKey())

    // Read back rather than trust our copy: a Python process, which takes no lock, may have
    // stored its own key at the same moment, and the keyring's answer is what everyone will use.
    const stored = await readKeyringKey(item)
    if (stored === null) throw keyLost(item)
    return {
      fernet: await importKey(stored, keyName(item)),
      source: 'keyring' as const,
      backend,
      created: true,
    }
  })
}

async function importKey(key: string, origin: string): Promise<Fernet> {
  try {
    return await Fernet.fromKey(key)
  } catch (error) {
    if (error instanceof FernetInvalidKeyError) throw new FernetInvalidKeyError(origin)
    throw error
  }
}

function keyLost(item: KeyringItem): AimCredentialsError {
  return new AimCredentialsError(
    'ERR_KEY_LOST',
    `Encrypted credentials exist but the OS keyring has no key (service "${item.service}", ` +
      `account "${item.account}"): the key was deleted or this is another keyring. Restore the ` +
      'key (or set AIM_ENCRYPTION_KEY to it); otherwise delete the credentials and register again',
  )
}

function keyName(item: KeyringItem): string {
  return `The key in the OS keyring (service "${item.service}", account "${item.account}")`
}

function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, '_')
}
