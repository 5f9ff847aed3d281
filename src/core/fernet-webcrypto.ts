// Fernet's primitives on WebCrypto: the implementation every runtime has.

import { decodeBase64Url, encodeBase64Url } from './base64.ts'
import {
  HEADER_LENGTH,
  MAC_LENGTH,
  type Bytes,
  type FernetPrimitivesFactory,
} from './fernet-primitives.ts'

/** Creates Fernet primitives that run entirely on `crypto.subtle`. */
export const webCryptoPrimitives: FernetPrimitivesFactory = (signingKey, encryptionKey) => {
  const subtle = globalThis.crypto.subtle

  async function verify(token: Bytes): Promise<boolean> {
    const body = token.subarray(0, token.length - MAC_LENGTH)
    const mac = token.subarray(token.length - MAC_LENGTH)
    // crypto.subtle.verify compares in constant time.
    return subtle.verify('HMAC', signingKey, mac, body)
  }

  return {
    async seal(header, plaintext) {
      const iv = header.subarray(9, HEADER_LENGTH)
      const encrypted = await subtle.encrypt({ name: 'AES-CBC', iv }, encryptionKey, plaintext)
      const ciphertext = new Uint8Array(encrypted)

      const token = new Uint8Array(HEADER_LENGTH + ciphertext.length + MAC_LENGTH)
      token.set(header)
      token.set(ciphertext, HEADER_LENGTH)
      const body = token.subarray(0, HEADER_LENGTH + ciphertext.length)
      token.set(new Uint8Array(await subtle.sign('HMAC', signingKey, body)), body.length)
      return token
    },

    verify,

    async open(token) {
      if (!(await verify(token))) return undefined

      const iv = token.subarray(9, HEADER_LENGTH)
      const ciphertext = token.subarray(HEADER_LENGTH, token.length - MAC_LENGTH)
      try {
        const plaintext = await subtle.decrypt({ name: 'AES-CBC', iv }, encryptionKey, ciphertext)
        return new Uint8Array(plaintext)
      } catch {
        // Bad PKCS#7 padding. The caller reports every failure the same way.
        return undefined
      }
    },

    randomIv: () => crypto.getRandomValues(new Uint8Array(16)),
    encode: encodeBase64Url,
    decode: decodeBase64Url,
  }
}
