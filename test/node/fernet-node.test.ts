// The shared Fernet suite through the Node entry (node:crypto), and proof that the node:crypto
// and WebCrypto paths make byte-identical tokens.

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

import { Fernet as WebCryptoFernet, encryptWithIv } from '../../src/core/fernet.ts'
import * as node from '../../src/node/index.ts'
import { fernetSuite } from '../suite/fernet.suite.ts'

describe('Fernet through the Node entry', () => {
  for (const testCase of fernetSuite(node, { Fernet: node.Fernet, encryptWithIv })) {
    it(testCase.name, testCase.run, 60_000)
  }
})

describe('node:crypto and WebCrypto', () => {
  it('make identical tokens for the same key, time and IV, and read each other', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 4096 }),
        fc.integer({ min: 0, max: 2 ** 48 }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        async (key, data, now, iv) => {
          const fast = await node.Fernet.fromKey(key)
          const portable = await WebCryptoFernet.fromKey(key)
          const fastToken = await encryptWithIv(fast, data, now, iv)
          expect(fastToken).toBe(await encryptWithIv(portable, data, now, iv))
          expect(await portable.decrypt(fastToken)).toEqual(new Uint8Array(data))
        },
      ),
      { numRuns: 100 },
    )
  })

  it('uses node:crypto with non-extractable keys from WebCrypto', async () => {
    const portable = await WebCryptoFernet.generate()
    const fast = node.Fernet.fromCryptoKeys(portable.signingKey, portable.encryptionKey)
    expect(fast.signingKey.extractable).toBe(false)
    const token = await fast.encrypt('shared keys')
    expect(new TextDecoder().decode(await portable.decrypt(token))).toBe('shared keys')
  })
})
