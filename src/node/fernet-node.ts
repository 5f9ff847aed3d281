// Fernet on node:crypto. WebCrypto in Node costs a thread-pool round trip per call, which makes a
// small token about ten times slower; node:crypto does the same work synchronously, with the same
// (even non-extractable) keys through `KeyObject.from`. Tokens are byte-for-byte identical.

import {
  createCipheriv,
  randomFillSync,
  createDecipheriv,
  createHmac,
  KeyObject,
  timingSafeEqual,
} from 'node:crypto'

import { Fernet as WebCryptoFernet, usePrimitives } from '../core/fernet.ts'
import {
  HEADER_LENGTH,
  MAC_LENGTH,
  type FernetPrimitivesFactory,
} from '../core/fernet-primitives.ts'

// IVs come from a pool of CSPRNG output, refilled 256 IVs at a time: one randomFillSync call per
// IV costs more than the AES work on a small token. Each IV is handed out once.
const ivPool = Buffer.alloc(16 * 256)
let ivOffset = ivPool.length

function randomIv(): Uint8Array<ArrayBuffer> {
  if (ivOffset === ivPool.length) {
    randomFillSync(ivPool)
    ivOffset = 0
  }
  ivOffset += 16
  return new Uint8Array(ivPool.subarray(ivOffset - 16, ivOffset))
}

const nodePrimitives: FernetPrimitivesFactory = (signingKey, encryptionKey) => {
  const hmacKey = KeyObject.from(signingKey)
  const aesKey = KeyObject.from(encryptionKey)

  function mac(token: Uint8Array): Buffer {
    return createHmac('sha256', hmacKey)
      .update(token.subarray(0, token.length - MAC_LENGTH))
      .digest()
  }

  function verify(token: Uint8Array): boolean {
    return timingSafeEqual(mac(token), token.subarray(token.length - MAC_LENGTH))
  }

  return {
    async seal(header, plaintext) {
      const cipher = createCipheriv('aes-128-cbc', aesKey, header.subarray(9, HEADER_LENGTH))
      const first = cipher.update(plaintext)
      const last = cipher.final()

      const bodyLength = HEADER_LENGTH + first.length + last.length
      const token = Buffer.allocUnsafe(bodyLength + MAC_LENGTH)
      token.set(header)
      token.set(first, HEADER_LENGTH)
      token.set(last, HEADER_LENGTH + first.length)
      createHmac('sha256', hmacKey)
        .update(token.subarray(0, bodyLength))
        .digest()
        .copy(token, bodyLength)
      return token
    },

    async verify(token) {
      return verify(token)
    },

    async open(token) {
      if (!verify(token)) return undefined

      const decipher = createDecipheriv('aes-128-cbc', aesKey, token.subarray(9, HEADER_LENGTH))
      try {
        const ciphertext = token.subarray(HEADER_LENGTH, token.length - MAC_LENGTH)
        return Buffer.concat([decipher.update(ciphertext), decipher.final()])
      } catch {
        // Bad PKCS#7 padding. The caller reports every failure the same way.
        return undefined
      }
    },

    randomIv,

    encode(token) {
      const bytes = Buffer.from(token.buffer, token.byteOffset, token.byteLength)
      return bytes.toString('base64url') + PADDING[token.length % 3]
    },

    decode: decodeCanonical,
  }
}

const URL_SAFE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

/**
 * Decodes padded URL-safe base64, or returns `undefined` for anything not canonical. Node's
 * decoder is lenient: it reads only the low byte of characters beyond ASCII, skips characters it
 * does not know (so fewer bytes come out than the length promises), accepts '+' and '/', and
 * ignores the unused low bits of the last character. Each of those is checked here, with scans
 * far cheaper than re-encoding to compare.
 */
function decodeCanonical(text: string): Uint8Array<ArrayBuffer> | undefined {
  const length = text.length
  if (length === 0 || length % 4 !== 0) return undefined
  if (Buffer.byteLength(text, 'utf8') !== length) return undefined // beyond ASCII

  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0
  const firstPad = text.indexOf('=')
  if (firstPad !== -1 && firstPad < length - padding) return undefined
  if (text.includes('+') || text.includes('/')) return undefined

  const bytes = Buffer.from(text, 'base64url')
  if (bytes.length !== (length / 4) * 3 - padding) return undefined

  // With padding, the last character before it carries 2 (one '=') or 4 (two) unused bits.
  if (padding > 0) {
    const last = URL_SAFE.indexOf(text[length - padding - 1]!)
    if ((last & (padding === 1 ? 0b11 : 0b1111)) !== 0) return undefined
  }
  return bytes
}

const PADDING = ['', '==', '='] as const

/**
 * Fernet for Node: the same class and tokens as everywhere else, computed with node:crypto.
 * {@inheritDoc WebCryptoFernet}
 */
export class Fernet extends WebCryptoFernet {}

usePrimitives(Fernet, nodePrimitives)
