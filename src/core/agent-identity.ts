// An AIM agent's Ed25519 identity: its key pair, the signed-request headers the AIM server checks,
// and signatures over actions for verification (shared/AIM-API.md, "Signed agent requests" and
// "Action verification").

import { actionSignatureMessage, type AgentAction } from './action-message.ts'
import {
  ED25519,
  PUBLIC_KEY_LENGTH,
  SEED_LENGTH,
  hasWebCryptoEd25519,
  publicKeyOfSeed,
  randomSeed,
  seedToPkcs8,
  webSigner,
  type AgentKeyMaterial,
  type AgentSigner,
  type AgentSignerFactory,
  type Bytes,
} from './agent-key.ts'
import { decodeBase64, decodeBase64Url, encodeBase64 } from './base64.ts'
import {
  signedRequestMessage,
  type AgentRequest,
  type AgentRequestHeaders,
} from './agent-request.ts'
import { classRegistry } from './class-registry.ts'
import { AimCredentialsError } from './errors.ts'

export type { AgentRequest, AgentRequestHeaders } from './agent-request.ts'

/** Options for creating an agent identity. */
export interface AgentKeyOptions {
  /**
   * Whether {@link AgentIdentity.exportPrivateKey} may read the private key back. Default
   * `false`: where the runtime has WebCrypto Ed25519 the key is then a non-extractable
   * `CryptoKey`, which not even code in the same page can read.
   *
   * > [!WARNING]
   * > With `true` the private key can be read out; do so only to keep it in encrypted storage
   * > (as `AimClient` does for agent files the Python SDK must read too).
   */
  extractable?: boolean
}

// The signer each class uses: the Node entry registers node:crypto for its subclass.
const signersByClass = classRegistry<AgentSignerFactory>()

/** Makes `subclass` (and its subclasses) sign with `factory`. Internal: for the Node entry. */
export function useAgentSigner(subclass: typeof AgentIdentity, factory: AgentSignerFactory): void {
  signersByClass.register(subclass, factory)
}

const encoder = new TextEncoder()

function invalidKey(reason: string, cause?: unknown): AimCredentialsError {
  return new AimCredentialsError(
    'ERR_INVALID_AGENT_KEY',
    `The agent private key is not usable: ${reason}. Use the private_key the AIM server issued ` +
      '(standard base64 of 64 bytes, or of a 32-byte seed).',
    { cause },
  )
}

/**
 * An agent's Ed25519 key pair: signs requests and actions the AIM server verifies.
 *
 * Where the runtime has WebCrypto Ed25519 the private key is a `CryptoKey`, non-extractable
 * unless asked; elsewhere `@noble/ed25519` signs with the seed held in memory. The Node entry
 * signs with node:crypto using the same key.
 *
 * @example
 * ```ts
 * const identity = await AgentIdentity.fromPrivateKey(agent.private_key)
 * const headers = await identity.signRequest({ agentId, method: 'GET', url })
 * const response = await fetch(url, { headers })
 * ```
 */
export class AgentIdentity {
  readonly #key: AgentKeyMaterial
  readonly #publicKey: Bytes
  readonly #extractable: boolean
  readonly #sign: AgentSigner

  protected constructor(key: AgentKeyMaterial, publicKey: Bytes, extractable: boolean) {
    this.#key = key
    this.#publicKey = publicKey
    this.#extractable = extractable
    this.#sign = (signersByClass.lookup(new.target) ?? webSigner)(key)
  }

  /**
   * Generates a new key pair: WebCrypto Ed25519 where the runtime has it, `@noble/ed25519` with
   * a random seed otherwise.
   *
   * @param options Whether the private key may be exported; default non-extractable.
   */
  static async generate(options?: AgentKeyOptions): Promise<AgentIdentity> {
    const extractable = options?.extractable ?? false

    if (await hasWebCryptoEd25519()) {
      const pair = await crypto.subtle.generateKey(ED25519, extractable, ['sign', 'verify'])
      const publicKey = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey))
      return new this({ kind: 'cryptokey', privateKey: pair.privateKey }, publicKey, extractable)
    }

    const seed = randomSeed()
    return new this({ kind: 'seed', seed }, await publicKeyOfSeed(seed), extractable)
  }

  /**
   * Imports the private key the AIM server issued or an agent file holds.
   *
   * @param privateKey Standard base64 of a 32-byte seed, or of 64 bytes: the seed then the public
   *   key, whose halves must agree.
   * @throws {AimCredentialsError} `ERR_INVALID_AGENT_KEY` when the text is not canonical standard
   *   base64 of 32 or 64 bytes, or when the public half does not belong to the seed.
   */
  static async fromPrivateKey(
    privateKey: string,
    options?: AgentKeyOptions,
  ): Promise<AgentIdentity> {
    if (typeof privateKey !== 'string') throw new TypeError('privateKey must be a base64 string')
    const bytes = decodeBase64(privateKey.trim())
    if (bytes?.length !== SEED_LENGTH && bytes?.length !== SEED_LENGTH + PUBLIC_KEY_LENGTH) {
      throw invalidKey('it is not standard base64 of 32 or 64 bytes')
    }

    const seed = bytes.slice(0, SEED_LENGTH)
    const publicKey = await publicKeyOfSeed(seed)
    const givenPublicKey = bytes.subarray(SEED_LENGTH)
    if (givenPublicKey.length > 0 && !sameBytes(givenPublicKey, publicKey)) {
      throw invalidKey('its public half does not belong to its seed')
    }

    const extractable = options?.extractable ?? false
    if (await hasWebCryptoEd25519()) {
      const imported = await crypto.subtle.importKey(
        'pkcs8',
        seedToPkcs8(seed),
        ED25519,
        extractable,
        ['sign'],
      )
      seed.fill(0)
      bytes.fill(0)
      return new this({ kind: 'cryptokey', privateKey: imported }, publicKey, extractable)
    }
    return new this({ kind: 'seed', seed }, publicKey, extractable)
  }

  /**
   * Wraps a WebCrypto Ed25519 private key kept elsewhere, such as a non-extractable key stored in
   * IndexedDB, with its public key.
   *
   * @param privateKey An Ed25519 private `CryptoKey` usable to sign.
   * @param publicKey The matching public key, standard base64 of 32 bytes.
   * @throws {AimCredentialsError} `ERR_INVALID_AGENT_KEY` when the keys do not form a pair.
   * @throws {TypeError} when `privateKey` is not an Ed25519 private signing key.
   */
  static async fromCryptoKey(privateKey: CryptoKey, publicKey: string): Promise<AgentIdentity> {
    const usable =
      privateKey?.algorithm?.name === 'Ed25519' &&
      privateKey.type === 'private' &&
      privateKey.usages.includes('sign')
    if (!usable) throw new TypeError('privateKey must be an Ed25519 private key usable to sign')

    const publicBytes = decodeBase64(publicKey)
    if (publicBytes?.length !== PUBLIC_KEY_LENGTH) {
      throw invalidKey('the public key is not standard base64 of 32 bytes')
    }

    // Proves the pair by signing a fixed message: a mismatched pair would sign requests that the
    // server rejects, far from where the mistake was made.
    const probe = encoder.encode('aim-credentials key pair check')
    const signature = await crypto.subtle.sign(ED25519, privateKey, probe)
    const verifier = await crypto.subtle.importKey('raw', publicBytes, ED25519, true, ['verify'])
    if (!(await crypto.subtle.verify(ED25519, verifier, signature, probe))) {
      throw invalidKey('the private and public keys do not form a pair')
    }

    return new this({ kind: 'cryptokey', privateKey }, publicBytes, privateKey.extractable)
  }

  /** The public key as standard base64 of 32 bytes, as AIM registers it. */
  get publicKey(): string {
    return encodeBase64(this.#publicKey)
  }

  /**
   * The WebCrypto private key, when this identity has one (runtimes with WebCrypto Ed25519).
   * Store it in IndexedDB to keep a non-extractable identity across page loads.
   */
  get cryptoKey(): CryptoKey | undefined {
    return this.#key.kind === 'cryptokey' ? this.#key.privateKey : undefined
  }

  /**
   * Returns the private key as AIM files hold it: standard base64 of the seed then the public
   * key (64 bytes).
   *
   * > [!WARNING]
   * > The result is the agent's secret. Keep it only inside encrypted storage.
   *
   * @throws {TypeError} when the identity was created non-extractable (the default).
   */
  async exportPrivateKey(): Promise<string> {
    if (!this.#extractable) {
      throw new TypeError('This agent key is non-extractable; create it with { extractable: true }')
    }

    const seed = this.#key.kind === 'seed' ? this.#key.seed : await exportSeed(this.#key.privateKey)
    const full = new Uint8Array(SEED_LENGTH + PUBLIC_KEY_LENGTH)
    full.set(seed)
    full.set(this.#publicKey, SEED_LENGTH)
    const text = encodeBase64(full)
    full.fill(0)
    return text
  }

  /**
   * Signs an agent request: `METHOD \n path-and-query \n timestamp [\n body]`.
   *
   * @returns The `X-Agent-ID`, `X-Timestamp`, `X-Signature` and `X-Public-Key` headers.
   * @throws {TypeError} for a malformed URL, method or body.
   * @throws {RangeError} when `timestamp` is not a whole number of seconds.
   *
   * @example
   * ```ts
   * const body = JSON.stringify({ query: 'status' })
   * const headers = await identity.signRequest({ agentId, method: 'POST', url, body })
   * const contentType = { 'Content-Type': 'application/json' }
   * await fetch(url, { method: 'POST', body, headers: { ...headers, ...contentType } })
   * ```
   */
  async signRequest(request: AgentRequest): Promise<AgentRequestHeaders> {
    const { message, timestamp } = signedRequestMessage(request)
    const signature = await this.#sign(message)

    return {
      'X-Agent-ID': request.agentId,
      'X-Timestamp': String(timestamp),
      'X-Signature': signature,
      'X-Public-Key': this.publicKey,
    }
  }

  /**
   * Signs an action for `POST /api/v1/sdk-api/verifications`, over the exact message the AIM
   * server rebuilds ({@link actionSignatureMessage}).
   *
   * @returns The signature, standard base64.
   * @throws {AimCredentialsError} `ERR_UNSERIALIZABLE_ACTION` when the context holds a value the
   *   server cannot receive unchanged.
   */
  signAction(action: AgentAction): Promise<string> {
    // Not `async`: handing on the signer's promise saves two microtask turns per signature, which
    // is measurable beside a 40 µs signature. Errors still arrive as rejections.
    let message: Bytes
    try {
      message = encoder.encode(actionSignatureMessage(action))
    } catch (error) {
      return Promise.reject(error)
    }
    return this.#sign(message)
  }

  /** Keeps the private key out of logs: string, JSON and inspect forms show only the public key. */
  toString(): string {
    return `AgentIdentity { publicKey: ${this.publicKey}, privateKey: [redacted] }`
  }

  toJSON(): string {
    return this.toString()
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString()
  }
}

async function exportSeed(privateKey: CryptoKey): Promise<Bytes> {
  const jwk = await crypto.subtle.exportKey('jwk', privateKey)
  // JWK base64url has no padding; the strict decoder wants it.
  const unpadded = jwk.d ?? ''
  const seed = decodeBase64Url(unpadded + '='.repeat((4 - (unpadded.length % 4)) % 4))
  if (seed?.length !== SEED_LENGTH) throw invalidKey('WebCrypto exported no 32-byte seed')
  return seed
}

function sameBytes(left: Uint8Array, right: Uint8Array): boolean {
  return left.length === right.length && left.every((byte, index) => byte === right[index])
}
