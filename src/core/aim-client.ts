// The agent side of the AIM API (shared/AIM-API.md, "Agents" and "Action verification"):
// registering agents and keeping their keys encrypted, verifying actions, reporting outcomes,
// and reading agents and the audit log.

import { AgentIdentity } from './agent-identity.ts'
import { readAgentRecord, safeAgentName, writeAgentRecord } from './agent-record.ts'
import { AgentTransport, invalidResponse, serverError, type JsonReply } from './agent-transport.ts'
import { runtimeFor, type AgentKeyVault } from './aim-client-runtime.ts'
import { AimCredentialsError } from './errors.ts'
import type { CredentialStore } from './storage.ts'
import { awaitDecision, readVerification, type ActionVerification } from './verification.ts'

import type {
  ActionOutcome,
  ActionRequest,
  AgentRegistration,
  AimClientOptions,
  AuditLogEntry,
  RegisteredAgent,
} from './aim-client-options.ts'

export type {
  ActionOutcome,
  ActionRequest,
  AgentRegistration,
  AimClientOptions,
  AuditLogEntry,
  RegisteredAgent,
} from './aim-client-options.ts'
export type { AuthorizedFetcher } from './agent-transport.ts'
export type { ActionVerification } from './verification.ts'

/**
 * Talks to the AIM server for agents: registration (either way), action verification, outcome
 * reports, agent details and the audit log. Agent credentials are saved through a
 * `CredentialStore`, encrypted: in Node `~/.aim/agents/<safe_name>.encrypted` with the SDK's
 * keyring key (a Python SDK plaintext `<safe_name>.json` there is migrated and removed); in
 * browsers the record `agents/<safe_name>` of the IndexedDB database `aim-sdk`, under the SDK
 * credentials' non-extractable key. A browser with WebCrypto Ed25519 keeps the agent's private
 * key as a non-extractable `CryptoKey` beside it, never in the record.
 *
 * @example
 * ```ts
 * const client = new AimClient({ tokens: new TokenManager({ storage }) })
 * const agent = await client.registerAgent({ name: 'report-bot', agentType: 'langchain' })
 * const verdict = await client.verifyAction(agent.identity, {
 *   agentId: agent.agentId, actionType: 'read_database', resource: 'customers',
 * })
 * if (verdict.status === 'approved') {
 *   await client.reportActionResult(verdict.id, { result: 'success' })
 * }
 * ```
 */
export class AimClient {
  readonly #transport: AgentTransport
  readonly #Identity: typeof AgentIdentity
  readonly #storage: (safeName: string) => CredentialStore
  readonly #keyVault: AgentKeyVault | undefined
  readonly #apiKey: boolean
  readonly #pollIntervalMs: number
  readonly #verificationTimeoutMs: number

  /**
   * @throws {TokenError} `ERR_INSECURE_URL` when `aimUrl` is not HTTPS (or loopback HTTP).
   * @throws {TypeError} with neither `tokens` nor `apiKey`, or `apiKey` without `aimUrl`.
   */
  constructor(options: AimClientOptions) {
    if (!options?.tokens && !options?.apiKey) {
      throw new TypeError('AimClient needs a session (tokens) or an API key (apiKey and aimUrl)')
    }
    if (options.apiKey && !options.aimUrl) throw new TypeError('apiKey needs aimUrl as well')

    const chosenFetch = options.fetch
    this.#transport = new AgentTransport({
      tokens: options.tokens,
      aimUrl: options.aimUrl,
      apiKey: options.apiKey,
      // Called bare: browsers refuse a native fetch invoked with a foreign `this`.
      fetch: chosenFetch
        ? (input, init) => chosenFetch(input, init)
        : (input, init) => fetch(input, init),
      timeoutMs: options.timeoutMs ?? 30_000,
    })
    const runtime = runtimeFor(new.target)
    this.#Identity = runtime?.identity ?? AgentIdentity
    const storage = options.agentStorage ?? runtime?.storage
    if (!storage) {
      throw new TypeError('AimClient needs agentStorage outside the Node and web entries')
    }
    this.#storage = storage
    // Only the entry's own storage pairs with its key vault; a caller's store gets whole records.
    this.#keyVault = options.agentStorage ? undefined : runtime?.keyVault
    this.#apiKey = options.apiKey !== undefined
    this.#pollIntervalMs = options.pollIntervalMs ?? 1_000
    this.#verificationTimeoutMs = options.verificationTimeoutMs ?? 60_000
  }

  /**
   * Registers an agent and saves its credentials, encrypted, before returning.
   *
   * With an API key the server makes the key pair and returns the private key once; it is saved
   * at once. With a session the key pair is made here and only the public key is sent.
   *
   * @throws {TypeError} when an agent of that name is already stored (load or delete it first).
   * @throws {TokenError} `ERR_SERVER` when the server refuses, `ERR_INVALID_RESPONSE` when its
   *   answer lacks the agent or its keys do not match, `ERR_NETWORK`, `ERR_TIMEOUT`, and the
   *   session's codes; storage errors pass through (e.g. `ERR_KEYRING_LOCKED`).
   */
  async registerAgent(registration: AgentRegistration): Promise<RegisteredAgent> {
    const safeName = safeAgentName(registration?.name)
    const storage = this.#storage(safeName)
    if (await storage.credentialsExist()) {
      throw new TypeError(`An agent named ${safeName} is already stored; use loadAgent()`)
    }

    const { mode: requestedMode, ...details } = registration
    const mode = requestedMode ?? (this.#apiKey ? 'apiKey' : 'session')
    const body = { agentType: 'custom', displayName: registration.name, ...details }

    if (mode === 'apiKey') {
      const reply = await this.#transport.send(
        'POST',
        '/api/v1/public/agents/register',
        { kind: 'apiKey', header: 'X-AIM-API-Key' },
        JSON.stringify(body),
      )
      if (reply.status !== 201 && reply.status !== 200) {
        throw serverError(reply, 'register the agent')
      }
      return this.#saveIssuedAgent(reply, registration.name, safeName, storage)
    }

    const generated = await this.#generateIdentity()
    const reply = await this.#transport.send(
      'POST',
      '/api/v1/agents',
      { kind: 'session' },
      JSON.stringify({ ...body, publicKey: generated.publicKey }),
    )
    if (reply.status !== 201 && reply.status !== 200) throw serverError(reply, 'register the agent')
    const agent = reply.body as Record<string, unknown> | undefined
    const agentId = agent?.id ?? agent?.agentId
    if (typeof agentId !== 'string' || agent?.publicKey !== generated.publicKey) {
      throw invalidResponse(reply, 'the agent registration')
    }

    const kept = (await this.#keyVault?.save(safeName, generated)) ?? false
    const privateKey = kept ? undefined : await generated.exportPrivateKey()
    return this.#save(
      storage,
      registration.name,
      agentId,
      privateKey ?? generated,
      agent,
      reply.url,
    )
  }

  // Non-extractable where the entry can keep the CryptoKey itself (browsers with WebCrypto
  // Ed25519); otherwise extractable, so that the key can live inside the encrypted record.
  async #generateIdentity(): Promise<AgentIdentity> {
    if (this.#keyVault) {
      const sealed = await this.#Identity.generate()
      if (sealed.cryptoKey) return sealed
    }
    return this.#Identity.generate({ extractable: true })
  }

  async #saveIssuedAgent(
    reply: JsonReply,
    name: string,
    safeName: string,
    storage: CredentialStore,
  ): Promise<RegisteredAgent> {
    const agent = reply.body as Record<string, unknown> | undefined
    const { agentId, publicKey, privateKey } = agent ?? {}
    if (typeof agentId !== 'string' || typeof privateKey !== 'string') {
      throw invalidResponse(reply, 'the agent registration')
    }

    const imported = await this.#Identity.fromPrivateKey(privateKey).catch(() => undefined)
    if (!imported || imported.publicKey !== publicKey)
      throw invalidResponse(reply, 'the agent keys')

    // Where the entry keeps non-extractable keys (browsers), the issued key is imported into one
    // and the key bytes are not stored at all.
    const kept = (await this.#keyVault?.save(safeName, imported)) ?? false
    return this.#save(storage, name, agentId, kept ? imported : privateKey, agent!, reply.url)
  }

  async #save(
    storage: CredentialStore,
    name: string,
    agentId: string,
    key: string | AgentIdentity,
    agent: Record<string, unknown>,
    answeredBy: string,
  ): Promise<RegisteredAgent> {
    const identity = typeof key === 'string' ? await this.#Identity.fromPrivateKey(key) : key
    const fields = {
      name,
      agentId,
      publicKey: identity.publicKey,
      privateKey: typeof key === 'string' ? key : undefined,
      // With only a session the server is known from the URL that answered.
      aimUrl:
        typeof agent.aimUrl === 'string'
          ? agent.aimUrl
          : (this.#transport.aimUrl ?? (answeredBy ? new URL(answeredBy).origin : undefined)),
      status: typeof agent.status === 'string' ? agent.status : undefined,
      trustScore: typeof agent.trustScore === 'number' ? agent.trustScore : undefined,
    }
    const registeredAt = new Date().toISOString()
    await storage.updateCredentials((previous) => writeAgentRecord(fields, registeredAt, previous))

    return { ...pickPublic(fields), identity }
  }

  /**
   * Loads a stored agent (Node: also the Python SDK's plaintext file, which storage migrates).
   *
   * @returns The agent, or `null` when none of that name is stored.
   * @throws {AimCredentialsError} `ERR_CREDENTIALS_CORRUPT` when the record lacks its keys,
   *   `ERR_INVALID_AGENT_KEY` when its private key is unusable, `ERR_KEY_LOST` when a browser no
   *   longer holds the agent's non-extractable key; storage errors pass through.
   */
  async loadAgent(name: string): Promise<RegisteredAgent | null> {
    const safeName = safeAgentName(name)
    const record = await this.#storage(safeName).loadCredentials()
    if (!record) return null

    const fields = readAgentRecord(record)
    if (!fields) {
      throw new AimCredentialsError(
        'ERR_CREDENTIALS_CORRUPT',
        `The stored agent ${name} lacks agent_id, public_key or private_key; register it again`,
      )
    }
    const identity =
      fields.privateKey === undefined
        ? await this.#keptIdentity(safeName, fields.publicKey)
        : await this.#Identity.fromPrivateKey(fields.privateKey)
    return { ...pickPublic(fields), identity }
  }

  async #keptIdentity(safeName: string, publicKey: string): Promise<AgentIdentity> {
    const identity = await this.#keyVault?.load(safeName, publicKey)
    if (identity) return identity
    throw new AimCredentialsError(
      'ERR_KEY_LOST',
      `The private key of agent ${safeName} is no longer in this browser's storage (site data ` +
        'was cleared or evicted); register the agent again',
    )
  }

  /**
   * Signs an action and asks the server to verify it; while the answer is `pending`, asks again
   * every `pollIntervalMs` until it is decided or `verificationTimeoutMs` has passed.
   *
   * @returns The decision: `approved` or `denied` (a 403 is a decision, not an error).
   * @throws {AimCredentialsError} `ERR_UNSERIALIZABLE_ACTION` for a context the server cannot
   *   receive unchanged; {TokenError} `ERR_TIMEOUT` when still pending at the deadline,
   *   `ERR_SERVER`, `ERR_INVALID_RESPONSE`, `ERR_NETWORK`, and the session's codes.
   */
  async verifyAction(identity: AgentIdentity, action: ActionRequest): Promise<ActionVerification> {
    const signed = { ...action, timestamp: action.timestamp ?? new Date().toISOString() }
    const signature = await identity.signAction(signed)
    const body = {
      agent_id: signed.agentId,
      action_type: signed.actionType,
      resource: signed.resource ?? '',
      context: signed.context ?? {},
      timestamp: signed.timestamp,
      ...(action.riskLevel === undefined ? {} : { risk_level: action.riskLevel }),
      signature,
      public_key: identity.publicKey,
    }

    const path = '/api/v1/sdk-api/verifications'
    const auth = this.#serverAuthentication()
    const reply = await this.#transport.send('POST', path, auth, JSON.stringify(body))
    return awaitDecision(readVerification(reply, 'verify the action'), {
      poll: (id) => this.#transport.send('GET', `${path}/${encodeURIComponent(id)}`, auth),
      intervalMs: this.#pollIntervalMs,
      timeoutMs: this.#verificationTimeoutMs,
    })
  }

  /**
   * Reports what came of a verified action.
   *
   * @throws {TokenError} `ERR_SERVER` when the server refuses, `ERR_NETWORK`, `ERR_TIMEOUT`.
   */
  async reportActionResult(verificationId: string, outcome: ActionOutcome): Promise<void> {
    const path = `/api/v1/sdk-api/verifications/${encodeURIComponent(verificationId)}/result`
    const reply = await this.#transport.send(
      'POST',
      path,
      this.#serverAuthentication(),
      JSON.stringify(outcome),
    )
    if (reply.status < 200 || reply.status > 299) throw serverError(reply, 'record the result')
  }

  /**
   * Reads an agent's details: as the agent itself (a signed request) when `identity` is given,
   * otherwise with the session.
   *
   * @throws {TokenError} `ERR_SERVER` (e.g. 404 for an unknown agent), `ERR_INVALID_RESPONSE`,
   *   `ERR_NETWORK`, `ERR_TIMEOUT`.
   */
  async getAgent(
    agentId: string,
    options?: { identity?: AgentIdentity },
  ): Promise<Record<string, unknown>> {
    const path = `/api/v1/agents/${encodeURIComponent(agentId)}`
    const identity = options?.identity
    const auth = identity
      ? {
          kind: 'headers' as const,
          headers: await identity.signRequest({
            agentId,
            method: 'GET',
            url: this.#transport.endpoint(path),
          }),
        }
      : { kind: 'session' as const }

    const reply = await this.#transport.send('GET', path, auth)
    if (reply.status !== 200) throw serverError(reply, 'return the agent')
    if (typeof reply.body !== 'object' || reply.body === null)
      throw invalidResponse(reply, 'the agent')
    return reply.body as Record<string, unknown>
  }

  /**
   * Lists the server's audit log (`GET /api/v1/audit-logs`).
   *
   * @throws {TokenError} `ERR_SERVER`, `ERR_INVALID_RESPONSE`, `ERR_NETWORK`, `ERR_TIMEOUT`.
   */
  async listAuditLogs(): Promise<AuditLogEntry[]> {
    const reply = await this.#transport.send(
      'GET',
      '/api/v1/audit-logs',
      this.#serverAuthentication(),
    )
    if (reply.status !== 200) throw serverError(reply, 'list the audit log')

    const logs = (reply.body as { logs?: unknown } | undefined)?.logs ?? reply.body
    if (!Array.isArray(logs)) throw invalidResponse(reply, 'the audit log')
    return logs.filter((row): row is AuditLogEntry => typeof row?.action === 'string')
  }

  #serverAuthentication() {
    return this.#apiKey
      ? ({ kind: 'apiKey', header: 'X-API-Key' } as const)
      : ({ kind: 'session' } as const)
  }
}

function pickPublic(fields: ReturnType<typeof readAgentRecord> & object) {
  return {
    agentId: fields.agentId,
    name: fields.name,
    publicKey: fields.publicKey,
    status: fields.status,
    trustScore: fields.trustScore,
  }
}
