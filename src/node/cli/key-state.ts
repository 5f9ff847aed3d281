// Looks at the keys in the OS keyring without ever showing them: whether the main key is there,
// and whether a pending key from an unfinished `rotate-key` is waiting.

import { PENDING_KEYRING_ACCOUNT, readKeyringKey, type KeyringItem } from '../keyring.ts'
import { failureOf, type ReadFailure } from './credential-summary.ts'
import { keyFromEnvironment, mainKeyItem, type CliSettings } from './settings.ts'

/** What the keyring holds, secret-free. */
export interface KeyState {
  /** `environment`: AIM_ENCRYPTION_KEY is set and the keyring was not consulted. */
  key: 'present' | 'missing' | 'environment' | 'unreadable'
  /** A key from an interrupted rotation is stored. */
  pendingKey: boolean
  error?: ReadFailure
}

/** The keyring item of the pending key. */
export function pendingKeyItem(settings: CliSettings): KeyringItem {
  return { ...mainKeyItem(settings), account: PENDING_KEYRING_ACCOUNT }
}

/** Reads which keys the keyring holds; never throws (a failure is reported in `error`). */
export async function readKeyState(settings: CliSettings): Promise<KeyState> {
  if (keyFromEnvironment(settings)) return { key: 'environment', pendingKey: false }

  try {
    const main = await readKeyringKey(mainKeyItem(settings))
    const pending = await readKeyringKey(pendingKeyItem(settings))
    return { key: main === null ? 'missing' : 'present', pendingKey: pending !== null }
  } catch (error) {
    return { key: 'unreadable', pendingKey: false, error: failureOf(error) }
  }
}
