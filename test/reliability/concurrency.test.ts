// Many processes updating one credentials file at once, through the real keyring: 12 processes ×
// 50 `updateCredentials` increments must end at exactly 600, also when every process starts on a
// machine with no key yet (one key must result, and every process must read the final file).

import { spawnSync } from 'node:child_process'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'

import { afterEach, beforeEach, describe, expect } from 'vitest'

import { SecureCredentialStorage } from '../../src/node/index.ts'
import { KEYRING_ACCOUNT, readKeyringKey } from '../../src/node/keyring.ts'
import { itWith } from '../node/components.ts'
import { runChild, secretService, temporaryHome, uniqueService } from '../node/storage-fixtures.ts'
import { RELIABILITY_WORKERS, count, figures, scaled } from './fixtures.ts'

const it = itWith(secretService)
const tally = figures('concurrency')
const PROCESSES = scaled(12, 24)
const INCREMENTS = scaled(50, 200)

let home: string
let removeHome: () => Promise<void>
const services: string[] = []

beforeEach(async () => {
  ;({ home, remove: removeHome } = await temporaryHome())
})
afterEach(async () => {
  for (const service of services.splice(0)) {
    spawnSync('secret-tool', ['clear', 'service', service, 'username', KEYRING_ACCOUNT])
  }
  await removeHome()
})

function itemCount(service: string): number {
  const found = spawnSync('secret-tool', ['search', '--all', 'service', service], {
    encoding: 'utf8',
  })
  return (`${found.stdout}${found.stderr}`.match(/^\[\//gm) ?? []).length
}

/** Starts every counter process at one shared moment and returns what each printed. */
async function runCounters(service: string, ownFiles: boolean): Promise<unknown[]> {
  const path = join(home, 'shared', 'credentials.json')
  const startAt = Date.now() + 1500 + PROCESSES * 150
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home }
  delete env.AIM_ENCRYPTION_KEY

  const results = await Promise.all(
    Array.from({ length: PROCESSES }, (_, index) => {
      const options = {
        path,
        ownPath: ownFiles ? join(home, `own-${index}`, 'credentials.json') : undefined,
        service,
        times: INCREMENTS,
        total: PROCESSES * INCREMENTS,
        startAt,
      }
      return runChild(
        process.execPath,
        [
          '--import',
          'tsx',
          join(RELIABILITY_WORKERS, 'counter-worker.ts'),
          JSON.stringify(options),
        ],
        env,
      )
    }),
  )
  return results.map((result) => JSON.parse(result.stdout.trim() || `{"stderr": 1}`) as unknown)
}

describe(`${PROCESSES} processes × ${INCREMENTS} updateCredentials increments`, () => {
  const total = PROCESSES * INCREMENTS

  it(`end at exactly ${total}, with the key already in the keyring`, async () => {
    const service = uniqueService('counter')
    services.push(service)
    const path = join(home, 'shared', 'credentials.json')
    await new SecureCredentialStorage({ path, keyringService: service }).saveCredentials({
      counter: 0,
    })

    const printed = await runCounters(service, false)

    expect(printed).toEqual(
      Array.from({ length: PROCESSES }, () => ({ final: { counter: total } })),
    )
    expect(
      await new SecureCredentialStorage({ path, keyringService: service }).loadCredentials(),
    ).toEqual({ counter: total })
    expect(await readdir(join(home, 'shared'))).toEqual(['credentials.encrypted'])
    count(tally, 'processes', PROCESSES)
    count(tally, 'increments', total)
  }, 240_000)

  it(`end at exactly ${total} when they all start with no key: one key results`, async () => {
    const service = uniqueService('counter-nokey')
    services.push(service)
    const item = { service, account: KEYRING_ACCOUNT, timeoutMs: 5000 }
    expect(await readKeyringKey(item)).toBeNull()

    const printed = await runCounters(service, true)

    expect(printed).toEqual(
      Array.from({ length: PROCESSES }, () => ({ final: { counter: total } })),
    )
    expect(itemCount(service)).toBe(1)
    for (let index = 0; index < PROCESSES; index++) {
      const own = join(home, `own-${index}`, 'credentials.json')
      const loaded = await new SecureCredentialStorage({
        path: own,
        keyringService: service,
      }).loadCredentials()
      expect(loaded).toMatchObject({ pid: expect.any(Number) })
    }
    count(tally, 'processes', PROCESSES)
    count(tally, 'increments', total)
    count(tally, 'keysCreatedFromNone', itemCount(service))
  }, 240_000)
})
