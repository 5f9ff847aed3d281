// The credentials JSON as the Python SDK writes it: `json.dumps(credentials, indent=2)`, which
// indents by two spaces and escapes every non-ASCII character as \uXXXX, so that files written
// here are byte-for-byte the ones Python would write for the same object.

import { AimCredentialsError } from '../core/errors.ts'
import type { Credentials } from '../core/storage.ts'

/** Serialises credentials as Python's `json.dumps(credentials, indent=2)` does. */
export function serializeCredentials(credentials: Credentials): string {
  const text = JSON.stringify(credentials, null, 2)
  return text.replace(/[\u0080-\uffff]/g, (character) => {
    return `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`
  })
}

/** Checks that a value to be stored is a plain JSON object. */
export function checkCredentials(credentials: unknown): asserts credentials is Credentials {
  if (typeof credentials !== 'object' || credentials === null || Array.isArray(credentials)) {
    throw new TypeError('Credentials must be a plain object')
  }
}

/**
 * Parses stored credentials text.
 *
 * @throws {AimCredentialsError} `ERR_CREDENTIALS_CORRUPT` when the text is not a JSON object.
 */
export function parseCredentials(text: string, path: string): Credentials {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    // V8's parse errors quote the text around the fault, which may be a secret: report no cause.
    throw corrupt(path)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw corrupt(path)

  // JSON.parse accepts nesting far deeper than JSON.stringify can write back (a RangeError when
  // saving, or when migrating): such a file is no credentials file either.
  try {
    serializeCredentials(value as Credentials)
  } catch {
    throw corrupt(path)
  }
  return value as Credentials
}

function corrupt(path: string): AimCredentialsError {
  return new AimCredentialsError(
    'ERR_CREDENTIALS_CORRUPT',
    `${path} does not hold a credentials JSON object; it was left as it is. Restore it from a ` +
      'backup, or delete it and register again',
  )
}
