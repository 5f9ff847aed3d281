// The shared agent-identity suite on the fallback for runtimes without WebCrypto Ed25519: here
// WebCrypto is made to refuse Ed25519, so keys are seeds signed by `@noble/ed25519`. Signatures
// must be identical to node:crypto's for the same key.

import { afterAll, describe, expect, it, vi } from 'vitest'

import * as node from '../../src/node/index.ts'
import type { AgentApi } from '../suite/agent.suite.ts'
import { agentSuite } from '../suite/agent.suite.ts'

const subtle = crypto.subtle
const originalGenerate = subtle.generateKey.bind(subtle)
const originalImport = subtle.importKey.bind(subtle)

function isEd25519(algorithm: unknown): boolean {
  const name = typeof algorithm === 'string' ? algorithm : (algorithm as { name?: string })?.name
  return name?.toLowerCase() === 'ed25519'
}

// Set up before the suite is collected: its cases take the classes when they are built.
vi.spyOn(subtle, 'generateKey').mockImplementation(((algorithm: unknown, ...rest: never[]) =>
  isEd25519(algorithm)
    ? Promise.reject(new DOMException('Unrecognized algorithm name', 'NotSupportedError'))
    : (originalGenerate as (...args: unknown[]) => unknown)(algorithm, ...rest)) as never)
vi.spyOn(subtle, 'importKey').mockImplementation(((
  format: never,
  data: never,
  algorithm: unknown,
  ...rest: never[]
) =>
  isEd25519(algorithm)
    ? Promise.reject(new DOMException('Unrecognized algorithm name', 'NotSupportedError'))
    : (originalImport as (...args: unknown[]) => unknown)(
        format,
        data,
        algorithm,
        ...rest,
      )) as never)

// A fresh copy of the modules, so that the support check runs against the refusing WebCrypto.
vi.resetModules()
const api: AgentApi = await import('../../src/core/index.ts')

afterAll(() => {
  vi.restoreAllMocks()
})

describe('AgentIdentity without WebCrypto Ed25519 (@noble/ed25519)', () => {
  it('holds seeds, not CryptoKeys', async () => {
    const identity = await api.AgentIdentity.generate()
    expect(identity.cryptoKey).toBeUndefined()
  })

  for (const testCase of agentSuite(api)) {
    it(testCase.name, testCase.run, 60_000)
  }

  it('signs exactly as node:crypto does with the same key', async () => {
    const seed = Buffer.alloc(32, 3).toString('base64')
    const noble = await api.AgentIdentity.fromPrivateKey(seed)
    expect(noble.cryptoKey).toBeUndefined()
    vi.restoreAllMocks()
    const fast = await node.AgentIdentity.fromPrivateKey(seed)
    const action = {
      agentId: 'a',
      actionType: 'b',
      context: { é: [1.5] },
      timestamp: '2026-01-01T00:00:00Z',
    }
    expect(await noble.signAction(action)).toBe(await fast.signAction(action))
    const request = { agentId: 'a', method: 'POST', url: '/x?y=1', body: 'z', timestamp: 5 }
    expect(await noble.signRequest(request)).toEqual(await fast.signRequest(request))
  })
})
