// The credentials JSON as the Python SDK writes it: `json.dumps(credentials, indent=2)`, which
// indents by two spaces and escapes every non-ASCII character as \uXXXX, so that files written
// here are byte-for-byte the ones Python would write for the same object.

import { parseCredentialsText } from '../core/credentials-json.ts'
import { AimCredentialsError } from '../core/errors.ts'
import type { Credentials } from '../core/storage.ts'

export { checkCredentials } from '../core/credentials-json.ts'

/** Serialises credentials as Python's `json.dumps(credentials, indent=2)` does. */
export function serializeCredentials(credentials: Credentials): string {
  const text = JSON.stringify(credentials, null, 2)
  return text.replace(/[\u0080-\uffff]/g, (character) => {
    return `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`
  })
}

/**
 * Parses stored credentials text.
 *
 * @throws {AimCredentialsError} `ERR_CREDENTIALS_CORRUPT` when the text is not a JSON object.
 */
export function parseCredentials(text: string, path: string): Credentials {
  const credentials = parseCredentialsText(text)
  if (!credentials) throw corrupt(path)
  return credentials
}

function corrupt(path: string): AimCredentialsError {
  return new AimCredentialsError(
    'ERR_CREDENTIALS_CORRUPT',
    `${path} does not hold a credentials JSON object; it was left as it is. Restore it from a ` +
      'backup, or delete it and register again',
  )
}
