// Credentials as JSON text: what may be stored, and reading it back. Shared by every storage, so
// that each runtime accepts and refuses exactly the same files.

import type { Credentials } from './storage.ts'

/**
 * Checks that a value to be stored is a plain JSON object (not an array, not a primitive).
 *
 * @throws {TypeError} for anything else: a caller mistake.
 */
export function checkCredentials(credentials: unknown): asserts credentials is Credentials {
  if (typeof credentials !== 'object' || credentials === null || Array.isArray(credentials)) {
    throw new TypeError('Credentials must be a plain JSON object')
  }
}

/**
 * Parses stored credentials text, or returns `undefined` when it is not a JSON object that can
 * be written back. The reason is deliberately not kept: V8's parse errors quote the text around
 * the fault, which may be a secret.
 */
export function parseCredentialsText(text: string): Credentials | undefined {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined

  // JSON.parse accepts nesting far deeper than JSON.stringify can write back: such a value would
  // fail at the next save, far from here, so it is no credentials file either.
  try {
    JSON.stringify(value)
  } catch {
    return undefined
  }
  return value as Credentials
}
