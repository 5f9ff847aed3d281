// Fernet throughput through the Node entry beside Python's `cryptography`, the npm `fernet`
// package, and raw node:crypto AES-128-CBC + HMAC-SHA256 doing the same cryptographic work.

import { execFileSync } from 'node:child_process'
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'

import { compareOpsPerSecond } from './measure.ts'

const PYTHON = process.env.AIM_TEST_PYTHON ?? '/usr/bin/python3'

export interface FernetRow {
  size: number
  operation: 'encrypt' | 'decrypt'
  ours: number
  python: number
  npmFernet: number
  raw: number
}

/** The part of an entry this benchmark uses (the built entry or the sources). */
interface Entry {
  Fernet: {
    generateKey(): string
    fromKey(key: string): Promise<{
      encrypt(data: Uint8Array): Promise<string>
      decrypt(token: string): Promise<Uint8Array>
    }>
  }
}

/** Raw node:crypto: encrypt-then-MAC and verify-then-decrypt, without the token framing. */
function rawPair(size: number) {
  const signingKey = randomBytes(16)
  const encryptionKey = randomBytes(16)
  const plaintext = Buffer.alloc(size, 'a')

  const encrypt = () => {
    const iv = randomBytes(16)
    const cipher = createCipheriv('aes-128-cbc', encryptionKey, iv)
    const body = Buffer.concat([iv, cipher.update(plaintext), cipher.final()])
    return Buffer.concat([body, createHmac('sha256', signingKey).update(body).digest()])
  }
  const sealed = encrypt()
  const decrypt = () => {
    const body = sealed.subarray(0, sealed.length - 32)
    const mac = createHmac('sha256', signingKey).update(body).digest()
    if (!timingSafeEqual(mac, sealed.subarray(sealed.length - 32))) throw new Error('mac')
    const decipher = createDecipheriv('aes-128-cbc', encryptionKey, body.subarray(0, 16))
    return Buffer.concat([decipher.update(body.subarray(16)), decipher.final()])
  }
  return { encrypt, decrypt }
}

/** The npm `fernet` package (CryptoJS underneath), which encrypts strings. */
function npmFernetPair(size: number) {
  const fernet = createRequire(import.meta.url)('fernet')
  const secret = new fernet.Secret(randomBytes(32).toString('base64'))
  const message = 'a'.repeat(size)
  const encrypt = () => new fernet.Token({ secret }).encode(message)
  const token = encrypt()
  const decrypt = () => new fernet.Token({ secret, token, ttl: 0 }).decode()
  return { encrypt, decrypt }
}

function python(
  sizes: number[],
  seconds: number,
): Map<number, { encrypt: number; decrypt: number }> {
  const script = fileURLToPath(new URL('./fernet_python.py', import.meta.url))
  const output = execFileSync(PYTHON, [script, String(seconds), ...sizes.map(String)], {
    encoding: 'utf8',
  })
  const rows = output
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line))
  return new Map(rows.map((row) => [row.size, row]))
}

/** Measures every implementation at each payload size, all in this one run. */
export async function benchFernet(entry: Entry, seconds = 1): Promise<FernetRow[]> {
  const sizes = [1024, 64 * 1024]
  const pythonBefore = python(sizes, seconds)
  const rows: FernetRow[] = []

  for (const size of sizes) {
    const fernet = await entry.Fernet.fromKey(entry.Fernet.generateKey())
    const plaintext = new Uint8Array(size).fill(97)
    const token = await fernet.encrypt(plaintext)
    const reference = rawPair(size)
    const npm = npmFernetPair(size)

    const [ours, npmFernet, raw] = await compareOpsPerSecond(
      [
        { operation: () => fernet.encrypt(plaintext) },
        { operation: npm.encrypt, batch: 5 },
        { operation: reference.encrypt },
      ],
      seconds * 3,
    )
    rows.push({
      size,
      operation: 'encrypt',
      ours: ours!,
      python: pythonBefore.get(size)!.encrypt,
      npmFernet: npmFernet!,
      raw: raw!,
    })

    const [oursDecrypt, npmDecrypt, rawDecrypt] = await compareOpsPerSecond(
      [
        { operation: () => fernet.decrypt(token) },
        { operation: npm.decrypt, batch: 5 },
        { operation: reference.decrypt },
      ],
      seconds * 3,
    )
    rows.push({
      size,
      operation: 'decrypt',
      ours: oursDecrypt!,
      python: pythonBefore.get(size)!.decrypt,
      npmFernet: npmDecrypt!,
      raw: rawDecrypt!,
    })
  }
  // Python runs in a process of its own, so it cannot be interleaved with the rounds here: it is
  // measured before and after, and the better figure of the two is the reference.
  const pythonAfter = python(sizes, seconds)
  for (const row of rows) {
    const after = pythonAfter.get(row.size)![row.operation]
    row.python = Math.max(row.python, after)
  }
  return rows
}
