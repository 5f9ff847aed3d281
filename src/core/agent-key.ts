// An agent's Ed25519 private key and the one operation it allows, signing, behind a small
// interface: WebCrypto where the runtime has Ed25519 (the key can then stay non-extractable),
// `@noble/ed25519` where it does not, and node:crypto in the Node entry (registered there).

import { encodeBase64 } from './base64.ts'

/** Bytes backed by a plain `ArrayBuffer`, as WebCrypto accepts them. */
export type Bytes = Uint8Array<ArrayBuffer>

/** Where an agent's private key lives: a WebCrypto key, or its 32-byte seed in memory. */
export type AgentKeyMaterial =
  { kind: 'cryptokey'; privateKey: CryptoKey } | { kind: 'seed'; seed: Bytes }

/** Signs a message with one private key; resolves the 64-byte signature as standard base64. */
export type AgentSigner = (message: Bytes) => Promise<string>

/** Makes the signer for one private key. */
export type AgentSignerFactory = (key: AgentKeyMaterial) => AgentSigner

export const SEED_LENGTH = 32
export const PUBLIC_KEY_LENGTH = 32

export const ED25519 = { name: 'Ed25519' } as const

// The fixed DER prefix of a PKCS#8 Ed25519 private key (RFC 8410); the 32-byte seed follows.
const PKCS8_PREFIX = [
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
]

/** Wraps a 32-byte seed as PKCS#8 DER, the form WebCrypto and node:crypto import. */
export function seedToPkcs8(seed: Uint8Array): Bytes {
  const der = new Uint8Array(PKCS8_PREFIX.length + SEED_LENGTH)
  der.set(PKCS8_PREFIX)
  der.set(seed, PKCS8_PREFIX.length)
  return der
}

let ed25519Support: Promise<boolean> | undefined

/**
 * Whether this runtime's WebCrypto signs with Ed25519. Checked once, by generating a key: some
 * runtimes know the name but fail only at that point.
 */
export function hasWebCryptoEd25519(): Promise<boolean> {
  ed25519Support ??= crypto.subtle.generateKey(ED25519, false, ['sign', 'verify']).then(
    () => true,
    () => false,
  )
  return ed25519Support
}

let noble: Promise<typeof import('@noble/ed25519')> | undefined

// Loaded on first use: runtimes with WebCrypto Ed25519 (and the Node entry) never need it, and a
// process that only reads credentials should not pay for it at start-up.
function loadNoble(): Promise<typeof import('@noble/ed25519')> {
  noble ??= Promise.all([import('@noble/ed25519'), import('@noble/hashes/sha2.js')]).then(
    ([ed25519, { sha512 }]) => {
      // noble's synchronous API needs a SHA-512.
      ed25519.hashes.sha512 ??= sha512
      return ed25519
    },
  )
  return noble
}

/** Derives the 32-byte public key of a seed (RFC 8032), the same on every runtime. */
export async function publicKeyOfSeed(seed: Uint8Array): Promise<Bytes> {
  const { getPublicKey } = await loadNoble()
  return new Uint8Array(getPublicKey(seed))
}

/** Generates a random 32-byte seed for the fallback without WebCrypto Ed25519. */
export function randomSeed(): Bytes {
  return crypto.getRandomValues(new Uint8Array(SEED_LENGTH))
}

/** The portable signer: WebCrypto for a `CryptoKey`, `@noble/ed25519` for a seed. */
export const webSigner: AgentSignerFactory = (key) => {
  if (key.kind === 'cryptokey') {
    const privateKey = key.privateKey
    return async (message) => {
      const signature = await crypto.subtle.sign(ED25519, privateKey, message)
      return encodeBase64(new Uint8Array(signature))
    }
  }

  const seed = key.seed
  return async (message) => encodeBase64((await loadNoble()).sign(message, seed))
}
