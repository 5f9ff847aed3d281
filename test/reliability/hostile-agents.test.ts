// Hostile agent private keys and action contexts, generated with fast-check: any text as a key,
// and contexts holding anything JavaScript can hold. Each must give a working identity or
// ERR_INVALID_AGENT_KEY, and a message the server can parse or ERR_UNSERIALIZABLE_ACTION.

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

import { actionSignatureMessage, AgentIdentity, AimClient } from '../../src/node/index.ts'
import { count, figures, withinBound } from './fixtures.ts'
import { outcomeOf, property } from './hostile-fixtures.ts'

const tally = figures('hostile-agents')

const agentKeyText: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 120 }),
  fc.base64String({ maxLength: 120 }),
  fc.uint8Array({ maxLength: 80 }).map((bytes) => Buffer.from(bytes).toString('base64')),
  fc
    .uint8Array({ minLength: 64, maxLength: 64 })
    .map((bytes) => Buffer.from(bytes).toString('base64url')),
  fc
    .uint8Array({ minLength: 64, maxLength: 64 })
    .map((bytes) => Buffer.from(bytes).toString('base64')),
  fc
    .uint8Array({ minLength: 32, maxLength: 32 })
    .map((bytes) => ` ${Buffer.from(bytes).toString('base64')}\n`),
)

describe('hostile agent private keys', () => {
  property(
    tally,
    'fromPrivateKey gives a working identity or ERR_INVALID_AGENT_KEY',
    agentKeyText,
    async (text) => {
      const outcome = await outcomeOf(AgentIdentity.fromPrivateKey(text))
      expect(['ok', 'ERR_INVALID_AGENT_KEY']).toContain(outcome)
      if (outcome === 'ok') {
        const identity = await AgentIdentity.fromPrivateKey(text)
        const headers = await identity.signRequest({
          agentId: 'a',
          method: 'GET',
          url: '/x',
          timestamp: 1,
        })
        expect(headers['X-Signature']).toMatch(/^[A-Za-z0-9+/]{86}==$/)
        count(tally, 'acceptedKeys')
      } else {
        count(tally, 'typedErrors')
      }
    },
  )
})

// JSON values plus what JSON cannot hold: undefined, bigint, NaN, Date, Map, sparse arrays.
const hostileValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.jsonValue({ maxDepth: 1 }),
    fc.string({ unit: 'binary' }),
    fc.constantFrom(
      undefined,
      Number.NaN,
      Infinity,
      -0,
      10n,
      Symbol('s'),
      () => 1,
      new Date(0),
      new Map(),
    ),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.sparseArray(fc.integer(), { maxLength: 4 }),
    fc.dictionary(fc.string({ unit: 'binary', maxLength: 6 }), tie('value'), { maxKeys: 4 }),
  ),
})).value

describe('hostile action contexts', () => {
  property(
    tally,
    'actionSignatureMessage gives JSON the server can parse, or ERR_UNSERIALIZABLE_ACTION',
    fc.tuple(
      fc.dictionary(fc.string({ unit: 'binary', maxLength: 6 }), hostileValue, { maxKeys: 5 }),
      fc.string({ unit: 'binary', maxLength: 20 }),
    ),
    async ([context, actionType]) => {
      const action = { agentId: 'agent-1', actionType, context, timestamp: '2026-01-01T00:00:00Z' }
      const outcome = await outcomeOf(Promise.resolve().then(() => actionSignatureMessage(action)))
      expect(['ok', 'ERR_UNSERIALIZABLE_ACTION']).toContain(outcome)
      if (outcome === 'ok') {
        const parsed = JSON.parse(actionSignatureMessage(action)) as Record<string, unknown>
        expect(Object.keys(parsed)).toEqual([
          'action_type',
          'agent_id',
          'context',
          'resource',
          'timestamp',
        ])
        expect(parsed.action_type).toBe(actionType)
      } else {
        count(tally, 'typedErrors')
      }
    },
  )

  it('a context that contains itself gives ERR_UNSERIALIZABLE_ACTION', async () => {
    const cyclic: Record<string, unknown> = { list: [] }
    cyclic.self = cyclic
    ;(cyclic.list as unknown[]).push(cyclic)
    const action = {
      agentId: 'a',
      actionType: 'read',
      context: cyclic,
      timestamp: '2026-01-01T00:00:00Z',
    }
    expect(await outcomeOf(Promise.resolve().then(() => actionSignatureMessage(action)))).toBe(
      'ERR_UNSERIALIZABLE_ACTION',
    )
    count(tally, 'cases')
  })

  // The writer recurses once per level: a context nested far deeper than any real one (JSON.parse
  // of untrusted text makes one easily) must be refused with the typed error, not overflow the
  // call stack with a bare RangeError.
  it('a context nested 100 000 deep gives ERR_UNSERIALIZABLE_ACTION', async () => {
    const deep = JSON.parse('{"next":'.repeat(100_000) + '{}' + '}'.repeat(100_000)) as Record<
      string,
      unknown
    >
    const action = {
      agentId: 'a',
      actionType: 'read',
      context: deep,
      timestamp: '2026-01-01T00:00:00Z',
    }
    expect(await outcomeOf(Promise.resolve().then(() => actionSignatureMessage(action)))).toBe(
      'ERR_UNSERIALIZABLE_ACTION',
    )
  })
})

describe('AimClient against a fetch that ignores its abort signal', () => {
  it('ends in ERR_TIMEOUT for a body that never ends', async () => {
    const endless: typeof fetch = async () =>
      new Response(
        new ReadableStream({ start: (controller) => controller.enqueue(new Uint8Array([123])) }),
        {
          status: 200,
          headers: { 'content-type': 'application/json' },
        },
      )
    const client = new AimClient({
      apiKey: 'aim_test_key',
      aimUrl: 'http://127.0.0.1:9',
      fetch: endless,
      timeoutMs: 300,
      agentStorage: () => {
        throw new Error('no storage is needed to read the audit log')
      },
    })
    const outcome = await withinBound(
      client.listAuditLogs().then(
        () => 'ok',
        (error: { code?: string }) => error.code,
      ),
      3000,
      'listAuditLogs with an endless body',
    )
    expect(outcome).toBe('ERR_TIMEOUT')
  })
})
