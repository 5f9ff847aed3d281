// `AimClient` for browsers, workers, Deno and Bun: each agent's record is kept encrypted in the
// IndexedDB database `aim-sdk` under the SDK credentials' key, and the private key of an agent
// registered with the session stays a non-extractable `CryptoKey` where WebCrypto has Ed25519.

import { AimClient as CoreAimClient } from '../core/aim-client.ts'
import { useAgentRuntime } from '../core/aim-client-runtime.ts'
import { AgentIdentity } from '../core/agent-identity.ts'
import { indexedDbAgentKeys } from './agent-key-vault.ts'
import { SecureCredentialStorage } from './secure-storage.ts'

const DATABASE = 'aim-sdk'

/**
 * The agent side of the AIM API, for the web. Unless `agentStorage` is given, an agent named
 * `<name>` is the record `agents/<safe_name>` of the IndexedDB database `aim-sdk`, one Fernet
 * token under the same non-extractable key as the SDK credentials. Where WebCrypto has Ed25519,
 * the agent's private key is a non-extractable `CryptoKey` kept beside the record and never in
 * it (generated so for the session, imported so when the server issued it); only elsewhere is
 * the private key kept inside the encrypted record.
 *
 * > [!WARNING]
 * > A key inside the record is decrypted into page memory to sign. Script running in the page can
 * > sign with a non-extractable key while it runs, but cannot read it.
 *
 * @example
 * ```ts
 * const client = new AimClient({ tokens: new TokenManager({ storage }) })
 * const agent = await client.registerAgent({ name: 'report-bot' })
 * const verdict = await client.verifyAction(agent.identity, {
 *   agentId: agent.agentId, actionType: 'read_database', resource: 'customers',
 * })
 * ```
 */
export class AimClient extends CoreAimClient {}

useAgentRuntime(AimClient, {
  identity: AgentIdentity,
  storage: (safeName) =>
    new SecureCredentialStorage({ database: DATABASE, path: `agents/${safeName}` }),
  keyVault: indexedDbAgentKeys(AgentIdentity, DATABASE),
})
