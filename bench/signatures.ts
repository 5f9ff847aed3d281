// Ed25519 agent signatures per second through the Node entry, beside raw `node:crypto.sign` and
// `@noble/ed25519` (the official AIM TypeScript SDK's choice) signing the same message, all in one
// run. Run alone with `npx tsx bench/signatures.ts`; `npm run bench` runs it against `dist/`.

import { KeyObject, sign as nodeSign } from 'node:crypto'
import { fileURLToPath } from 'node:url'

import { hashes, sign as nobleSign } from '@noble/ed25519'
import { sha512 } from '@noble/hashes/sha2.js'

import { compareOpsPerSecond, verdict } from './measure.ts'

type SourceEntry = typeof import('../src/node/index.ts')

/** What the benchmark uses of an entry: the sources' or the build's (`dist/node/index.js`). */
export interface SignatureEntry {
  AgentIdentity: {
    generate(options?: { extractable?: boolean }): Promise<{
      cryptoKey: CryptoKey | undefined
      exportPrivateKey(): Promise<string>
      signAction(action: typeof ACTION): Promise<string>
      signRequest(request: { agentId: string; method: string; url: string }): Promise<unknown>
    }>
  }
  actionSignatureMessage: SourceEntry['actionSignatureMessage']
}

/** One measured signer. */
export interface SignatureRow {
  name: string
  opsPerSecond: number
}

/** The targets: ours against each reference, ratio of operations per second. */
export const SIGNATURE_TARGETS = { raw: 0.8, noble: 5 } as const

// A typical verification request: short ids, a small context.
const ACTION = {
  agentId: '3f2a9c1e-5b7d-4e21-9a0c-7d1e2f3a4b5c',
  actionType: 'read_database',
  resource: 'customers',
  context: { table: 'customers', limit: 10, reason: 'monthly report' },
  timestamp: '2026-01-02T03:04:05.678Z',
}

/**
 * Measures sign operations per second: the Node entry's `signAction` (message building included)
 * and `signRequest`, raw `node:crypto.sign` and `@noble/ed25519`'s `sign` over the same message.
 * The measurements are interleaved over `rounds` and each is summarised by its median round, so
 * that a burst of load from other processes does not favour one side.
 *
 * @param entry The Node entry to measure; default the sources.
 * @param seconds Seconds of measurement per signer, split over the rounds.
 * @param rounds Interleaved rounds.
 */
export async function benchSignatures(
  entry?: SignatureEntry,
  seconds = 1,
  rounds = 5,
): Promise<SignatureRow[]> {
  const { AgentIdentity, actionSignatureMessage }: SignatureEntry =
    entry ?? (await import('../src/node/index.ts'))

  const identity = await AgentIdentity.generate({ extractable: true })
  const seed = Buffer.from(await identity.exportPrivateKey(), 'base64').subarray(0, 32)
  const generated = await AgentIdentity.generate()
  const rawKey = KeyObject.from(generated.cryptoKey!)
  const message = Buffer.from(actionSignatureMessage(ACTION))
  hashes.sha512 ??= sha512

  const signers: Array<[string, () => unknown]> = [
    ['aim-credentials signAction (Node entry)', () => identity.signAction(ACTION)],
    ['raw node:crypto.sign', () => nodeSign(null, message, rawKey).toString('base64')],
    ['@noble/ed25519 sign', () => Buffer.from(nobleSign(message, seed)).toString('base64')],
    [
      'aim-credentials signRequest (Node entry)',
      () =>
        identity.signRequest({
          agentId: ACTION.agentId,
          method: 'GET',
          url: '/api/v1/agents/x?y=1',
        }),
    ],
  ]

  const rates = await compareOpsPerSecond(
    signers.map(([name, operation]) => ({ operation, batch: name.startsWith('@noble') ? 5 : 50 })),
    seconds * signers.length,
    rounds,
  )
  return signers.map(([name], index) => ({ name, opsPerSecond: rates[index]! }))
}

/** Prints the rows with the ratios against the targets. */
export function reportSignatures(rows: SignatureRow[]): string[] {
  const rate = (name: string) => rows.find((row) => row.name.startsWith(name))!.opsPerSecond
  const ours = rate('aim-credentials signAction')
  const format = (value: number) => `${Math.round(value).toLocaleString('en-US')} ops/s`

  return [
    'Ed25519 signatures through the Node entry (ops/s; references measured in the same run)',
    ...rows.map((row) => `  ${row.name}: ${format(row.opsPerSecond)}`),
    `  signAction vs raw node:crypto: ${verdict(ours / rate('raw'), SIGNATURE_TARGETS.raw)}`,
    `  signAction vs @noble/ed25519: ${verdict(ours / rate('@noble'), SIGNATURE_TARGETS.noble)}`,
  ]
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const seconds = Number(process.env.BENCH_SECONDS ?? 1)
  for (const line of reportSignatures(await benchSignatures(undefined, seconds))) console.log(line)
}
