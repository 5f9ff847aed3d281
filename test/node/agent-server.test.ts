// AimClient and AgentIdentity against the demo AIM server over real HTTP: registration with an
// API key and with a session, agent credentials encrypted on disk (and the Python SDK's plaintext
// agent file migrated), signed GET and POST requests with query strings, action verification
// approved, denied and pending-then-approved, and result reporting.

import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { rebuildActionMessage } from '../../demo/server/action-rebuild.ts'
import { startAimServer, type AimServer } from '../../demo/server/index.ts'
import {
  AgentIdentity,
  AimClient,
  Fernet,
  PlaintextCredentialStorage,
  SecureCredentialStorage,
  TokenManager,
  type AgentAction,
  type CredentialStore,
} from '../../src/node/index.ts'
import vectors from '../vectors/aim-action/messages.json' with { type: 'json' }

let folder: string
let server: AimServer
const KEY = Fernet.generateKey()

beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), 'aim-agent-'))
  server = await startAimServer()
})

afterEach(async () => {
  await server.close()
  await rm(folder, { recursive: true, force: true })
})

/** Agent files as the Node entry keeps them, under `folder/agents`, with a fixed key. */
function agentStorage(safeName: string): CredentialStore {
  return new SecureCredentialStorage({ path: join(folder, 'agents', `${safeName}.json`), key: KEY })
}

/** Request bodies the session sent, by path. */
const sent: Array<{ path: string; body: string }> = []

async function session(): Promise<TokenManager> {
  const storage = new PlaintextCredentialStorage({ path: join(folder, 'credentials.json') })
  await storage.saveCredentials(await server.issueSdkCredentials())
  const recordingFetch: typeof fetch = async (input, init) => {
    const request = new Request(input, init)
    sent.push({ path: new URL(request.url).pathname, body: await request.clone().text() })
    return fetch(request)
  }
  return new TokenManager({ storage, fetch: recordingFetch })
}

function auditActions(): string[] {
  return server.audit.list().map((row) => row.action)
}

async function decryptAgentFile(safeName: string): Promise<Record<string, unknown>> {
  const token = await readFile(join(folder, 'agents', `${safeName}.encrypted`), 'utf8')
  const plaintext = await (await Fernet.fromKey(KEY)).decrypt(token)
  return JSON.parse(new TextDecoder().decode(plaintext))
}

describe("The demo server's action rebuild", () => {
  it('matches every hand-derived vector', () => {
    for (const vector of vectors.cases) {
      const body = {
        agent_id: vector.action.agentId,
        action_type: vector.action.actionType,
        resource: 'resource' in vector.action ? vector.action.resource : undefined,
        context: vector.context === null ? undefined : JSON.parse(vector.context),
        timestamp: vector.action.timestamp,
      }
      expect(rebuildActionMessage(JSON.parse(JSON.stringify(body))), vector.name).toBe(
        vector.expected,
      )
    }
  })
})

describe('Agent registration', () => {
  it('with an API key: stores the issued private key encrypted before returning', async () => {
    const client = new AimClient({ aimUrl: server.url, apiKey: server.apiKeys[0], agentStorage })
    const agent = await client.registerAgent({ name: 'report bot/1', agentType: 'langchain' })

    const record = await decryptAgentFile('report_bot_1')
    expect(record).toMatchObject({
      schemaVersion: '1.0',
      type: 'agent',
      name: 'report bot/1',
      agent_id: agent.agentId,
      public_key: agent.identity.publicKey,
      aim_url: server.url,
      status: 'verified',
    })
    expect(Buffer.from(String(record.private_key), 'base64')).toHaveLength(64)
    await expect(stat(join(folder, 'agents', 'report_bot_1.json'))).rejects.toThrow()
    expect(JSON.stringify(agent)).not.toContain(String(record.private_key).slice(0, 40))

    const loaded = await client.loadAgent('report bot/1')
    expect(loaded?.identity.publicKey).toBe(agent.identity.publicKey)
    expect(auditActions()).toContain('agent.registered')
  })

  it('with a session: sends only the public key, which the server keeps', async () => {
    const tokens = await session()
    const client = new AimClient({ tokens, agentStorage })
    const agent = await client.registerAgent({ name: 'session-agent' })

    const record = await decryptAgentFile('session-agent')
    expect(record).toMatchObject({ agent_id: agent.agentId, aim_url: server.url, type: 'agent' })
    const stored = await AgentIdentity.fromPrivateKey(String(record.private_key))
    expect(stored.publicKey).toBe(agent.identity.publicKey)

    const registration = sent.find((request) => request.path === '/api/v1/agents')
    expect(JSON.parse(registration!.body)).toMatchObject({
      name: 'session-agent',
      publicKey: agent.identity.publicKey,
    })
    expect(registration!.body).not.toMatch(/private/i)

    const details = await client.getAgent(agent.agentId)
    expect(details.publicKey).toBe(agent.identity.publicKey)
    expect(JSON.stringify(details)).not.toContain('privateKey')
  })

  it('refuses to overwrite a stored agent of the same name', async () => {
    const client = new AimClient({ aimUrl: server.url, apiKey: server.apiKeys[0], agentStorage })
    await client.registerAgent({ name: 'twice' })
    const before = await decryptAgentFile('twice')
    await expect(client.registerAgent({ name: 'twice' })).rejects.toBeInstanceOf(TypeError)
    expect(await decryptAgentFile('twice')).toEqual(before)
  })

  it('reports a wrong API key as ERR_SERVER and stores nothing', async () => {
    const client = new AimClient({ aimUrl: server.url, apiKey: 'wrong', agentStorage })
    await expect(client.registerAgent({ name: 'nobody' })).rejects.toMatchObject({
      code: 'ERR_SERVER',
      status: 401,
    })
    expect(await agentStorage('nobody').credentialsExist()).toBe(false)
  })

  it("migrates the Python SDK's plaintext agent file, keeping unknown fields", async () => {
    const client = new AimClient({ aimUrl: server.url, apiKey: server.apiKeys[0], agentStorage })
    const issued = await client.registerAgent({ name: 'source' })
    const source = await decryptAgentFile('source')

    await mkdir(join(folder, 'agents'), { recursive: true, mode: 0o700 })
    const legacy = join(folder, 'agents', 'legacy.json')
    const pythonRecord = { ...source, name: 'legacy', extra_field: { kept: [1, 'é'] } }
    await writeFile(legacy, JSON.stringify(pythonRecord, null, 2), { mode: 0o600 })

    const loaded = await client.loadAgent('legacy')
    expect(loaded?.agentId).toBe(issued.agentId)
    await expect(stat(legacy)).rejects.toThrow()
    expect((await decryptAgentFile('legacy')).extra_field).toEqual({ kept: [1, 'é'] })
  })

  it('keeps agents in ~/.aim/agents/<safe_name>.encrypted by default', async () => {
    const home = join(folder, 'home')
    const saved = { HOME: process.env.HOME, KEY: process.env.AIM_ENCRYPTION_KEY }
    process.env.HOME = home
    process.env.AIM_ENCRYPTION_KEY = KEY
    try {
      const client = new AimClient({ aimUrl: server.url, apiKey: server.apiKeys[0] })
      await client.registerAgent({ name: 'home agent' })
      const encrypted = join(home, '.aim', 'agents', 'home_agent.encrypted')
      expect((await stat(encrypted)).mode & 0o777).toBe(0o600)
      expect((await stat(join(home, '.aim', 'agents'))).mode & 0o777).toBe(0o700)
    } finally {
      process.env.HOME = saved.HOME
      if (saved.KEY === undefined) delete process.env.AIM_ENCRYPTION_KEY
      else process.env.AIM_ENCRYPTION_KEY = saved.KEY
    }
  })
})

describe('Signed agent requests', () => {
  async function registered() {
    const client = new AimClient({ aimUrl: server.url, apiKey: server.apiKeys[0], agentStorage })
    return { client, agent: await client.registerAgent({ name: 'signer' }) }
  }

  it('signs GET and POST with query strings, as the server verifies them', async () => {
    const { agent } = await registered()
    const getUrl = `${server.url}/api/v1/agents/${agent.agentId}/ping?full=1&q=caf%C3%A9`
    const getHeaders = await agent.identity.signRequest({
      agentId: agent.agentId,
      method: 'GET',
      url: getUrl,
    })
    const got = await fetch(getUrl, { headers: getHeaders })
    expect(got.status).toBe(200)
    expect(await got.json()).toMatchObject({
      path: `/api/v1/agents/${agent.agentId}/ping?full=1&q=caf%C3%A9`,
    })

    const postUrl = `${server.url}/api/v1/agents/${agent.agentId}/ping?x=1`
    const body = JSON.stringify({ note: 'café ☕', n: [1, 2] })
    const postHeaders = await agent.identity.signRequest({
      agentId: agent.agentId,
      method: 'POST',
      url: postUrl,
      body,
    })
    const posted = await fetch(postUrl, {
      method: 'POST',
      body,
      headers: { ...postHeaders, 'Content-Type': 'application/json' },
    })
    expect(posted.status).toBe(200)
    expect((await posted.json()).bodyBytes).toBe(Buffer.byteLength(body))
    expect(auditActions().filter((action) => action === 'agent.request_verified')).toHaveLength(2)
  })

  it('is refused when the body, query, timestamp or key differ', async () => {
    const { agent } = await registered()
    const url = `${server.url}/api/v1/agents/${agent.agentId}/ping?x=1`
    const body = '{"a":1}'
    const headers = await agent.identity.signRequest({
      agentId: agent.agentId,
      method: 'POST',
      url,
      body,
    })
    const stale = await agent.identity.signRequest({
      agentId: agent.agentId,
      method: 'POST',
      url,
      body,
      timestamp: Math.floor(Date.now() / 1000) - 120,
    })
    const stranger = await AgentIdentity.generate()
    const foreign = await stranger.signRequest({
      agentId: agent.agentId,
      method: 'POST',
      url,
      body,
    })

    const attempts = [
      fetch(url, { method: 'POST', body: '{"a":2}', headers }),
      fetch(`${url}&y=2`, { method: 'POST', body, headers }),
      fetch(url, { method: 'POST', body, headers: stale }),
      fetch(url, { method: 'POST', body, headers: foreign }),
    ]
    for (const response of await Promise.all(attempts)) expect(response.status).toBe(401)
    expect(auditActions().filter((action) => action === 'agent.request_rejected')).toHaveLength(4)
  })

  it('verifies actions with the API key (X-API-Key) instead of a session', async () => {
    const { client, agent } = await registered()
    const verdict = await client.verifyAction(agent.identity, {
      agentId: agent.agentId,
      actionType: 'read_inbox',
      context: { folder: 'Entrée' },
    })
    expect(verdict.status).toBe('approved')
    await client.reportActionResult(verdict.id, { result: 'success' })
  })

  it('reads the agent itself through AimClient.getAgent with a signed request', async () => {
    const { client, agent } = await registered()
    const details = await client.getAgent(agent.agentId, { identity: agent.identity })
    expect(details).toMatchObject({ id: agent.agentId, publicKey: agent.identity.publicKey })
  })
})

describe('Action verification', () => {
  async function registered(
    options: { pollIntervalMs?: number; verificationTimeoutMs?: number } = {},
  ) {
    const tokens = await session()
    const client = new AimClient({ tokens, aimUrl: server.url, agentStorage, ...options })
    return { client, agent: await client.registerAgent({ name: 'actor' }) }
  }

  it('is approved for a context with non-ASCII text, nesting, arrays and numbers', async () => {
    const { client, agent } = await registered()
    const verification = await client.verifyAction(agent.identity, {
      agentId: agent.agentId,
      actionType: 'read_database',
      resource: 'clients/ü',
      context: { note: 'naïve 😀 \u2028', nested: { list: [1, 0.1, 1e21, 1e-7, -3] }, ok: true },
      riskLevel: 'low',
    })
    expect(verification).toMatchObject({ status: 'approved', approvedBy: 'policy' })

    await client.reportActionResult(verification.id, { result: 'success', reason: 'done' })
    const rows = server.audit.list()
    expect(rows.find((row) => row.action === 'verification.created')?.detail).toBe(
      'read_database: approved',
    )
    expect(rows.find((row) => row.action === 'verification.result')?.detail).toBe(
      `${verification.id}: success`,
    )
  })

  it('is denied (HTTP 403) as a decision, not an error', async () => {
    const { client, agent } = await registered()
    const verification = await client.verifyAction(agent.identity, {
      agentId: agent.agentId,
      actionType: 'deny_delete_everything',
    })
    expect(verification.status).toBe('denied')
    expect(verification.denialReason).toContain('deny_delete_everything')
    await client.reportActionResult(verification.id, { result: 'failure', reason: 'denied' })
  })

  it('polls while pending until approved', async () => {
    const { client, agent } = await registered({ pollIntervalMs: 20 })
    const verification = await client.verifyAction(agent.identity, {
      agentId: agent.agentId,
      actionType: 'review_payment',
      context: { amount: 12.5 },
    })
    expect(verification.status).toBe('approved')
    expect(auditActions()).toContain('verification.approved')
  })

  it('gives up on a pending verification at its deadline with ERR_TIMEOUT', async () => {
    const { client, agent } = await registered({ pollIntervalMs: 50, verificationTimeoutMs: 60 })
    await expect(
      client.verifyAction(agent.identity, { agentId: agent.agentId, actionType: 'review_slow' }),
    ).rejects.toMatchObject({ code: 'ERR_TIMEOUT' })
  })

  it('is refused with ERR_SERVER when signed by another key', async () => {
    const { client, agent } = await registered()
    const impostor = await AgentIdentity.generate()
    // Claims the agent's registered public key, but signs with another private key.
    const forged = {
      publicKey: agent.identity.publicKey,
      signAction: (action: AgentAction) => impostor.signAction(action),
    } as unknown as AgentIdentity
    await expect(
      client.verifyAction(forged, { agentId: agent.agentId, actionType: 'read' }),
    ).rejects.toMatchObject({ code: 'ERR_SERVER', status: 401 })
  })

  it('rejects an unserializable context before sending anything', async () => {
    const { client, agent } = await registered()
    const before = server.audit.list().length
    await expect(
      client.verifyAction(agent.identity, {
        agentId: agent.agentId,
        actionType: 'read',
        context: { when: new Date() },
      }),
    ).rejects.toMatchObject({ code: 'ERR_UNSERIALIZABLE_ACTION' })
    expect(server.audit.list()).toHaveLength(before)
  })

  it('lists the audit log', async () => {
    const { client } = await registered()
    const rows = await client.listAuditLogs()
    expect(rows.map((row) => row.action)).toContain('agent.registered')
  })
})
