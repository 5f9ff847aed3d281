// Fernet symmetric encryption (https://github.com/fernet/spec), on WebCrypto keys, with the exact
// semantics of Python's `cryptography.fernet`: the token format, the time checks and the key form.

import { decodeBase64Url, encodeBase64Url } from './base64.ts'
import { classRegistry } from './class-registry.ts'
import { FernetInvalidKeyError, FernetInvalidTokenError } from './errors.ts'
import {
  BLOCK_LENGTH,
  HEADER_LENGTH,
  MAC_LENGTH,
  VERSION,
  type Bytes,
  type FernetPrimitives,
  type FernetPrimitivesFactory,
} from './fernet-primitives.ts'
import { webCryptoPrimitives } from './fernet-webcrypto.ts'

/** Options for creating a Fernet instance. */
export interface FernetKeyOptions {
  /**
   * Whether the WebCrypto keys may be exported later. Default `false`: the key bytes cannot be
   * read back out of the `CryptoKey`s, even by code running in the same page.
   */
  extractable?: boolean
}

/** Options for {@link Fernet.encrypt}. */
export interface FernetEncryptOptions {
  /** The token's timestamp, in Unix seconds. Default: the current time. */
  now?: number
}

/** Options for {@link Fernet.decrypt}. */
export interface FernetDecryptOptions {
  /**
   * The maximum age of the token, in seconds. A token exactly `ttl` seconds old is accepted; one
   * a second older is not. Without `ttl` the timestamp is not checked at all.
   */
  ttl?: number
  /** The current time in Unix seconds, for the `ttl` check. Default: the clock. */
  now?: number
}

/** How far in the future a token's timestamp may lie, as in Python's `cryptography`. */
const MAX_CLOCK_SKEW = 60
const KEY_LENGTH = 32
const MIN_TOKEN_LENGTH = HEADER_LENGTH + BLOCK_LENGTH + MAC_LENGTH

const HMAC_ALGORITHM = { name: 'HMAC', hash: 'SHA-256', length: 128 } as const
const AES_ALGORITHM = { name: 'AES-CBC', length: 128 } as const

/** Encrypts with a fixed IV. Internal: tests use it to reproduce the specification's vectors. */
export let encryptWithIv: (
  fernet: Fernet,
  data: Uint8Array | string,
  now: number,
  iv: Uint8Array,
) => Promise<string>

/**
 * A Fernet key and the operations it allows: encrypt, decrypt and check tokens.
 *
 * Tokens are interchangeable with Python's `cryptography.fernet.Fernet` in both directions.
 *
 * @example
 * ```ts
 * const fernet = await Fernet.fromKey(Fernet.generateKey())
 * const token = await fernet.encrypt('{"refreshToken": "…"}')
 * const json = new TextDecoder().decode(await fernet.decrypt(token))
 * ```
 */
// The primitives each class uses: the Node entry registers node:crypto for its subclass.
const primitivesByClass = classRegistry<FernetPrimitivesFactory>()

/** Makes `subclass` (and its subclasses) use `factory`. Internal: for the Node entry. */
export function usePrimitives(subclass: typeof Fernet, factory: FernetPrimitivesFactory): void {
  primitivesByClass.register(subclass, factory)
}

export class Fernet {
  readonly #signingKey: CryptoKey
  readonly #encryptionKey: CryptoKey
  readonly #primitives: FernetPrimitives

  protected constructor(signingKey: CryptoKey, encryptionKey: CryptoKey) {
    checkKeyAlgorithms(signingKey, encryptionKey)
    this.#signingKey = signingKey
    this.#encryptionKey = encryptionKey
    const primitives = primitivesByClass.lookup(new.target) ?? webCryptoPrimitives
    this.#primitives = primitives(signingKey, encryptionKey)
  }

  /**
   * Generates a new random key in the form Python's `Fernet.generate_key()` returns: 32 bytes of
   * URL-safe base64 with padding, 44 characters.
   *
   * > [!WARNING]
   * > The key is a plain string, readable by any code that holds it. Prefer
   * > {@link Fernet.generate} when the key never needs to leave this runtime.
   */
  static generateKey(): string {
    return encodeBase64Url(crypto.getRandomValues(new Uint8Array(KEY_LENGTH)))
  }

  /**
   * Generates a new key directly as WebCrypto keys, non-extractable unless asked: the key bytes
   * never exist outside the crypto implementation.
   */
  static async generate(options?: FernetKeyOptions): Promise<Fernet> {
    const extractable = options?.extractable ?? false
    const [signingKey, encryptionKey] = await Promise.all([
      crypto.subtle.generateKey(HMAC_ALGORITHM, extractable, ['sign', 'verify']),
      crypto.subtle.generateKey(AES_ALGORITHM, extractable, ['encrypt', 'decrypt']),
    ])
    return new this(signingKey, encryptionKey)
  }

  /**
   * Imports a key: the 44-character string Python's Fernet uses, or its 32 raw bytes.
   *
   * @throws {FernetInvalidKeyError} `ERR_FERNET_INVALID_KEY` when the key is not 32 bytes of
   *   padded URL-safe base64 (or a 32-byte array).
   */
  static async fromKey(key: string | Uint8Array, options?: FernetKeyOptions): Promise<Fernet> {
    if (typeof key !== 'string' && !(key instanceof Uint8Array)) {
      throw new TypeError('A Fernet key must be a string or a Uint8Array')
    }
    const bytes = typeof key === 'string' ? decodeBase64Url(key) : new Uint8Array(key)
    if (bytes?.length !== KEY_LENGTH) throw new FernetInvalidKeyError()

    const extractable = options?.extractable ?? false
    const [signingKey, encryptionKey] = await Promise.all([
      crypto.subtle.importKey('raw', bytes.slice(0, 16), HMAC_ALGORITHM, extractable, [
        'sign',
        'verify',
      ]),
      crypto.subtle.importKey('raw', bytes.slice(16), AES_ALGORITHM, extractable, [
        'encrypt',
        'decrypt',
      ]),
    ])
    return new this(signingKey, encryptionKey)
  }

  /**
   * Wraps existing WebCrypto keys, such as non-extractable keys kept in IndexedDB.
   *
   * @param signingKey - an HMAC SHA-256 key of 128 bits, usable to sign and verify.
   * @param encryptionKey - an AES-CBC key of 128 bits, usable to encrypt and decrypt.
   * @throws {TypeError} when a key has the wrong algorithm, length or usages.
   */
  static fromCryptoKeys(signingKey: CryptoKey, encryptionKey: CryptoKey): Fernet {
    return new this(signingKey, encryptionKey)
  }

  /** The HMAC-SHA256 signing key (the first half of a Fernet key). */
  get signingKey(): CryptoKey {
    return this.#signingKey
  }

  /** The AES-128-CBC encryption key (the second half of a Fernet key). */
  get encryptionKey(): CryptoKey {
    return this.#encryptionKey
  }

  /**
   * Encrypts and authenticates `data` (a string is encoded as UTF-8) into a Fernet token.
   *
   * @returns the token as padded URL-safe base64, as Python's Fernet requires.
   */
  async encrypt(data: Uint8Array | string, options?: FernetEncryptOptions): Promise<string> {
    const now = options?.now ?? currentTime()
    return this.#encrypt(data, now, this.#primitives.randomIv())
  }

  /**
   * Verifies and decrypts a Fernet token.
   *
   * The MAC is checked, in constant time, before anything is decrypted.
   *
   * @throws {FernetInvalidTokenError} `ERR_FERNET_INVALID_TOKEN`, with one fixed message, for
   *   any failure: malformed, wrong version, too old or too far in the future (only with `ttl`),
   *   wrong key, or bad padding.
   */
  async decrypt(token: string, options?: FernetDecryptOptions): Promise<Uint8Array> {
    const bytes = this.#decodeToken(token)
    checkTime(bytes, options)

    const plaintext = await this.#primitives.open(bytes)
    if (plaintext === undefined) throw new FernetInvalidTokenError()
    return plaintext
  }

  /**
   * Returns a token's timestamp in Unix seconds, after checking its MAC.
   *
   * @throws {FernetInvalidTokenError} `ERR_FERNET_INVALID_TOKEN` when the token is malformed or
   *   was not made with this key.
   */
  async extractTimestamp(token: string): Promise<number> {
    const bytes = this.#decodeToken(token)
    if (!(await this.#primitives.verify(bytes))) throw new FernetInvalidTokenError()
    return readTimestamp(bytes)
  }

  /** Keeps the key out of logs: `String(fernet)` and `JSON.stringify` show no key material. */
  toString(): string {
    return 'Fernet { key: [redacted] }'
  }

  toJSON(): string {
    return this.toString()
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString()
  }

  async #encrypt(data: Uint8Array | string, now: number, iv: Uint8Array): Promise<string> {
    const plaintext = toBytes(data)
    if (!Number.isSafeInteger(now) || now < 0) {
      throw new RangeError('now must be a non-negative whole number of Unix seconds')
    }

    const header = new Uint8Array(HEADER_LENGTH)
    const view = new DataView(header.buffer)
    header[0] = VERSION
    view.setUint32(1, Math.floor(now / 2 ** 32))
    view.setUint32(5, now >>> 0)
    header.set(iv, 9)

    return this.#primitives.encode(await this.#primitives.seal(header, plaintext))
  }

  #decodeToken(token: string): Bytes {
    if (typeof token !== 'string') throw new TypeError('A Fernet token must be a string')

    const bytes = this.#primitives.decode(token)
    const wellFormed =
      bytes !== undefined &&
      bytes.length >= MIN_TOKEN_LENGTH &&
      (bytes.length - HEADER_LENGTH - MAC_LENGTH) % BLOCK_LENGTH === 0 &&
      bytes[0] === VERSION
    if (!wellFormed) throw new FernetInvalidTokenError()
    return bytes
  }

  static {
    encryptWithIv = (fernet, data, now, iv) => fernet.#encrypt(data, now, iv)
  }
}

function toBytes(data: Uint8Array | string): Bytes {
  if (typeof data === 'string') return new TextEncoder().encode(data)
  if (!(data instanceof Uint8Array)) throw new TypeError('Fernet encrypts a string or a Uint8Array')
  // WebCrypto refuses views of a SharedArrayBuffer.
  return data.buffer instanceof ArrayBuffer ? (data as Bytes) : new Uint8Array(data)
}

function currentTime(): number {
  return Math.floor(Date.now() / 1000)
}

function readTimestamp(token: Uint8Array): number {
  const view = new DataView(token.buffer, token.byteOffset, token.byteLength)
  return view.getUint32(1) * 2 ** 32 + view.getUint32(5)
}

function checkTime(token: Uint8Array, options: FernetDecryptOptions | undefined): void {
  const ttl = options?.ttl
  if (ttl === undefined) return
  if (!Number.isSafeInteger(ttl)) throw new RangeError('ttl must be a whole number of seconds')

  const now = options?.now ?? currentTime()
  if (!Number.isSafeInteger(now)) throw new RangeError('now must be a whole number of seconds')

  const timestamp = readTimestamp(token)
  if (timestamp + ttl < now || now + MAX_CLOCK_SKEW < timestamp) {
    throw new FernetInvalidTokenError()
  }
}

function checkKeyAlgorithms(signingKey: CryptoKey, encryptionKey: CryptoKey): void {
  const signing = signingKey?.algorithm as HmacKeyAlgorithm | undefined
  const encryption = encryptionKey?.algorithm as AesKeyAlgorithm | undefined
  const signingOk =
    signing?.name === 'HMAC' &&
    signing.hash.name === 'SHA-256' &&
    signing.length === 128 &&
    signingKey.usages.includes('sign') &&
    signingKey.usages.includes('verify')
  const encryptionOk =
    encryption?.name === 'AES-CBC' &&
    encryption.length === 128 &&
    encryptionKey.usages.includes('encrypt') &&
    encryptionKey.usages.includes('decrypt')

  if (!signingOk || !encryptionOk) {
    throw new TypeError(
      'Fernet needs a 128-bit HMAC SHA-256 key (sign, verify) and a 128-bit AES-CBC key ' +
        '(encrypt, decrypt)',
    )
  }
}
