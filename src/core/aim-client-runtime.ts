// What each entry supplies to its `AimClient`: the `AgentIdentity` class that signs there
// (node:crypto in Node) and where agent credentials are kept by default. Not public API.

import type { AgentIdentity } from './agent-identity.ts'
import { classRegistry } from './class-registry.ts'
import type { AimClient } from './aim-client.ts'
import type { CredentialStore } from './storage.ts'

/**
 * Keeps agents' private keys as non-extractable `CryptoKey`s (browsers), so that the key is never
 * readable, not even inside encrypted storage.
 */
export interface AgentKeyVault {
  /** Keeps the identity's key for `safeName`; `false` when it cannot (no CryptoKey, no store). */
  save(safeName: string, identity: AgentIdentity): Promise<boolean>
  /** The identity kept for `safeName` with this public key, or `undefined`. */
  load(safeName: string, publicKey: string): Promise<AgentIdentity | undefined>
}

/** What an entry supplies to its `AimClient`: the identity class and the default storage. */
export interface AgentRuntime {
  identity: typeof AgentIdentity
  storage: (safeName: string) => CredentialStore
  /** Where a runtime that can keeps generated keys non-extractable. */
  keyVault?: AgentKeyVault
}

// Each entry's runtime, registered for its subclass.
const runtimes = classRegistry<AgentRuntime>()

/** Gives `subclass` its entry's identity class and default storage. Internal: for the entries. */
export function useAgentRuntime(subclass: typeof AimClient, runtime: AgentRuntime): void {
  runtimes.register(subclass, runtime)
}

/** The runtime registered for `constructor` or its nearest ancestor. */
export function runtimeFor(constructor: object): AgentRuntime | undefined {
  return runtimes.lookup(constructor)
}
