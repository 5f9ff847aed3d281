// The demo server's action verifications (shared/AIM-API.md, "Action verification"): the
// signature over the rebuilt message, a decision tests steer by the action type (`deny_…` denied,
// `review_…` pending until its second poll, anything else approved), polling and result reports.

import { randomUUID } from 'node:crypto'

import { rebuildActionMessage, type SignedActionFields } from './action-rebuild.ts'
import {
  ed25519Verifies,
  fail,
  readBody,
  stateOf,
  type Agent,
  type Verification,
} from './agent-state.ts'
import type { ServerContext, ServerRequest, ServerResponse } from './types.ts'

/** Who may use the verification routes: a user's access token or an API key. */
async function authenticatedActor(
  request: ServerRequest,
  context: ServerContext,
): Promise<string | undefined> {
  const apiKey = request.headers['x-api-key'] ?? request.headers['x-aim-api-key']
  if (apiKey && context.apiKeys.has(apiKey)) return 'api-key'
  const claims = await context.verifyAccessToken(request.headers.authorization)
  return claims ? String(claims.sub) : undefined
}

function verificationView(verification: Verification, agent: Agent | undefined) {
  return {
    id: verification.id,
    status: verification.status,
    trust_score: agent?.trustScore ?? 0,
    ...(verification.status === 'approved'
      ? { approved_by: 'policy', expires_at: new Date(Date.now() + 300_000).toISOString() }
      : {}),
    ...(verification.status === 'denied'
      ? { denial_reason: `Action ${verification.actionType} is not allowed by policy` }
      : {}),
  }
}

/** `POST /api/v1/sdk-api/verifications`: checks the action signature and decides. */
export async function createVerification(
  request: ServerRequest,
  context: ServerContext,
): Promise<ServerResponse> {
  const actor = await authenticatedActor(request, context)
  if (!actor) return fail(401, 'Authentication required')

  const body = readBody(request)
  const fields = ['agent_id', 'action_type', 'timestamp', 'signature', 'public_key'] as const
  if (!body || fields.some((field) => typeof body[field] !== 'string')) {
    return fail(400, 'agent_id, action_type, timestamp, signature and public_key are required')
  }
  if (!String(body.timestamp).endsWith('Z') || Number.isNaN(Date.parse(String(body.timestamp)))) {
    return fail(400, 'timestamp must be an ISO-8601 UTC time ending in Z')
  }

  const state = stateOf(context)
  const agent = state.agents.get(String(body.agent_id))
  if (!agent) return fail(404, 'Agent not found')
  if (agent.publicKey !== body.public_key) return fail(401, 'Public key does not match the agent')

  const message = Buffer.from(rebuildActionMessage(body as unknown as SignedActionFields))
  if (!ed25519Verifies(agent.publicKey, message, String(body.signature))) {
    context.audit({ action: 'verification.rejected', actor: agent.id, detail: 'invalid signature' })
    return fail(401, 'Invalid action signature')
  }

  const actionType = String(body.action_type)
  const status = actionType.startsWith('deny_')
    ? 'denied'
    : actionType.startsWith('review_')
      ? 'pending'
      : 'approved'
  const verification: Verification = {
    id: randomUUID(),
    agentId: agent.id,
    actionType,
    status,
    polls: 0,
  }
  state.verifications.set(verification.id, verification)
  context.audit({
    action: 'verification.created',
    actor: agent.id,
    detail: `${actionType}: ${status}`,
  })

  return { status: status === 'denied' ? 403 : 201, body: verificationView(verification, agent) }
}

/** `GET /api/v1/sdk-api/verifications/:id`: a pending verification is approved on its 2nd poll. */
export async function readVerification(
  request: ServerRequest,
  context: ServerContext,
  id: string,
): Promise<ServerResponse> {
  if (!(await authenticatedActor(request, context))) return fail(401, 'Authentication required')

  const state = stateOf(context)
  const verification = state.verifications.get(id)
  if (!verification) return fail(404, 'Verification not found')

  if (verification.status === 'pending' && ++verification.polls >= 2) {
    verification.status = 'approved'
    context.audit({ action: 'verification.approved', actor: verification.agentId, detail: id })
  }
  return {
    status: 200,
    body: verificationView(verification, state.agents.get(verification.agentId)),
  }
}

/** `POST /api/v1/sdk-api/verifications/:id/result`: the agent reports what came of the action. */
export async function recordResult(
  request: ServerRequest,
  context: ServerContext,
  id: string,
): Promise<ServerResponse> {
  if (!(await authenticatedActor(request, context))) return fail(401, 'Authentication required')

  const verification = stateOf(context).verifications.get(id)
  if (!verification) return fail(404, 'Verification not found')
  const body = readBody(request)
  if (body?.result !== 'success' && body?.result !== 'failure') {
    return fail(400, 'result must be "success" or "failure"')
  }

  const reason = typeof body.reason === 'string' ? body.reason : undefined
  verification.result = { result: body.result, ...(reason === undefined ? {} : { reason }) }
  context.audit({
    action: 'verification.result',
    actor: verification.agentId,
    detail: `${id}: ${body.result}`,
  })
  return { status: 200, body: { id, result: body.result, recorded: true } }
}
