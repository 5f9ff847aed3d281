// Reading the encrypted credentials file, and moving a plaintext credentials file (development
// mode, or the Python SDK's) into it: encrypt, write atomically, read back and verify, and only
// then overwrite and remove the plaintext.

import { AimCredentialsError, FernetInvalidTokenError } from '../core/errors.ts'
import type { Credentials } from '../core/storage.ts'
import { parseCredentials, serializeCredentials } from './credential-json.ts'
import {
  overwriteAndRemove,
  pathExists,
  readCredentialFile,
  removeFile,
  writeFileAtomically,
} from './files.ts'
import type { ResolvedKey } from './key-source.ts'

/** The smallest Fernet token: version, time, IV, one AES block, HMAC. */
const MIN_TOKEN_BYTES = 1 + 8 + 16 + 16 + 32

/**
 * Decrypts the encrypted file's text into credentials.
 *
 * @throws {AimCredentialsError} `ERR_KEY_MISMATCH` when the file is a Fernet token made with
 *   another key; `ERR_CREDENTIALS_CORRUPT` when it is not a Fernet token at all, or decrypts to
 *   something that is not a JSON object. The file is never changed.
 */
export async function decryptCredentials(
  fileText: string,
  key: ResolvedKey,
  path: string,
): Promise<Credentials> {
  const token = fileText.trim()
  if (!looksLikeFernetToken(token)) {
    throw new AimCredentialsError(
      'ERR_CREDENTIALS_CORRUPT',
      `${path} is not a Fernet token (it is truncated or was overwritten); it was left as it is. ` +
        'Restore it from a backup, or delete it and register again',
    )
  }

  let plaintext: Uint8Array
  try {
    plaintext = await decryptWithAnyKey(token, key)
  } catch (error) {
    if (!(error instanceof FernetInvalidTokenError)) throw error
    throw new AimCredentialsError(
      'ERR_KEY_MISMATCH',
      `${path} was encrypted with a different key than the one from the ${key.source}` +
        `${key.backend ? ` (${key.backend})` : ''}: the key changed. Restore the original key ` +
        '(or set AIM_ENCRYPTION_KEY to it), or delete the credentials and register again. ' +
        'The file was left as it is',
      { cause: error },
    )
  }

  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(plaintext)
  } catch {
    // The decoder's error says nothing useful, and the bytes are secret.
    text = ''
  }
  return parseCredentials(text, path)
}

// The resolved key first; then, only if it fails, the keys of a rotation in progress or one that
// another process finished since this key was read.
async function decryptWithAnyKey(token: string, key: ResolvedKey): Promise<Uint8Array> {
  try {
    return await key.fernet.decrypt(token)
  } catch (error) {
    if (!(error instanceof FernetInvalidTokenError) || !key.fallbackKeys) throw error

    for (const fallback of await key.fallbackKeys()) {
      try {
        return await fallback.decrypt(token)
      } catch (fallbackError) {
        if (!(fallbackError instanceof FernetInvalidTokenError)) throw fallbackError
      }
    }
    throw error
  }
}

function looksLikeFernetToken(token: string): boolean {
  if (!/^[A-Za-z0-9_-]+={0,2}$/.test(token)) return false
  const bytes = Buffer.from(token, 'base64url')
  return (
    bytes.length >= MIN_TOKEN_BYTES &&
    (bytes.length - MIN_TOKEN_BYTES) % 16 === 0 &&
    bytes[0] === 0x80
  )
}

/** What migration needs from the storage. */
export interface MigrationPlan {
  plaintextPath: string
  encryptedPath: string
  resolveKey: () => Promise<ResolvedKey>
}

/**
 * Moves the plaintext credentials into the encrypted file; resolves `false` when there is no
 * plaintext file. Must run under the storage's lock. When both files exist, the plaintext is
 * removed only if it holds the same credentials as the encrypted file.
 *
 * @throws {AimCredentialsError} `ERR_MIGRATION_FAILED` when the written file does not read back,
 *   or when both files exist and differ; the key and file codes of the steps. On any failure the
 *   plaintext file is left exactly as it was.
 */
export async function migratePlaintext(plan: MigrationPlan): Promise<boolean> {
  const plaintext = await readCredentialFile(plan.plaintextPath, { private: true })
  if (plaintext === undefined) return false

  // A migration killed between overwriting the plaintext and unlinking it leaves the file
  // zero-filled, and only after the encrypted copy was verified: finish that removal.
  if (/^\0+$/.test(plaintext) && (await pathExists(plan.encryptedPath))) {
    await removeFile(plan.plaintextPath)
    return true
  }
  const credentials = parseCredentials(plaintext, plan.plaintextPath)
  const expected = serializeCredentials(credentials)

  const existing = await readCredentialFile(plan.encryptedPath, { private: false })
  if (existing !== undefined) {
    const stored = await decryptCredentials(existing, await plan.resolveKey(), plan.encryptedPath)
    if (serializeCredentials(stored) !== expected) {
      throw new AimCredentialsError(
        'ERR_MIGRATION_FAILED',
        `Both ${plan.plaintextPath} and ${plan.encryptedPath} exist and hold different ` +
          'credentials; nothing was changed. Keep the one you want (delete the other) and ' +
          'migrate again',
      )
    }
    await overwriteAndRemove(plan.plaintextPath)
    return true
  }

  const key = await plan.resolveKey()
  await writeFileAtomically(plan.encryptedPath, await key.fernet.encrypt(expected))
  await verifyWritten(plan, key, expected)

  await overwriteAndRemove(plan.plaintextPath)
  return true
}

async function verifyWritten(
  plan: MigrationPlan,
  key: ResolvedKey,
  expected: string,
): Promise<void> {
  let matches = false
  try {
    const written = await readCredentialFile(plan.encryptedPath, { private: false })
    const decrypted = await key.fernet.decrypt((written ?? '').trim())
    matches = new TextDecoder().decode(decrypted) === expected
  } catch {
    // Any failure to read back counts as a mismatch, reported below.
    matches = false
  }
  if (matches) return

  // The encrypted copy is wrong: remove it so that the plaintext stays the only, intact copy.
  await removeFile(plan.encryptedPath)
  throw new AimCredentialsError(
    'ERR_MIGRATION_FAILED',
    `The encrypted copy of ${plan.plaintextPath} did not read back correctly; the plaintext file ` +
      'was kept unchanged. Check the disk and try again',
  )
}
