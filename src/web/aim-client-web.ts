// `AimClient` for browsers, workers, Deno and Bun: each agent's credentials are kept encrypted in
// IndexedDB, one database per agent, under a non-extractable key of that database.

import { AimClient as CoreAimClient } from '../core/aim-client.ts'
import { useAgentRuntime } from '../core/aim-client-runtime.ts'
import { AgentIdentity } from '../core/agent-identity.ts'
import { SecureCredentialStorage } from './secure-storage.ts'

/**
 * The agent side of the AIM API, for the web. Unless `agentStorage` is given, an agent named
 * `<name>` is kept in the IndexedDB database `aim-sdk-agent-<safe_name>`: its record (with the
 * private key) is one Fernet token under that database's non-extractable keys.
 *
 * > [!WARNING]
 * > The agent's private key is kept inside that Fernet token, so it is decrypted into page
 * > memory to sign. To keep an agent key as a non-extractable `CryptoKey` instead, generate it
 * > with `AgentIdentity.generate()`, store `identity.cryptoKey` in IndexedDB yourself and
 * > restore it with `AgentIdentity.fromCryptoKey()`.
 * {@inheritDoc CoreAimClient}
 */
export class AimClient extends CoreAimClient {}

useAgentRuntime(AimClient, {
  identity: AgentIdentity,
  storage: (safeName) => new SecureCredentialStorage({ database: `aim-sdk-agent-${safeName}` }),
})
