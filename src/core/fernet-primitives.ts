// The cryptographic operations under a Fernet token, behind one small interface so that a runtime
// can supply a faster implementation (the Node entry uses node:crypto) while every other runtime
// uses WebCrypto. Both must produce identical bytes for the same keys, IV and timestamp.

/** Byte lengths of a Fernet token's parts (https://github.com/fernet/spec). */
export const VERSION = 0x80
export const HEADER_LENGTH = 1 + 8 + 16
export const MAC_LENGTH = 32
export const BLOCK_LENGTH = 16

/** Bytes backed by a plain `ArrayBuffer`, as WebCrypto accepts them. */
export type Bytes = Uint8Array<ArrayBuffer>

/** The operations one Fernet key pair performs; every method works on whole token bytes. */
export interface FernetPrimitives {
  /** Encrypts `plaintext` under the IV in `header` and returns header, ciphertext and MAC. */
  seal(header: Bytes, plaintext: Bytes): Promise<Bytes>
  /** Checks the MAC of a whole token in constant time. */
  verify(token: Bytes): Promise<boolean>
  /** Checks the MAC, then decrypts; `undefined` when either fails. */
  open(token: Bytes): Promise<Bytes | undefined>
  /** Returns 16 fresh random bytes for an IV. */
  randomIv(): Bytes
  /** Encodes token bytes as padded URL-safe base64. */
  encode(token: Bytes): string
  /** Decodes canonical padded URL-safe base64, or returns `undefined`. */
  decode(text: string): Bytes | undefined
}

/** Makes the primitives for a signing (HMAC-SHA256) and an encryption (AES-128-CBC) key. */
export type FernetPrimitivesFactory = (
  signingKey: CryptoKey,
  encryptionKey: CryptoKey,
) => FernetPrimitives
