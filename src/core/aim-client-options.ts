// The options and results of `AimClient`, the agent side of the AIM API.

import type { AgentAction } from './action-message.ts'
import type { AgentIdentity } from './agent-identity.ts'
import type { AuthorizedFetcher } from './agent-transport.ts'
import type { CredentialStore } from './storage.ts'

/** Options of {@link AimClient}. */
export interface AimClientOptions {
  /** The session (a `TokenManager`): registers agents and verifies actions as the user. */
  tokens?: AuthorizedFetcher
  /** The server, e.g. `https://aim.example.com`; needed with `apiKey` and for signed requests. */
  aimUrl?: string
  /** An AIM API key: registers agents with `X-AIM-API-Key` and verifies with `X-API-Key`. */
  apiKey?: string
  /** Where each agent's credentials are kept, by safe name. Each entry has a default. */
  agentStorage?: (safeName: string) => CredentialStore
  /** The fetch function for API-key and signed requests; default `globalThis.fetch`. */
  fetch?: typeof fetch
  /** How long one request may take, in milliseconds; default 30 000. */
  timeoutMs?: number
  /** How often to ask about a pending verification, in milliseconds; default 1 000. */
  pollIntervalMs?: number
  /** How long to wait for a pending verification to be decided, in milliseconds; default 60 000. */
  verificationTimeoutMs?: number
}

/** What an agent is registered with. */
export interface AgentRegistration {
  name: string
  displayName?: string
  description?: string
  /** One of AIM's agent types (`custom`, `langchain`, `claude`, …); default `custom`. */
  agentType?: string
  version?: string
  repositoryUrl?: string
  documentationUrl?: string
  organizationDomain?: string
  /** `apiKey` (the server makes the key pair) or `session` (made here); default by options. */
  mode?: 'apiKey' | 'session'
}

/** A registered or loaded agent, with the identity that signs for it. */
export interface RegisteredAgent {
  agentId: string
  name: string
  publicKey: string
  status: string | undefined
  trustScore: number | undefined
  identity: AgentIdentity
}

/** An action to verify; `timestamp` defaults to now. */
export interface ActionRequest extends Omit<AgentAction, 'timestamp'> {
  timestamp?: string
  /** Not signed; the server may weigh it. */
  riskLevel?: string
}

/** The outcome reported for a verified action. */
export interface ActionOutcome {
  result: 'success' | 'failure'
  reason?: string
  metadata?: Record<string, unknown>
}

/** One row of the server's audit log. */
export interface AuditLogEntry extends Record<string, unknown> {
  action: string
}
