// `AimClient` for Node: identities sign with node:crypto, and each agent's credentials are kept
// the Python SDK's way, encrypted with the SDK's keyring key.

import { homedir } from 'node:os'
import { join } from 'node:path'

import { AimClient as CoreAimClient } from '../core/aim-client.ts'
import { useAgentRuntime } from '../core/aim-client-runtime.ts'
import { AgentIdentity } from './agent-identity-node.ts'
import { SecureCredentialStorage } from './secure-storage.ts'

/**
 * The agent side of the AIM API, for Node. Unless `agentStorage` is given, an agent named
 * `<name>` is kept in `~/.aim/agents/<safe_name>.encrypted` (Fernet, the key in the OS keyring
 * as for the SDK credentials); a Python SDK plaintext `~/.aim/agents/<safe_name>.json` found
 * there is encrypted into it and removed when the agent is first loaded.
 * {@inheritDoc CoreAimClient}
 */
export class AimClient extends CoreAimClient {}

useAgentRuntime(AimClient, {
  identity: AgentIdentity,
  storage: (safeName) =>
    new SecureCredentialStorage({ path: join(homedir(), '.aim', 'agents', `${safeName}.json`) }),
})
