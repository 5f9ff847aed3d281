// The Fernet suite, shared by every runtime: Node (both entries), happy-dom, Chromium, Deno, Bun.
// It receives the entry under test, so the same cases check each build and export condition.

import fc from 'fast-check'

import generateVectors from '../vectors/fernet-spec/generate.json' with { type: 'json' }
import invalidVectors from '../vectors/fernet-spec/invalid.json' with { type: 'json' }
import verifyVectors from '../vectors/fernet-spec/verify.json' with { type: 'json' }
import type * as Entry from '../../src/web/index.ts'
import type { encryptWithIv } from '../../src/core/fernet.ts'
import {
  assert,
  assertBytesEqual,
  assertEqual,
  assertFailsWithCode,
  assertFailsWithType,
  caught,
  type Case,
} from './harness.ts'

/** What a suite needs from the package under test. */
export type Api = Pick<typeof Entry, 'Fernet' | 'MultiFernet' | 'FernetInvalidTokenError'>

/** The non-exported hook for fixed IVs, with the class it belongs to. */
export interface Internals {
  Fernet: typeof Entry.Fernet
  encryptWithIv: typeof encryptWithIv
}

const INVALID = 'ERR_FERNET_INVALID_TOKEN'
const encoder = new TextEncoder()
const decoder = new TextDecoder()

function seconds(iso: string): number {
  return Date.parse(iso) / 1000
}

function decodeToken(token: string): Uint8Array {
  const standard = token.replaceAll('-', '+').replaceAll('_', '/')
  return Uint8Array.from(atob(standard), (char) => char.charCodeAt(0))
}

function encodeToken(bytes: Uint8Array): string {
  const binary = String.fromCharCode(...bytes)
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_')
}

/** Builds a token with a valid MAC and an all-zero IV around any ciphertext, from raw key bytes. */
async function forgeWithValidMac(
  key: Uint8Array<ArrayBuffer>,
  ciphertext: Uint8Array,
): Promise<string> {
  const header = new Uint8Array(25)
  header[0] = 0x80
  const body = new Uint8Array([...header, ...ciphertext])
  const hmacKey = await crypto.subtle.importKey(
    'raw',
    key.slice(0, 16),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  )
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', hmacKey, body))
  return encodeToken(new Uint8Array([...body, ...mac]))
}

/** Encrypts one block under an all-zero IV, keeping AES-CBC's first block and not its padding. */
async function encryptRawBlock(
  key: Uint8Array,
  block: Uint8Array<ArrayBuffer>,
): Promise<Uint8Array> {
  const aesKey = await crypto.subtle.importKey('raw', key.slice(16), 'AES-CBC', false, ['encrypt'])
  const iv = new Uint8Array(16)
  const padded = await crypto.subtle.encrypt({ name: 'AES-CBC', iv }, aesKey, block)
  return new Uint8Array(padded).slice(0, 16)
}

export function fernetSuite(api: Api, internals: Internals): Case[] {
  const { Fernet, MultiFernet } = api

  const cases: Case[] = [
    {
      name: 'reproduces the specification generate vectors with the fixed IV',
      async run() {
        for (const vector of generateVectors) {
          const fernet = await internals.Fernet.fromKey(vector.secret)
          const iv = new Uint8Array(vector.iv)
          const token = await internals.encryptWithIv(fernet, vector.src, seconds(vector.now), iv)
          assertEqual(token, vector.token, 'generated token')
        }
      },
    },
    {
      name: 'decrypts the generate vectors with the entry under test',
      async run() {
        for (const vector of generateVectors) {
          const fernet = await Fernet.fromKey(vector.secret)
          assertEqual(decoder.decode(await fernet.decrypt(vector.token)), vector.src)
        }
      },
    },
    {
      name: 'decrypts the specification verify vectors within their ttl',
      async run() {
        for (const vector of verifyVectors) {
          const fernet = await Fernet.fromKey(vector.secret)
          const options = { ttl: vector.ttl_sec, now: seconds(vector.now) }
          assertEqual(decoder.decode(await fernet.decrypt(vector.token, options)), vector.src)
        }
      },
    },
    {
      name: 'rejects every invalid vector with one code and one message',
      async run() {
        const messages = new Set<string>()
        for (const vector of invalidVectors) {
          const fernet = await Fernet.fromKey(vector.secret)
          const options = { ttl: vector.ttl_sec, now: seconds(vector.now) }
          const error = await assertFailsWithCode(
            () => fernet.decrypt(vector.token, options),
            INVALID,
          )
          assert(error instanceof api.FernetInvalidTokenError, `${vector.desc}: error class`)
          messages.add(error.message)
        }
        assertEqual(messages.size, 1, 'distinct messages')
      },
    },
    {
      name: 'generateKey returns 44 characters of padded URL-safe base64 for 32 random bytes',
      async run() {
        const first = Fernet.generateKey()
        const second = Fernet.generateKey()
        assert(/^[A-Za-z0-9_-]{43}=$/.test(first), 'key alphabet and padding')
        assertEqual(decodeToken(first).length, 32, 'key length')
        assert(first !== second, 'two keys differ')
        await Fernet.fromKey(first)
      },
    },
    {
      name: 'generate makes non-extractable keys unless asked',
      async run() {
        const fernet = await Fernet.generate()
        assertEqual(fernet.signingKey.extractable, false, 'signing key extractable')
        assertEqual(fernet.encryptionKey.extractable, false, 'encryption key extractable')
        await assertFailsWithType(() => crypto.subtle.exportKey('raw', fernet.signingKey), Error)
        await assertFailsWithType(() => crypto.subtle.exportKey('raw', fernet.encryptionKey), Error)

        const open = await Fernet.generate({ extractable: true })
        const raw = new Uint8Array(await crypto.subtle.exportKey('raw', open.encryptionKey))
        assertEqual(raw.length, 16, 'exported AES key length')
        const token = await fernet.encrypt('x')
        assertEqual(decoder.decode(await fernet.decrypt(token)), 'x')
      },
    },
    {
      name: 'fromKey imports keys non-extractable by default and accepts 32 raw bytes',
      async run() {
        const raw = crypto.getRandomValues(new Uint8Array(32))
        const fromBytes = await Fernet.fromKey(raw)
        const fromString = await Fernet.fromKey(encodeToken(raw))
        assertEqual(fromBytes.signingKey.extractable, false)

        const token = await fromBytes.encrypt('same key')
        assertEqual(decoder.decode(await fromString.decrypt(token)), 'same key')
      },
    },
    {
      name: 'fromKey rejects malformed keys with ERR_FERNET_INVALID_KEY and no key in the message',
      async run() {
        const good = Fernet.generateKey()
        const bad = [
          '',
          good.slice(0, 43),
          good + 'A',
          good.replace(/[-_]/g, '+').replace(/^./, '+'),
          Fernet.generateKey().slice(0, 40) + '====',
          '%'.repeat(44),
        ]
        for (const key of bad) {
          const error = await assertFailsWithCode(
            () => Fernet.fromKey(key),
            'ERR_FERNET_INVALID_KEY',
          )
          assert(key === '' || !error.message.includes(key), 'message repeats the key')
        }
        await assertFailsWithCode(
          () => Fernet.fromKey(new Uint8Array(31)),
          'ERR_FERNET_INVALID_KEY',
        )
        await assertFailsWithType(() => Fernet.fromKey(42 as unknown as string), TypeError)
      },
    },
    {
      name: 'fromCryptoKeys wraps existing keys and refuses keys of the wrong kind',
      async run() {
        const fernet = await Fernet.generate()
        const again = Fernet.fromCryptoKeys(fernet.signingKey, fernet.encryptionKey)
        assertEqual(decoder.decode(await again.decrypt(await fernet.encrypt('k'))), 'k')
        await assertFailsWithType(
          () => Fernet.fromCryptoKeys(fernet.encryptionKey, fernet.signingKey),
          TypeError,
        )
      },
    },
    {
      name: 'round-trips strings, bytes and the empty payload with padded tokens',
      async run() {
        const fernet = await Fernet.generate()
        for (const size of [0, 1, 15, 16, 17, 31, 32, 33, 1000]) {
          const data = crypto.getRandomValues(new Uint8Array(size))
          const token = await fernet.encrypt(data)
          assertEqual(token.length % 4, 0, 'token length is padded')
          assert(/^[A-Za-z0-9_-]+={0,2}$/.test(token), 'token alphabet')
          assertBytesEqual(await fernet.decrypt(token), data)
        }
        const text = '{"refreshToken": "ünïcödé ✓ 🔑"}'
        assertEqual(decoder.decode(await fernet.decrypt(await fernet.encrypt(text))), text)
      },
    },
    {
      name: 'accepts a token exactly ttl seconds old and rejects one a second older',
      async run() {
        const fernet = await Fernet.generate()
        const token = await fernet.encrypt('t', { now: 1_000_000 })
        await fernet.decrypt(token, { ttl: 60, now: 1_000_060 })
        await assertFailsWithCode(() => fernet.decrypt(token, { ttl: 60, now: 1_000_061 }), INVALID)
      },
    },
    {
      name: 'accepts a timestamp 60 s in the future and rejects 61 s, only when ttl is given',
      async run() {
        const fernet = await Fernet.generate()
        const token = await fernet.encrypt('t', { now: 2_000_000 })
        await fernet.decrypt(token, { ttl: 10, now: 2_000_000 - 60 })
        await assertFailsWithCode(
          () => fernet.decrypt(token, { ttl: 10, now: 2_000_000 - 61 }),
          INVALID,
        )

        // Without ttl there is no time check at all, as in Python.
        const ancient = await fernet.encrypt('old', { now: 0 })
        assertEqual(decoder.decode(await fernet.decrypt(ancient)), 'old')
        const future = await fernet.encrypt('future', { now: 4_000_000_000 })
        assertEqual(decoder.decode(await fernet.decrypt(future)), 'future')
      },
    },
    {
      name: 'extractTimestamp returns the timestamp after checking the MAC',
      async run() {
        const fernet = await Fernet.generate()
        const token = await fernet.encrypt('t', { now: 1_234_567_890 })
        assertEqual(await fernet.extractTimestamp(token), 1_234_567_890)

        const other = await Fernet.generate()
        await assertFailsWithCode(() => other.extractTimestamp(token), INVALID)
        await assertFailsWithCode(() => fernet.extractTimestamp('garbage'), INVALID)
      },
    },
    {
      name: 'rejects non-string tokens and invalid times as caller mistakes',
      async run() {
        const fernet = await Fernet.generate()
        await assertFailsWithType(() => fernet.decrypt(42 as unknown as string), TypeError)
        await assertFailsWithType(() => fernet.encrypt('x', { now: -1 }), RangeError)
        await assertFailsWithType(() => fernet.encrypt('x', { now: 1.5 }), RangeError)
        const token = await fernet.encrypt('x')
        await assertFailsWithType(() => fernet.decrypt(token, { ttl: Number.NaN }), RangeError)
      },
    },
    {
      name: 'MultiFernet encrypts with the first key and decrypts with any',
      async run() {
        const [newKey, oldKey, stranger] = await Promise.all([
          Fernet.generate(),
          Fernet.generate(),
          Fernet.generate(),
        ])
        const multi = new MultiFernet([newKey, oldKey])
        const fromOld = await oldKey.encrypt('old')
        assertEqual(decoder.decode(await multi.decrypt(fromOld)), 'old')
        assertEqual(decoder.decode(await newKey.decrypt(await multi.encrypt('new'))), 'new')
        const foreign = await stranger.encrypt('x')
        await assertFailsWithCode(() => multi.decrypt(foreign), INVALID)
        assertEqual(await multi.extractTimestamp(await oldKey.encrypt('x', { now: 77 })), 77)
        await assertFailsWithType(() => new MultiFernet([]), RangeError)
      },
    },
    {
      name: 'MultiFernet.rotate keeps the timestamp, uses a fresh IV and the first key',
      async run() {
        const [newKey, oldKey] = await Promise.all([Fernet.generate(), Fernet.generate()])
        const token = await oldKey.encrypt('rotate me', { now: 1_500_000_000 })
        const multi = new MultiFernet([newKey, oldKey])

        const rotated = await multi.rotate(token)
        assertEqual(decoder.decode(await newKey.decrypt(rotated)), 'rotate me')
        assertEqual(await newKey.extractTimestamp(rotated), 1_500_000_000)
        const twice = await multi.rotate(token)
        assert(
          decodeToken(twice).slice(9, 25).join() !== decodeToken(rotated).slice(9, 25).join(),
          'IV',
        )
        await assertFailsWithCode(() => new MultiFernet([newKey]).rotate(token), INVALID)
      },
    },
    {
      name: 'keeps key material out of strings, JSON and errors',
      async run() {
        const key = Fernet.generateKey()
        const fernet = await Fernet.fromKey(key, { extractable: true })
        for (const text of [String(fernet), JSON.stringify({ fernet })]) {
          assert(!text.includes(key), 'key appears in a string form')
        }
        const error = await caught(() => fernet.decrypt('gAAAA' + key))
        assert(!String((error as Error).stack).includes(key), 'stack repeats input')
      },
    },
    {
      name: 'property: anything round-trips with any key and time',
      async run() {
        await fc.assert(
          fc.asyncProperty(
            fc.uint8Array({ minLength: 32, maxLength: 32 }),
            fc.uint8Array({ maxLength: 2048 }),
            fc.integer({ min: 0, max: 2 ** 40 }),
            async (key, data, now) => {
              const fernet = await Fernet.fromKey(key)
              const token = await fernet.encrypt(data, { now })
              assertBytesEqual(await fernet.decrypt(token), data)
              assertEqual(await fernet.extractTimestamp(token), now)
            },
          ),
          { numRuns: 60 },
        )
      },
    },
    {
      name: 'every single-bit flip of a token is rejected',
      async run() {
        const fernet = await Fernet.generate()
        const bytes = decodeToken(await fernet.encrypt(encoder.encode('flip every bit')))
        for (let bit = 0; bit < bytes.length * 8; bit++) {
          const flipped = bytes.slice()
          flipped[bit >> 3]! ^= 1 << (bit & 7)
          await assertFailsWithCode(() => fernet.decrypt(encodeToken(flipped)), INVALID)
        }
      },
    },
    {
      name: 'property: changed characters of the token text are rejected',
      async run() {
        const fernet = await Fernet.generate()
        const token = await fernet.encrypt('characters')
        await fc.assert(
          fc.asyncProperty(
            fc.nat({ max: token.length - 1 }),
            fc.integer({ min: 1, max: 0xffff }),
            async (position, delta) => {
              const code = (token.charCodeAt(position) + delta) % 0x10000
              const changed =
                token.slice(0, position) + String.fromCharCode(code) + token.slice(position + 1)
              await assertFailsWithCode(() => fernet.decrypt(changed), INVALID)
            },
          ),
          { numRuns: 200 },
        )
      },
    },
    {
      name: 'rejects a token whose last character carries set unused bits (non-canonical base64)',
      async run() {
        const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
        const fernet = await Fernet.generate()
        // 1 block (73 bytes) ends in '==', 2 blocks (89 bytes) in '=': 4 and 2 unused bits.
        for (const data of ['one block', 'two blocks of plaintext!']) {
          const token = await fernet.encrypt(data)
          const padding = token.endsWith('==') ? 2 : 1
          const position = token.length - padding - 1
          const value = alphabet.indexOf(token[position]!)
          const sloppy = token.slice(0, position) + alphabet[value | 1] + token.slice(position + 1)
          assert(sloppy !== token, 'the changed token differs')
          await assertFailsWithCode(() => fernet.decrypt(sloppy), INVALID)
        }
      },
    },
    {
      name: 'rejects characters beyond ASCII whose low byte is a base64 character',
      async run() {
        const fernet = await Fernet.generate()
        const token = await fernet.encrypt('aliases')
        for (const position of [0, 10, token.length - 3]) {
          const aliased = String.fromCharCode(0x100 + token.charCodeAt(position))
          const changed = token.slice(0, position) + aliased + token.slice(position + 1)
          await assertFailsWithCode(() => fernet.decrypt(changed), INVALID)
        }
      },
    },
    {
      name: 'every truncation of a token is rejected',
      async run() {
        const fernet = await Fernet.generate()
        const token = await fernet.encrypt('truncate me, please')
        for (let length = 0; length < token.length; length++) {
          await assertFailsWithCode(() => fernet.decrypt(token.slice(0, length)), INVALID)
        }
        const bytes = decodeToken(token)
        for (let length = 0; length < bytes.length; length++) {
          await assertFailsWithCode(
            () => fernet.decrypt(encodeToken(bytes.slice(0, length))),
            INVALID,
          )
        }
      },
    },
    {
      name: 'a bad MAC and bad padding fail identically, with or without a valid MAC',
      async run() {
        const key = crypto.getRandomValues(new Uint8Array(32))
        const fernet = await Fernet.fromKey(key)

        // One block of zeros decrypts to a final byte 0: invalid PKCS#7 padding.
        const badPadding = await forgeWithValidMac(
          key,
          await encryptRawBlock(key, new Uint8Array(16)),
        )
        const goodPadding = await forgeWithValidMac(
          key,
          await encryptRawBlock(key, new Uint8Array(16).fill(16)),
        )
        const breakMac = (token: string) => {
          const bytes = decodeToken(token)
          bytes[bytes.length - 1]! ^= 1
          return encodeToken(bytes)
        }

        const errors = []
        for (const token of [badPadding, breakMac(badPadding), breakMac(goodPadding)]) {
          errors.push(await assertFailsWithCode(() => fernet.decrypt(token), INVALID))
        }
        for (const error of errors) {
          assertEqual(error.message, errors[0]!.message, 'message')
          assertEqual(error.constructor, errors[0]!.constructor, 'class')
        }
        assertEqual((await fernet.decrypt(goodPadding)).length, 0, 'the control token decrypts')
      },
    },
  ]

  return cases
}
