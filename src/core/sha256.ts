// Hex SHA-256 of a string on WebCrypto: how stored credentials name a refresh token without
// holding it (`sharedAccessToken.refreshTokenSha256`, the list of refused refresh tokens).

const encoder = new TextEncoder()

/**
 * Returns the lower-case hex SHA-256 of the UTF-8 bytes of `text`.
 *
 * @param text Any string, typically a refresh token.
 * @example
 * ```ts
 * await sha256Hex('abc') // 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
 * ```
 */
export async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(text)))
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, '0')).join('')
}
