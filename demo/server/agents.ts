// The demo server's agent routes (shared/AIM-API.md, "Agents", "Signed agent requests" and
// "Action verification"): registration with an API key or a session, agent details, signed agent
// requests, and action verifications with a decision rule tests can steer by the action type:
//
//   `deny_…`   → denied (HTTP 403)
//   `review_…` → pending, approved on the second poll of `GET /api/v1/sdk-api/verifications/:id`
//   anything else → approved (HTTP 201)
//
// Signed agent requests can be tried on `GET|POST /api/v1/agents/:id/ping`, which echoes what it
// verified. Every route writes an audit row.

import { generateKeyPairSync, randomUUID } from 'node:crypto'

import { ed25519Verifies, fail, readBody, stateOf, type Agent } from './agent-state.ts'
import type { ServerContext, ServerRequest, ServerResponse } from './types.ts'
import { createVerification, readVerification, recordResult } from './verifications.ts'

const AGENT_TYPES = new Set(
  (
    'claude gpt gemini llama mistral cohere langchain llamaindex autogen crewai langgraph ' +
    'haystack semantic_kernel copilot assistant chatbot autogpt babyagi custom ai_agent'
  ).split(' '),
)
const SIGNATURE_WINDOW_SECONDS = 30

function publicView(agent: Agent) {
  const { owner: _owner, ...view } = agent
  return view
}

function agentFromBody(
  body: Record<string, unknown>,
  owner: string,
  publicKey: string,
): Agent | string {
  const name = body.name
  const agentType = body.agentType ?? 'custom'
  if (typeof name !== 'string' || name.trim() === '') return 'name is required'
  if (typeof agentType !== 'string' || !AGENT_TYPES.has(agentType)) return 'unknown agentType'

  return {
    id: randomUUID(),
    name,
    displayName: typeof body.displayName === 'string' ? body.displayName : name,
    description: typeof body.description === 'string' ? body.description : '',
    agentType,
    publicKey,
    status: 'verified',
    trustScore: 0.75,
    owner,
  }
}

/** `POST /api/v1/public/agents/register`: the server makes the key pair and returns it once. */
function registerWithApiKey(request: ServerRequest, context: ServerContext): ServerResponse {
  const apiKey = request.headers['x-aim-api-key']
  if (!apiKey || !context.apiKeys.has(apiKey)) return fail(401, 'Invalid API key')

  const body = readBody(request)
  if (!body) return fail(400, 'Invalid request body')
  const { privateKey, publicKey } = generateKeyPairSync('ed25519')
  const jwk = privateKey.export({ format: 'jwk' })
  const seed = Buffer.from(jwk.d!, 'base64url')
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url')

  const agent = agentFromBody(body, 'api-key', raw.toString('base64'))
  if (typeof agent === 'string') return fail(400, agent)
  stateOf(context).agents.set(agent.id, agent)
  context.audit({ action: 'agent.registered', actor: 'api-key', detail: `agent=${agent.id}` })

  return {
    status: 201,
    body: {
      agentId: agent.id,
      name: agent.name,
      displayName: agent.displayName,
      publicKey: agent.publicKey,
      privateKey: Buffer.concat([seed, raw]).toString('base64'),
      aimUrl: `http://${request.headers.host ?? '127.0.0.1'}`,
      status: agent.status,
      trustScore: agent.trustScore,
      message: 'Agent registered. Save the private key now: it is not shown again.',
    },
  }
}

/** `POST /api/v1/agents`: registration by a signed-in user with a client-made public key. */
async function registerWithSession(
  request: ServerRequest,
  context: ServerContext,
): Promise<ServerResponse> {
  const claims = await context.verifyAccessToken(request.headers.authorization)
  if (!claims) return fail(401, 'Authentication required')

  const body = readBody(request)
  const publicKey = body?.publicKey
  if (!body || typeof publicKey !== 'string' || Buffer.from(publicKey, 'base64').length !== 32) {
    return fail(400, 'publicKey must be 32 bytes of standard base64')
  }

  const agent = agentFromBody(body, String(claims.sub), publicKey)
  if (typeof agent === 'string') return fail(400, agent)
  stateOf(context).agents.set(agent.id, agent)
  context.audit({ action: 'agent.registered', actor: agent.owner, detail: `agent=${agent.id}` })
  return { status: 201, body: publicView(agent) }
}

/**
 * Checks a signed agent request: the four headers, the timestamp within ±30 s, the registered
 * public key, and the signature over `METHOD\npath?query\ntimestamp[\nbody]`.
 */
function checkSignedRequest(
  request: ServerRequest,
  context: ServerContext,
): { agent: Agent } | ServerResponse {
  const agentId = request.headers['x-agent-id']
  const timestamp = request.headers['x-timestamp']
  const signature = request.headers['x-signature']
  const publicKey = request.headers['x-public-key']
  if (!agentId || !timestamp || !signature || !publicKey) {
    return fail(401, 'Missing agent signature headers')
  }

  const agent = stateOf(context).agents.get(agentId)
  const seconds = Number(timestamp)
  let refusal: string | undefined
  if (!agent) refusal = 'Unknown agent'
  else if (agent.publicKey !== publicKey) refusal = 'Public key does not match the agent'
  else if (
    !/^\d+$/.test(timestamp) ||
    Math.abs(context.now() - seconds) > SIGNATURE_WINDOW_SECONDS
  ) {
    refusal = 'Timestamp outside the allowed window'
  } else {
    const head = Buffer.from(`${request.method.toUpperCase()}\n${request.path}\n${timestamp}`)
    const signed =
      request.rawBody.length > 0 ? Buffer.concat([head, Buffer.from('\n'), request.rawBody]) : head
    if (!ed25519Verifies(publicKey, signed, signature)) refusal = 'Invalid signature'
  }

  if (refusal || !agent) {
    context.audit({ action: 'agent.request_rejected', actor: agentId, detail: refusal })
    return fail(401, refusal ?? 'Unknown agent')
  }
  context.audit({ action: 'agent.request_verified', actor: agentId, detail: request.method })
  return { agent }
}

/** `GET /api/v1/agents/:id`: for a signed-in user, or for the agent itself (signed request). */
async function readAgent(
  request: ServerRequest,
  context: ServerContext,
  id: string,
): Promise<ServerResponse> {
  if (request.headers.authorization) {
    if (!(await context.verifyAccessToken(request.headers.authorization))) {
      return fail(401, 'Authentication required')
    }
  } else {
    const checked = checkSignedRequest(request, context)
    if ('status' in checked) return checked
    if (checked.agent.id !== id) return fail(403, 'An agent may read only itself')
  }

  const agent = stateOf(context).agents.get(id)
  if (!agent) return fail(404, 'Agent not found')
  context.audit({ action: 'agent.read', actor: id })
  return { status: 200, body: publicView(agent) }
}

/** `GET|POST /api/v1/agents/:id/ping`: a signed request only; echoes what was verified. */
function ping(request: ServerRequest, context: ServerContext, id: string): ServerResponse {
  const checked = checkSignedRequest(request, context)
  if ('status' in checked) return checked
  if (checked.agent.id !== id) return fail(403, 'An agent may ping only itself')

  return {
    status: 200,
    body: {
      agentId: id,
      method: request.method,
      path: request.path,
      bodyBytes: request.rawBody.length,
    },
  }
}

/**
 * Handles an agent route, or resolves `undefined` when `request` is not one.
 *
 * @param request The parsed request.
 * @param context The server's helpers (token verification, audit, API keys, clock).
 */
export async function handleAgentRoute(
  request: ServerRequest,
  context: ServerContext,
): Promise<ServerResponse | undefined> {
  const path = request.path.split('?')[0]!
  const method = request.method

  if (method === 'POST' && path === '/api/v1/public/agents/register') {
    return registerWithApiKey(request, context)
  }
  if (method === 'POST' && path === '/api/v1/agents') return registerWithSession(request, context)
  if (method === 'POST' && path === '/api/v1/sdk-api/verifications') {
    return createVerification(request, context)
  }

  const verification = path.match(/^\/api\/v1\/sdk-api\/verifications\/([^/]+)(\/result)?$/)
  if (verification) {
    const id = decodeURIComponent(verification[1]!)
    if (method === 'GET' && !verification[2]) return readVerification(request, context, id)
    if (method === 'POST' && verification[2]) return recordResult(request, context, id)
    return undefined
  }

  const agentPath = path.match(/^\/api\/v1\/agents\/([^/]+)(\/ping)?$/)
  if (agentPath) {
    const id = decodeURIComponent(agentPath[1]!)
    if (agentPath[2] && (method === 'GET' || method === 'POST')) return ping(request, context, id)
    if (!agentPath[2] && method === 'GET') return readAgent(request, context, id)
  }
  return undefined
}
