// Eight Node processes share one credentials file and one demo AIM server with a seconds-long
// access-token lifetime. Each makes 25 concurrent getAccessToken() calls per round, across several
// expiries: the server must see one refresh per expiry and no reuse, and every caller must get a
// token the server accepts. Then again with one process killed (SIGKILL) while it holds the lock.

import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

import { afterEach, describe, expect, it } from 'vitest'

import { startAimServer, type AimServer } from '../../demo/server/index.ts'
import { PlaintextCredentialStorage } from '../../src/node/index.ts'
import type { RoundResult, WorkerPlan } from './workers/token-worker.ts'

const WORKER = fileURLToPath(new URL('./workers/token-worker.ts', import.meta.url))
const PROCESSES = 8
const ROUNDS = 3
// Tokens live 4 s and are refreshed 1 s early; rounds 4 s apart each start after the previous
// token is due, and each finds a fresh token valid for at least 2 s.
const TTL_SECONDS = 4
const PERIOD_MS = 4_000

interface Worker {
  child: ChildProcess
  lines: string[]
  exited: Promise<NodeJS.Signals | number | null>
}

let cleanup: Array<() => Promise<void> | void> = []

afterEach(async () => {
  for (const step of cleanup.reverse()) await step()
  cleanup = []
})

function startWorker(onLine: (line: string) => void): Worker {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER], {
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  const lines: string[] = []
  createInterface({ input: child.stdout! }).on('line', (line) => {
    lines.push(line)
    onLine(line)
  })
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
    child.on('exit', (code, signal) => resolve(signal ?? code)),
  )
  cleanup.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  return { child, lines, exited }
}

async function runFleet(options: { withVictim: boolean }) {
  const server: AimServer = await startAimServer({ accessTokenTtlSeconds: TTL_SECONDS })
  const folder = await mkdtemp(join(tmpdir(), 'aim-fleet-'))
  cleanup.push(
    () => server.close(),
    () => rm(folder, { recursive: true, force: true }),
  )
  const path = join(folder, 'credentials.json')
  await new PlaintextCredentialStorage({ path }).saveCredentials(await server.issueSdkCredentials())

  let lockHolderAtKill: number | undefined
  const workers: Worker[] = []
  const ready: Promise<void>[] = []
  for (let index = 0; index < PROCESSES; index += 1) {
    let markReady = () => {}
    ready.push(new Promise((resolve) => (markReady = resolve)))
    const worker = startWorker((line) => {
      if (line === 'ready') markReady()
      if (line === 'locked') {
        // The lock file names its holder; read it, then kill the holder in place.
        void readFile(`${path}.lock`, 'utf8').then((text) => {
          lockHolderAtKill = (JSON.parse(text) as { pid: number }).pid
          worker.child.kill('SIGKILL')
        })
      }
    })
    workers.push(worker)
  }
  await Promise.all(ready)

  const startAt = Date.now() + 300
  workers.forEach((worker, index) => {
    const plan: WorkerPlan = {
      path,
      serverUrl: server.url,
      startAt,
      periodMs: PERIOD_MS,
      rounds: ROUNDS,
      concurrency: 25,
      refreshSkewSeconds: 1,
      victim: options.withVictim && index === 0,
    }
    worker.child.stdin!.end(`${JSON.stringify(plan)}\n`)
  })
  const endings = await Promise.all(workers.map((worker) => worker.exited))

  const results = workers.map((worker) =>
    worker.lines
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as RoundResult),
  )
  return { server, workers, endings, results, lockHolderAtKill }
}

function expectEveryCallerServed(results: RoundResult[][]): void {
  for (const worker of results) {
    expect(worker.map((result) => result.round)).toEqual([0, 1, 2])
    for (const result of worker) {
      expect(result.errors).toEqual([])
      expect(result.calls).toBe(25)
      expect(result.tokens).toHaveLength(1)
      expect(result.accepted).toBe(1)
    }
  }
  // Every process got the same token in a round: the one refresh, shared through the file.
  for (let round = 0; round < ROUNDS; round += 1) {
    const tokens = new Set(results.flatMap((worker) => worker[round]!.tokens))
    expect(tokens.size).toBe(1)
  }
}

describe('TokenManager across processes', () => {
  it(`${PROCESSES} processes × 25 calls over ${ROUNDS} expiries: one refresh per expiry, no reuse`, async () => {
    const { server, endings, results } = await runFleet({ withVictim: false })

    expect(endings).toEqual(Array(PROCESSES).fill(0))
    expect(server.stats()).toMatchObject({ refreshes: ROUNDS, reuseDetections: 0 })
    expectEveryCallerServed(results)
  }, 90_000)

  it('a process killed (SIGKILL) while holding the lock does not stop the others', async () => {
    const { server, workers, endings, results, lockHolderAtKill } = await runFleet({
      withVictim: true,
    })

    expect(lockHolderAtKill).toBe(workers[0]!.child.pid)
    expect(endings[0]).toBe('SIGKILL')
    expect(endings.slice(1)).toEqual(Array(PROCESSES - 1).fill(0))
    expect(server.stats()).toMatchObject({ refreshes: ROUNDS, reuseDetections: 0 })
    expectEveryCallerServed(results.slice(1))
  }, 90_000)
})
