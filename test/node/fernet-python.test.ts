// Interop with the real Python `cryptography` Fernet, in both directions, through both entries:
// random keys, payloads from 0 bytes to 1 MiB, and timestamps across the 64-bit range Python uses.

import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'

import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect } from 'vitest'

import * as node from '../../src/node/index.ts'
import * as web from '../../src/web/index.ts'
import { itWith, pythonCryptography } from './components.ts'
import { PythonPeer } from './python-peer.ts'

const script = fileURLToPath(new URL('../interop/fernet_peer.py', import.meta.url))
const it = itWith(pythonCryptography)

type Answer = { token?: string; data?: string; error?: string }

const payload = fc.oneof(
  fc.uint8Array({ maxLength: 64 }),
  fc.uint8Array({ minLength: 1000, maxLength: 5000 }),
  fc.constantFrom(0, 1, 16, 65_536, 1024 * 1024).map((size) => new Uint8Array(randomBytes(size))),
)
const timestamp = fc.oneof(
  fc.integer({ min: 0, max: 2 ** 32 }),
  fc.integer({ min: 0, max: 2 ** 50 }),
)

for (const [name, entry] of [
  ['node', node],
  ['web', web],
] as const) {
  describe(`Fernet interop with Python cryptography (${name} entry)`, () => {
    let python: PythonPeer
    beforeAll(() => {
      if (pythonCryptography.available) python = new PythonPeer(script)
    })
    afterAll(() => python?.close())

    it('Python decrypts tokens made here', async () => {
      await fc.assert(
        fc.asyncProperty(payload, timestamp, async (data, now) => {
          const key = entry.Fernet.generateKey()
          const token = await (await entry.Fernet.fromKey(key)).encrypt(data, { now })
          const answer = await python.request<Answer>({ op: 'decrypt', key, token })
          expect(answer.error).toBeUndefined()
          expect(Buffer.from(answer.data!, 'base64').equals(Buffer.from(data))).toBe(true)
        }),
        { numRuns: 40 },
      )
    })

    it('tokens made by Python decrypt here, with the same ttl decisions', async () => {
      await fc.assert(
        fc.asyncProperty(
          payload,
          timestamp,
          fc.integer({ min: -90, max: 90 }),
          async (data, now, age) => {
            const key = entry.Fernet.generateKey()
            const made = await python.request<Answer>({
              op: 'encrypt',
              key,
              data: Buffer.from(data).toString('base64'),
              now,
            })
            const fernet = await entry.Fernet.fromKey(key)
            expect(Buffer.from(await fernet.decrypt(made.token!)).equals(Buffer.from(data))).toBe(
              true,
            )

            // The same ttl verdict as Python's, around the age and clock-skew boundaries.
            const check = { ttl: 30, now: now + age }
            const theirs = await python.request<Answer>({
              op: 'decrypt',
              key,
              token: made.token,
              ...check,
            })
            const ours = await fernet.decrypt(made.token!, check).then(
              () => 'ok',
              (error: { code?: string }) => error.code,
            )
            expect(ours).toBe(theirs.error ? 'ERR_FERNET_INVALID_TOKEN' : 'ok')
          },
        ),
        { numRuns: 40 },
      )
    })

    it('Python rejects what this library rejects for tampered tokens', async () => {
      const key = entry.Fernet.generateKey()
      const fernet = await entry.Fernet.fromKey(key)
      const token = await fernet.encrypt('tamper')
      const tampered = token.slice(0, 20) + (token[20] === 'A' ? 'B' : 'A') + token.slice(21)
      const theirs = await python.request<Answer>({ op: 'decrypt', key, token: tampered })
      expect(theirs.error).toBe('InvalidToken')
      await expect(fernet.decrypt(tampered)).rejects.toMatchObject({
        code: 'ERR_FERNET_INVALID_TOKEN',
      })
    })
  })
}
