// One of the processes of the concurrency test. Usage: counter-worker.ts <json options>
// At `startAt` it saves its own file (`ownPath`, so that processes starting with no key race to
// create it without sharing a credentials lock), then makes `times` updateCredentials increments of
// the shared counter at `path`, then waits until the counter reaches `total` and prints what it
// read there, as JSON, with the codes of any errors.

import { setTimeout as sleep } from 'node:timers/promises'

import { AimCredentialsError } from '../../../src/core/errors.ts'
import { SecureCredentialStorage } from '../../../src/node/secure-storage.ts'

interface CounterOptions {
  path: string
  ownPath?: string
  service: string
  times: number
  total: number
  startAt: number
}

const options = JSON.parse(process.argv[2] ?? '{}') as CounterOptions
const shared = new SecureCredentialStorage({ path: options.path, keyringService: options.service })

try {
  if (options.startAt > Date.now()) await sleep(options.startAt - Date.now())

  if (options.ownPath) {
    const own = new SecureCredentialStorage({
      path: options.ownPath,
      keyringService: options.service,
    })
    await own.saveCredentials({ pid: process.pid })
  }

  for (let round = 0; round < options.times; round++) {
    await shared.updateCredentials((current) => ({
      ...current,
      counter: Number(current?.counter ?? 0) + 1,
    }))
  }

  // Every process reads the final file with a fresh storage, so with the key it finds itself.
  let final = await new SecureCredentialStorage({
    path: options.path,
    keyringService: options.service,
  }).loadCredentials()
  while (Number(final?.counter) < options.total) {
    await sleep(50)
    final = await shared.loadCredentials()
  }
  console.log(JSON.stringify({ final }))
} catch (error) {
  const code = error instanceof AimCredentialsError ? error.code : 'UNEXPECTED'
  console.log(JSON.stringify({ error: code, message: String(error) }))
  process.exitCode = 1
}
