// The agent-identity suite, shared by every runtime: the action-signature message against
// hand-derived vectors and an independent reference, Ed25519 keys in both AIM forms, signed
// request headers, typed errors for bad input, and no private key in any string form.

import { getPublicKey, hashes, verify } from '@noble/ed25519'
import { sha512 } from '@noble/hashes/sha2.js'
import fc from 'fast-check'

import vectors from '../vectors/aim-action/messages.json' with { type: 'json' }
import type * as Entry from '../../src/web/index.ts'
import {
  assert,
  assertEqual,
  assertFailsWithCode,
  assertFailsWithType,
  type Case,
} from './harness.ts'

/** What the suite needs from the entry under test. */
export type AgentApi = Pick<typeof Entry, 'AgentIdentity' | 'actionSignatureMessage'>

const encoder = new TextEncoder()
const TIMESTAMP = '2026-01-02T03:04:05Z'

// RFC 8032 section 7.1, test 1: a seed and its public key.
const RFC_SEED = '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60'
const RFC_PUBLIC = 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a'

function hexBytes(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g)!, (pair) => parseInt(pair, 16))
}

function base64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes))
}

function fromBase64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (char) => char.charCodeAt(0))
}

function verifies(signature: string, message: Uint8Array | string, publicKey: string): boolean {
  hashes.sha512 ??= sha512
  const bytes = typeof message === 'string' ? encoder.encode(message) : message
  return verify(fromBase64(signature), bytes, fromBase64(publicKey))
}

/**
 * A second rendering of the server's rule, built differently from the library's: keys sorted by
 * their UTF-8 bytes, `JSON.stringify` for the compact form (it already writes raw UTF-8 and the
 * same short escapes as Go), U+2028/U+2029 escaped afterwards, then a pass adding the spaces.
 */
function referenceMessage(action: Entry.AgentAction): string {
  const sortKeys = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(sortKeys)
    if (value === null || typeof value !== 'object') return value
    const entries = Object.entries(value).map(([key, item]) => [encoder.encode(key), key, item])
    entries.sort(([left], [right]) => compareBytes(left as Uint8Array, right as Uint8Array))
    return Object.fromEntries(entries.map(([, key, item]) => [key, sortKeys(item)]))
  }

  const compact = JSON.stringify(
    sortKeys({
      action_type: action.actionType,
      agent_id: action.agentId,
      context: action.context ?? {},
      resource: action.resource || null,
      timestamp: action.timestamp,
    }),
  )
    .replaceAll('\u2028', '\\u2028')
    .replaceAll('\u2029', '\\u2029')

  let spaced = ''
  let inString = false
  for (let index = 0; index < compact.length; index++) {
    const char = compact[index]!
    spaced += char
    if (inString && char === '\\') spaced += compact[++index]!
    else if (char === '"') inString = !inString
    else if (!inString && (char === ':' || char === ',')) spaced += ' '
  }
  return spaced
}

function compareBytes(left: Uint8Array, right: Uint8Array): number {
  for (let index = 0; index < Math.min(left.length, right.length); index++) {
    if (left[index] !== right[index]) return left[index]! - right[index]!
  }
  return left.length - right.length
}

/** Random JSON contexts with text from the whole of Unicode. */
export const contextArbitrary = fc.dictionary(
  fc.string({ unit: 'binary' }),
  fc.jsonValue({ stringUnit: 'binary', maxDepth: 3 }),
  { maxKeys: 6 },
) as fc.Arbitrary<Record<string, unknown>>

/** The suite's cases for one entry. */
export function agentSuite(api: AgentApi): Case[] {
  const { AgentIdentity, actionSignatureMessage } = api

  return [
    ...vectors.cases.map((vector) => ({
      name: `action message: ${vector.name}`,
      run: () => {
        const context = vector.context === null ? undefined : JSON.parse(vector.context)
        const message = actionSignatureMessage({ ...vector.action, context })
        assertEqual(message, vector.expected, 'message')
      },
    })),

    {
      name: 'action message matches an independent rendering for random contexts',
      run: () => {
        fc.assert(
          fc.property(contextArbitrary, fc.string(), (context, resource) => {
            const action = {
              agentId: 'agent',
              actionType: 'act',
              resource,
              context,
              timestamp: TIMESTAMP,
            }
            assertEqual(actionSignatureMessage(action), referenceMessage(action), 'message')
          }),
          { numRuns: 200 },
        )
      },
    },

    {
      name: 'action message rejects what cannot reach the server unchanged',
      run: async () => {
        const cyclic: Record<string, unknown> = {}
        cyclic.self = cyclic
        const rejected: unknown[] = [
          undefined,
          () => 1,
          Symbol('s'),
          10n,
          Number.NaN,
          Number.POSITIVE_INFINITY,
          '\ud800 lone',
          new Date(0),
          new Map(),
          [1, , 3],
          { [Symbol('key')]: 1 },
        ]
        for (const value of rejected) {
          const action = { agentId: 'a', actionType: 'b', context: { value }, timestamp: TIMESTAMP }
          await assertFailsWithCode(
            () => actionSignatureMessage(action),
            'ERR_UNSERIALIZABLE_ACTION',
          )
        }
        const cyclicAction = {
          agentId: 'a',
          actionType: 'b',
          context: cyclic,
          timestamp: TIMESTAMP,
        }
        await assertFailsWithCode(
          () => actionSignatureMessage(cyclicAction),
          'ERR_UNSERIALIZABLE_ACTION',
        )

        const identity = await AgentIdentity.generate()
        const bad = {
          agentId: 'a',
          actionType: 'b',
          context: { n: Number.NaN },
          timestamp: TIMESTAMP,
        }
        await assertFailsWithCode(() => identity.signAction(bad), 'ERR_UNSERIALIZABLE_ACTION')
      },
    },

    {
      name: 'shared values that are not cycles are accepted',
      run: () => {
        const shared = { x: 1 }
        const action = {
          agentId: 'a',
          actionType: 'b',
          context: { p: shared, q: [shared] },
          timestamp: TIMESTAMP,
        }
        assert(
          actionSignatureMessage(action).includes('"q": [{"x": 1}]'),
          'shared value written twice',
        )
      },
    },

    {
      name: 'signAction signs the exact message, verifiable with the public key',
      run: async () => {
        const identity = await AgentIdentity.generate()
        for (const vector of vectors.cases) {
          const context = vector.context === null ? undefined : JSON.parse(vector.context)
          const signature = await identity.signAction({ ...vector.action, context })
          assert(verifies(signature, vector.expected, identity.publicKey), vector.name)
          assert(!verifies(signature, vector.expected + ' ', identity.publicKey), 'altered message')
        }
      },
    },

    {
      name: 'fromPrivateKey takes a 32-byte seed and the 64-byte AIM form alike',
      run: async () => {
        const seed = hexBytes(RFC_SEED)
        const full = new Uint8Array([...seed, ...hexBytes(RFC_PUBLIC)])
        const fromSeed = await AgentIdentity.fromPrivateKey(base64(seed))
        const fromFull = await AgentIdentity.fromPrivateKey(base64(full))
        assertEqual(fromSeed.publicKey, base64(hexBytes(RFC_PUBLIC)), 'RFC 8032 public key')
        assertEqual(fromFull.publicKey, fromSeed.publicKey, 'same public key')

        const action = { agentId: 'a', actionType: 'b', timestamp: TIMESTAMP }
        const signature = await fromSeed.signAction(action)
        assertEqual(await fromFull.signAction(action), signature, 'Ed25519 is deterministic')
      },
    },

    {
      name: 'fromPrivateKey rejects mismatched halves, wrong lengths and bad base64',
      run: async () => {
        const other = getPublicKey(crypto.getRandomValues(new Uint8Array(32)))
        const mismatched = base64(new Uint8Array([...hexBytes(RFC_SEED), ...other]))
        const bad = [
          mismatched,
          base64(new Uint8Array(31)),
          base64(new Uint8Array(48)),
          'not base64!',
          '',
        ]
        for (const key of bad) {
          const error = await assertFailsWithCode(
            () => AgentIdentity.fromPrivateKey(key),
            'ERR_INVALID_AGENT_KEY',
          )
          assert(!error.message.includes(key) || key === '', 'the key is not echoed')
        }
        await assertFailsWithType(
          () => AgentIdentity.fromPrivateKey(42 as unknown as string),
          TypeError,
        )
      },
    },

    {
      name: 'exportPrivateKey gives the 64-byte AIM form only when extractable',
      run: async () => {
        const extractable = await AgentIdentity.generate({ extractable: true })
        const exported = await extractable.exportPrivateKey()
        assertEqual(fromBase64(exported).length, 64, 'length')
        assertEqual(
          (await AgentIdentity.fromPrivateKey(exported)).publicKey,
          extractable.publicKey,
          'round trip',
        )

        const locked = await AgentIdentity.generate()
        await assertFailsWithType(() => locked.exportPrivateKey(), TypeError)
        if (locked.cryptoKey)
          assertEqual(locked.cryptoKey.extractable, false, 'non-extractable CryptoKey')
      },
    },

    {
      name: 'signRequest signs method, path and query as sent, timestamp and body',
      run: async () => {
        const identity = await AgentIdentity.generate()
        const headers = await identity.signRequest({
          agentId: 'agent-7',
          method: 'get',
          url: 'http://127.0.0.1:8080/api/v1/agents/agent-7?full=1&q=a b#fragment',
          timestamp: 1_800_000_000,
        })
        assertEqual(headers['X-Agent-ID'], 'agent-7', 'agent id')
        assertEqual(headers['X-Timestamp'], '1800000000', 'timestamp')
        assertEqual(headers['X-Public-Key'], identity.publicKey, 'public key')
        const getMessage = 'GET\n/api/v1/agents/agent-7?full=1&q=a%20b\n1800000000'
        assert(verifies(headers['X-Signature'], getMessage, identity.publicKey), 'GET signature')

        const body = '{"note":"café ☕"}'
        const post = await identity.signRequest({
          agentId: 'agent-7',
          method: 'POST',
          url: '/api/v1/agents/agent-7/ping?x=1',
          body,
          timestamp: 1_800_000_001,
        })
        const postMessage = `POST\n/api/v1/agents/agent-7/ping?x=1\n1800000001\n${body}`
        assert(verifies(post['X-Signature'], postMessage, identity.publicKey), 'POST signature')

        const bytes = await identity.signRequest({
          agentId: 'agent-7',
          method: 'POST',
          url: '/api/v1/agents/agent-7/ping?x=1',
          body: encoder.encode(body),
          timestamp: 1_800_000_001,
        })
        assertEqual(bytes['X-Signature'], post['X-Signature'], 'string and byte bodies sign alike')
      },
    },

    {
      name: 'signRequest defaults to the current Unix second and rejects bad input',
      run: async () => {
        const identity = await AgentIdentity.generate()
        const before = Math.floor(Date.now() / 1000)
        const headers = await identity.signRequest({ agentId: 'a', method: 'GET', url: '/x' })
        const stamped = Number(headers['X-Timestamp'])
        assert(stamped >= before && stamped <= before + 2, 'Unix seconds, not milliseconds')

        await assertFailsWithType(
          () => identity.signRequest({ agentId: 'a', method: 'GET', url: '/x', timestamp: 1.5 }),
          RangeError,
        )
        await assertFailsWithType(
          () => identity.signRequest({ agentId: 'a', method: 'GET\n', url: '/x' }),
          TypeError,
        )
      },
    },

    {
      name: 'no string form of an identity shows the private key',
      run: async () => {
        const identity = await AgentIdentity.generate({ extractable: true })
        const secret = await identity.exportPrivateKey()
        const seedText = secret.slice(0, 40)
        for (const text of [String(identity), JSON.stringify({ identity }), `${identity}`]) {
          assert(!text.includes(seedText), 'private key leaked')
          assert(text.includes(identity.publicKey), 'public key shown')
        }
      },
    },

    {
      name: 'fromCryptoKey restores an identity from its WebCrypto key and checks the pair',
      run: async () => {
        const identity = await AgentIdentity.generate()
        if (!identity.cryptoKey) return // this runtime has no WebCrypto Ed25519 (noble fallback)

        const restored = await AgentIdentity.fromCryptoKey(identity.cryptoKey, identity.publicKey)
        const action = { agentId: 'a', actionType: 'b', timestamp: TIMESTAMP }
        assertEqual(
          await restored.signAction(action),
          await identity.signAction(action),
          'same key',
        )

        const stranger = await AgentIdentity.generate()
        await assertFailsWithCode(
          () => AgentIdentity.fromCryptoKey(identity.cryptoKey!, stranger.publicKey),
          'ERR_INVALID_AGENT_KEY',
        )
      },
    },
  ]
}
