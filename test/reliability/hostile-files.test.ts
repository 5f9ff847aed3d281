// Hostile files, generated with fast-check: malformed, damaged, foreign-key, non-JSON and huge
// encrypted credentials files, any text as a plaintext file, and damaged Fernet tokens. Each must
// end in a typed error (asserted by code) or a correct result, within a bound, leaving the file
// exactly as it was.

import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

import fc from 'fast-check'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import {
  Fernet,
  MultiFernet,
  PlaintextCredentialStorage,
  SecureCredentialStorage,
} from '../../src/node/index.ts'
import { temporaryHome } from '../node/storage-fixtures.ts'
import { count, figures } from './fixtures.ts'
import { encode, outcomeOf, property } from './hostile-fixtures.ts'

const tally = figures('hostile-files')
const KEY = Fernet.generateKey()
const fernetPromise = Fernet.fromKey(KEY)

let home: string
let caseNumber = 0
let removeHome: () => Promise<void>

beforeEach(async () => {
  ;({ home, remove: removeHome } = await temporaryHome())
})
afterEach(() => removeHome())

async function validToken(text: string | Uint8Array, key = KEY): Promise<string> {
  return (await Fernet.fromKey(key)).encrypt(text)
}

/** Hostile contents for the encrypted file: garbage, damaged tokens, foreign and non-JSON ones. */
const encryptedFileContent: fc.Arbitrary<Promise<Uint8Array>> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }).map(async (text) => new TextEncoder().encode(text)),
  fc.uint8Array({ maxLength: 400 }).map(async (bytes) => bytes),
  fc.stringMatching(/^gAAAAA[A-Za-z0-9_-]{0,200}={0,3}\s*$/).map(async (text) => encode(text)),
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })).map(async ([where, flip]) => {
    const bytes = encode(await validToken('{"refreshToken": "r"}'))
    bytes[where % bytes.length]! ^= flip
    return bytes
  }),
  fc.nat().map(async (cut) => {
    const token = await validToken('{"refreshToken": "r"}')
    return encode(token.slice(0, cut % token.length))
  }),
  fc.uint8Array({ maxLength: 200 }).map(async (bytes) => encode(await validToken(bytes))),
  fc.jsonValue().map(async (value) => encode(await validToken(JSON.stringify(value) ?? 'null'))),
  fc.constant(null).map(async () => encode(await validToken('{"a": 1}', Fernet.generateKey()))),
)

function sameBytes(left: Uint8Array, right: Uint8Array): boolean {
  return Buffer.from(left).equals(Buffer.from(right))
}

describe('malformed encrypted credentials files', () => {
  property(
    tally,
    'load and update give a credentials object or a typed error, and change nothing',
    encryptedFileContent,
    async (content) => {
      const bytes = await content
      const folder = join(home, '.aim')
      await mkdir(folder, { recursive: true, mode: 0o700 })
      const encryptedPath = join(folder, 'credentials.encrypted')
      await writeFile(encryptedPath, bytes, { mode: 0o600 })
      const storage = new SecureCredentialStorage({
        path: join(folder, 'credentials.json'),
        key: KEY,
      })

      const loaded = await outcomeOf(storage.loadCredentials())
      expect(['ok', 'ERR_CREDENTIALS_CORRUPT', 'ERR_KEY_MISMATCH']).toContain(loaded)
      if (loaded === 'ok') {
        const value = await storage.loadCredentials()
        expect(typeof value === 'object' && value !== null && !Array.isArray(value)).toBe(true)
      } else {
        const updated = await outcomeOf(storage.updateCredentials(() => ({ replaced: true })))
        expect(updated).toBe(loaded)
        count(tally, 'typedErrors')
      }
      expect(sameBytes(await readFile(encryptedPath), bytes)).toBe(true)
      expect(await readdir(folder)).toEqual(['credentials.encrypted'])
    },
  )

  it('huge files (32 MiB of garbage, or of token-shaped text) give a typed error and stay', async () => {
    const folder = join(home, '.aim')
    await mkdir(folder, { recursive: true, mode: 0o700 })
    const encryptedPath = join(folder, 'credentials.encrypted')
    const storage = new SecureCredentialStorage({
      path: join(folder, 'credentials.json'),
      key: KEY,
    })

    const garbage = Buffer.alloc(32 * 1024 * 1024, '{')
    await writeFile(encryptedPath, garbage)
    expect(await outcomeOf(storage.loadCredentials())).toBe('ERR_CREDENTIALS_CORRUPT')
    expect((await readFile(encryptedPath)).equals(garbage)).toBe(true)

    // Version byte 0x80, then a length that passes the shape check: the MAC decides.
    const body = Buffer.alloc(57 + 16 * 1024 * 1024, 7)
    body[0] = 0x80
    const shaped = body.toString('base64url')
    await writeFile(encryptedPath, shaped)
    expect(await outcomeOf(storage.loadCredentials())).toBe('ERR_KEY_MISMATCH')
    expect(await readFile(encryptedPath, 'utf8')).toBe(shaped)
    count(tally, 'cases', 2)
  })
})

/** Hostile plaintext JSON files: any text, any JSON value, deep nesting. */
const plaintextFileContent: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.json(),
  fc.jsonValue().map((value) => JSON.stringify(value, null, 2) ?? ''),
  fc.dictionary(fc.string(), fc.jsonValue()).map((value) => JSON.stringify(value)),
  fc.integer({ min: 1, max: 200_000 }).map((depth) => '['.repeat(depth) + ']'.repeat(depth)),
  fc
    .integer({ min: 1, max: 200_000 })
    .map((depth) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)),
)

describe('malformed plaintext credentials files', () => {
  it('a JSON object nested 100 000 deep (parses, cannot be written back) is ERR_CREDENTIALS_CORRUPT', async () => {
    const folder = join(home, '.aim')
    await mkdir(folder, { recursive: true, mode: 0o700 })
    const path = join(folder, 'credentials.json')
    const text = '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000)
    await writeFile(path, text, { mode: 0o600 })

    expect(await outcomeOf(new PlaintextCredentialStorage({ path }).loadCredentials())).toBe(
      'ERR_CREDENTIALS_CORRUPT',
    )
    expect(
      await outcomeOf(new SecureCredentialStorage({ path, key: KEY }).migrateToEncrypted()),
    ).toBe('ERR_CREDENTIALS_CORRUPT')
    expect(await readFile(path, 'utf8')).toBe(text)
    expect(await readdir(folder)).toEqual(['credentials.json'])
    count(tally, 'cases')
  })

  property(
    tally,
    'load and migrate give an object or ERR_CREDENTIALS_CORRUPT, and keep the file',
    plaintextFileContent,
    async (text) => {
      // A folder per case: a migrated file left by one case must not meet the next one.
      const folder = join(home, `case-${(caseNumber += 1)}`)
      await mkdir(folder, { recursive: true, mode: 0o700 })
      const path = join(folder, 'credentials.json')
      await writeFile(path, text, { mode: 0o600 })

      const plain = await outcomeOf(new PlaintextCredentialStorage({ path }).loadCredentials())
      expect(['ok', 'ERR_CREDENTIALS_CORRUPT']).toContain(plain)
      expect(await readFile(path, 'utf8')).toBe(text)

      const secure = new SecureCredentialStorage({ path, key: KEY })
      const migrated = await outcomeOf(secure.migrateToEncrypted())
      if (plain === 'ok') {
        expect(migrated).toBe('ok')
        // Compared as text: a deep structure would overflow the stack of a recursive comparison.
        expect(JSON.stringify(await secure.loadCredentials())).toBe(
          JSON.stringify(JSON.parse(text)),
        )
        expect(await readdir(folder)).toEqual(['credentials.encrypted'])
      } else {
        expect(migrated).toBe('ERR_CREDENTIALS_CORRUPT')
        expect(await readFile(path, 'utf8')).toBe(text)
        expect(await readdir(folder)).toEqual(['credentials.json'])
        count(tally, 'typedErrors')
      }
    },
  )
})

// Fernet tokens ----------------------------------------------------------------------------------

const hostileToken: fc.Arbitrary<Promise<string>> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }).map(async (text) => text),
  fc.stringMatching(/^gAAAAA[A-Za-z0-9_=+/-]{0,300}$/).map(async (text) => text),
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })).map(async ([where, flip]) => {
    const bytes = Buffer.from(await validToken('payload'), 'base64url')
    bytes[where % bytes.length]! ^= flip
    return bytes.toString('base64url')
  }),
  fc.uint8Array({ minLength: 57, maxLength: 300 }).map(async (bytes) => {
    bytes[0] = 0x80
    return Buffer.from(bytes).toString('base64url')
  }),
)

describe('hostile Fernet tokens', () => {
  property(
    tally,
    'Fernet and MultiFernet reject them with ERR_FERNET_INVALID_TOKEN only',
    hostileToken,
    async (pending) => {
      const token = await pending
      const fernet = await fernetPromise
      const multi = new MultiFernet([await Fernet.fromKey(Fernet.generateKey()), fernet])
      for (const attempt of [
        fernet.decrypt(token),
        fernet.decrypt(token, { ttl: 60 }),
        fernet.extractTimestamp(token),
        multi.decrypt(token),
        multi.rotate(token),
      ]) {
        expect(await outcomeOf(attempt)).toBe('ERR_FERNET_INVALID_TOKEN')
      }
      count(tally, 'typedErrors')
    },
  )
})
