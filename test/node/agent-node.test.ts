// Agent identity through the Node entry (node:crypto signing): the shared suite, signatures
// checked by node:crypto and by Python `cryptography` over messages an independent Python rebuild
// of the AIM server's rule makes, and proof that every signing path gives the same bytes.

import { createPublicKey, verify } from 'node:crypto'
import { fileURLToPath } from 'node:url'

import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { AgentIdentity as WebAgentIdentity } from '../../src/core/agent-identity.ts'
import { webSigner } from '../../src/core/agent-key.ts'
import * as node from '../../src/node/index.ts'
import { agentSuite, contextArbitrary } from '../suite/agent.suite.ts'
import vectors from '../vectors/aim-action/messages.json' with { type: 'json' }
import { itWith, pythonCryptography } from './components.ts'
import { PythonPeer } from './python-peer.ts'

const { AgentIdentity, actionSignatureMessage } = node
const TIMESTAMP = '2026-01-02T03:04:05Z'
const PEER = fileURLToPath(new URL('../interop/agent_peer.py', import.meta.url))

// The SubjectPublicKeyInfo DER prefix of an Ed25519 public key (RFC 8410).
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')

function nodeVerifies(signature: string, message: string | Uint8Array, publicKey: string) {
  const key = createPublicKey({
    key: Buffer.concat([SPKI_PREFIX, Buffer.from(publicKey, 'base64')]),
    format: 'der',
    type: 'spki',
  })
  return verify(null, Buffer.from(message), key, Buffer.from(signature, 'base64'))
}

/** The verification body exactly as the client sends it. */
function verificationBody(action: node.AgentAction, signature: string, publicKey: string) {
  return {
    agent_id: action.agentId,
    action_type: action.actionType,
    resource: action.resource,
    context: action.context ?? {},
    timestamp: action.timestamp,
    signature,
    public_key: publicKey,
  }
}

describe('AgentIdentity through the Node entry', () => {
  for (const testCase of agentSuite(node)) {
    it(testCase.name, testCase.run, 60_000)
  }

  it('signs with node:crypto, verifiable by node:crypto', async () => {
    const identity = await AgentIdentity.generate()
    for (const vector of vectors.cases) {
      const context = vector.context === null ? undefined : JSON.parse(vector.context)
      const signature = await identity.signAction({ ...vector.action, context })
      expect(nodeVerifies(signature, vector.expected, identity.publicKey)).toBe(true)
    }
  })

  it('gives the same signatures as WebCrypto and @noble/ed25519 for the same key', async () => {
    const extractable = await AgentIdentity.generate({ extractable: true })
    const privateKey = await extractable.exportPrivateKey()
    const portable = await WebAgentIdentity.fromPrivateKey(privateKey)
    const seed = new Uint8Array(Buffer.from(privateKey, 'base64').subarray(0, 32))
    const nobleSign = webSigner({ kind: 'seed', seed })

    await fc.assert(
      fc.asyncProperty(contextArbitrary, async (context) => {
        const action = { agentId: 'agent', actionType: 'act', context, timestamp: TIMESTAMP }
        const expected = await portable.signAction(action)
        expect(await extractable.signAction(action)).toBe(expected)
        const message = new TextEncoder().encode(actionSignatureMessage(action))
        expect(await nobleSign(message)).toBe(expected)
      }),
      { numRuns: 50 },
    )
  })

  it('signs with node:crypto even for a non-extractable WebCrypto key', async () => {
    const portable = await WebAgentIdentity.generate()
    expect(portable.cryptoKey?.extractable).toBe(false)
    const fast = await AgentIdentity.fromCryptoKey(portable.cryptoKey!, portable.publicKey)
    const action = { agentId: 'a', actionType: 'b', context: { x: [1, 'é'] }, timestamp: TIMESTAMP }
    expect(await fast.signAction(action)).toBe(await portable.signAction(action))
  })

  it('keeps the private key out of util.inspect', async () => {
    const { inspect } = await import('node:util')
    const identity = await AgentIdentity.generate({ extractable: true })
    const secret = (await identity.exportPrivateKey()).slice(0, 40)
    expect(inspect(identity)).not.toContain(secret)
    expect(inspect({ nested: [identity] })).toContain('[redacted]')
  })
})

describe('Signatures checked by Python cryptography over an independent rebuild', () => {
  let peer: PythonPeer

  beforeAll(() => {
    if (pythonCryptography.available) peer = new PythonPeer(PEER)
  })

  afterAll(() => peer?.close())

  interface ActionAnswer {
    message: string
    valid: boolean
  }

  itWith(pythonCryptography)('verifies every vector, and rebuilds the same message', async () => {
    const identity = await AgentIdentity.generate()
    for (const vector of vectors.cases) {
      const context = vector.context === null ? undefined : JSON.parse(vector.context)
      const action = { ...vector.action, context }
      const signature = await identity.signAction(action)
      // Sent as JSON, as the client sends it: -0 and big integers reach Python as JSON reads them.
      const body = JSON.parse(
        JSON.stringify(verificationBody(action, signature, identity.publicKey)),
      )
      const answer = await peer.request<ActionAnswer>({ op: 'action', body })
      expect(answer.message).toBe(vector.expected)
      expect(answer.valid).toBe(true)
    }
  })

  itWith(pythonCryptography)('rebuilds our message for random contexts (property)', async () => {
    const identity = await AgentIdentity.fromPrivateKey(Buffer.alloc(32, 7).toString('base64'))
    await fc.assert(
      fc.asyncProperty(
        contextArbitrary,
        fc.string({ unit: 'binary' }),
        async (context, resource) => {
          const action = {
            agentId: 'agent-é',
            actionType: 'act',
            resource,
            context,
            timestamp: TIMESTAMP,
          }
          const signature = await identity.signAction(action)
          const body = verificationBody(action, signature, identity.publicKey)
          const answer = await peer.request<ActionAnswer>({
            op: 'action',
            body: JSON.parse(JSON.stringify(body)),
          })
          expect(answer.message).toBe(actionSignatureMessage(action))
          expect(answer.valid).toBe(true)
        },
      ),
      { numRuns: 150 },
    )
  })

  itWith(pythonCryptography)(
    'verifies signed GET and POST requests with query strings',
    async () => {
      const identity = await AgentIdentity.generate()
      const requests = [
        {
          method: 'GET',
          url: 'http://127.0.0.1:9/api/v1/agents/a1?x=1&y=%C3%A9',
          expected: '/api/v1/agents/a1?x=1&y=%C3%A9',
        },
        {
          method: 'POST',
          url: '/api/v1/agents/a1/ping?z=2',
          body: '{"é":"☕"}',
          expected: '/api/v1/agents/a1/ping?z=2',
        },
      ]
      for (const request of requests) {
        const headers = await identity.signRequest({
          agentId: 'a1',
          timestamp: 1_800_000_000,
          ...request,
        })
        let message = `${request.method}\n${request.expected}\n1800000000`
        if (request.body) message += `\n${request.body}`
        const answer = await peer.request<{ valid: boolean }>({
          op: 'request',
          message: Buffer.from(message).toString('base64'),
          signature: headers['X-Signature'],
          public_key: headers['X-Public-Key'],
        })
        expect(answer.valid).toBe(true)
      }
    },
  )
})
