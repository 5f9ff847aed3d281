// The demo server's agent state (one per running server) and the helpers its agent and
// verification routes share.

import { createPublicKey, verify } from 'node:crypto'

import type { ServerContext, ServerRequest, ServerResponse } from './types.ts'

/** A registered agent. */
export interface Agent {
  id: string
  name: string
  displayName: string
  description: string
  agentType: string
  publicKey: string
  status: string
  trustScore: number
  owner: string
}

/** An action verification and what became of it. */
export interface Verification {
  id: string
  agentId: string
  actionType: string
  status: 'approved' | 'denied' | 'pending'
  polls: number
  result?: { result: string; reason?: string }
}

/** Everything one server knows about agents. */
export interface AgentState {
  agents: Map<string, Agent>
  verifications: Map<string, Verification>
}

// One state per running server: each server makes its own context object.
const states = new WeakMap<ServerContext, AgentState>()

/** The agent state of the server that made `context`. */
export function stateOf(context: ServerContext): AgentState {
  let state = states.get(context)
  if (!state) {
    state = { agents: new Map(), verifications: new Map() }
    states.set(context, state)
  }
  return state
}

const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')

/** An error answer. */
export function fail(status: number, error: string): ServerResponse {
  return { status, body: { error } }
}

/** The JSON object body, or `undefined` when the body is not one. */
export function readBody(request: ServerRequest): Record<string, unknown> | undefined {
  try {
    const body = request.json()
    return typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : undefined
  } catch {
    // Not JSON: the route answers 400.
    return undefined
  }
}

/** Verifies an Ed25519 signature with node:crypto. */
export function ed25519Verifies(publicKey: string, message: Buffer, signature: string): boolean {
  const raw = Buffer.from(publicKey, 'base64')
  if (raw.length !== 32) return false
  const key = createPublicKey({
    key: Buffer.concat([SPKI_PREFIX, raw]),
    format: 'der',
    type: 'spki',
  })
  return verify(null, message, key, Buffer.from(signature, 'base64'))
}
