// Several Fernet keys used together, for key rotation: the first key encrypts, any key decrypts.

import { FernetInvalidTokenError } from './errors.ts'
import { Fernet, encryptWithIv, type FernetDecryptOptions } from './fernet.ts'

/**
 * A list of Fernet keys for rotation: tokens are made with the first key and accepted from any.
 *
 * @example
 * ```ts
 * const rotation = new MultiFernet([newKey, oldKey])
 * const fresh = await rotation.rotate(oldToken) // now under newKey, same timestamp
 * ```
 */
export class MultiFernet {
  readonly #fernets: readonly Fernet[]

  /** @throws {RangeError} when the list is empty. */
  constructor(fernets: readonly Fernet[]) {
    if (!Array.isArray(fernets) || !fernets.every((fernet) => fernet instanceof Fernet)) {
      throw new TypeError('MultiFernet takes an array of Fernet instances')
    }
    if (fernets.length === 0) throw new RangeError('MultiFernet needs at least one Fernet key')
    this.#fernets = [...fernets]
  }

  /** Encrypts with the first key. */
  encrypt(data: Uint8Array | string, options?: { now?: number }): Promise<string> {
    return this.#fernets[0]!.encrypt(data, options)
  }

  /**
   * Decrypts with the first key that accepts the token.
   *
   * @throws {FernetInvalidTokenError} `ERR_FERNET_INVALID_TOKEN` when no key accepts it.
   */
  async decrypt(token: string, options?: FernetDecryptOptions): Promise<Uint8Array> {
    return (await this.#decryptAny(token, options)).plaintext
  }

  /**
   * Returns a token's timestamp after checking its MAC with any of the keys.
   *
   * @throws {FernetInvalidTokenError} `ERR_FERNET_INVALID_TOKEN` when no key accepts it.
   */
  async extractTimestamp(token: string): Promise<number> {
    for (const fernet of this.#fernets) {
      try {
        return await fernet.extractTimestamp(token)
      } catch (error) {
        if (!(error instanceof FernetInvalidTokenError)) throw error
      }
    }
    throw new FernetInvalidTokenError()
  }

  /**
   * Re-encrypts a token under the first key, keeping its original timestamp, with a fresh IV.
   * The token's age is not checked, as in Python's `MultiFernet.rotate`.
   *
   * @throws {FernetInvalidTokenError} `ERR_FERNET_INVALID_TOKEN` when no key accepts it.
   */
  async rotate(token: string): Promise<string> {
    const { plaintext, fernet } = await this.#decryptAny(token, undefined)
    const timestamp = await fernet.extractTimestamp(token)
    const iv = crypto.getRandomValues(new Uint8Array(16))
    return encryptWithIv(this.#fernets[0]!, plaintext, timestamp, iv)
  }

  /** Keeps the keys out of logs. */
  toString(): string {
    return `MultiFernet { keys: ${this.#fernets.length} [redacted] }`
  }

  toJSON(): string {
    return this.toString()
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString()
  }

  async #decryptAny(
    token: string,
    options: FernetDecryptOptions | undefined,
  ): Promise<{ plaintext: Uint8Array; fernet: Fernet }> {
    for (const fernet of this.#fernets) {
      try {
        return { plaintext: await fernet.decrypt(token, options), fernet }
      } catch (error) {
        if (!(error instanceof FernetInvalidTokenError)) throw error
      }
    }
    throw new FernetInvalidTokenError()
  }
}
