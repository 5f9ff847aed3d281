// One process of the multi-process token test. It prints `ready`, reads its plan as one JSON line
// on stdin, then in each round (at a shared wall-clock time) makes concurrent getAccessToken()
// calls, checks each distinct token with the server, and prints one JSON result line per round.
// A "victim" hangs inside the storage lock in round 1 and prints `locked`, to be killed there.

import { createInterface } from 'node:readline'

import {
  PlaintextCredentialStorage,
  TokenManager,
  type CredentialStore,
} from '../../../src/node/index.ts'

/** What the parent sends. */
export interface WorkerPlan {
  path: string
  serverUrl: string
  startAt: number
  periodMs: number
  rounds: number
  concurrency: number
  refreshSkewSeconds: number
  victim: boolean
}

/** What a worker prints for each round. */
export interface RoundResult {
  round: number
  tokens: string[]
  calls: number
  accepted: number
  errors: string[]
}

function hangingInsideLock(storage: CredentialStore, shouldHang: () => boolean): CredentialStore {
  return {
    saveCredentials: (credentials) => storage.saveCredentials(credentials),
    loadCredentials: () => storage.loadCredentials(),
    updateCredentials: (update) => storage.updateCredentials(update),
    deleteCredentials: () => storage.deleteCredentials(),
    credentialsExist: () => storage.credentialsExist(),
    withLock: <T>(action: () => Promise<T>): Promise<T> =>
      storage.withLock(async () => {
        if (!shouldHang()) return action()
        process.stdout.write('locked\n')
        return new Promise<T>(() => {})
      }),
  }
}

async function isAccepted(serverUrl: string, token: string): Promise<boolean> {
  const response = await fetch(`${serverUrl}/api/v1/audit-logs`, {
    headers: { authorization: `Bearer ${token}` },
  })
  await response.body?.cancel()
  return response.status === 200
}

const lines = createInterface({ input: process.stdin })
process.stdout.write('ready\n')
const plan = JSON.parse(
  await new Promise<string>((resolve) => lines.once('line', resolve)),
) as WorkerPlan
lines.close()

let round = 0
const storage = new PlaintextCredentialStorage({ path: plan.path })
const manager = new TokenManager({
  storage: hangingInsideLock(storage, () => plan.victim && round === 1),
  refreshSkewSeconds: plan.refreshSkewSeconds,
})

for (; round < plan.rounds; round += 1) {
  const wait = plan.startAt + round * plan.periodMs - Date.now()
  if (wait > 0) await new Promise((wake) => setTimeout(wake, wait))

  const outcomes = await Promise.allSettled(
    Array.from({ length: plan.concurrency }, () => manager.getAccessToken()),
  )
  const tokens = [
    ...new Set(
      outcomes.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : [])),
    ),
  ]
  const errors = outcomes.flatMap((outcome) =>
    outcome.status === 'rejected' ? [String((outcome.reason as { code?: string }).code)] : [],
  )
  let accepted = 0
  for (const token of tokens) if (await isAccepted(plan.serverUrl, token)) accepted += 1

  const result: RoundResult = { round, tokens, calls: outcomes.length, accepted, errors }
  process.stdout.write(`${JSON.stringify(result)}\n`)
}
