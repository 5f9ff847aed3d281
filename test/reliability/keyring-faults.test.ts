// Keyring faults: a locked keyring, no D-Bus session (or one that is not there), the keyring daemon
// killed in the middle of a run, and a call that never returns (the daemon frozen with SIGSTOP).
// Each operation (load, update, migrate, a first save that would create the key, rotate-key) must
// end in the right typed code, with nothing written and nothing deleted: files byte for byte as
// they were, the key still there, no key created. Locking, freezing and killing happen in a D-Bus
// session and gnome-keyring of the worker's own, never in the one other suites share.

import { spawnSync } from 'node:child_process'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

import { afterEach, beforeEach, describe, expect } from 'vitest'

import { SecureCredentialStorage } from '../../src/node/index.ts'
import { KEYRING_ACCOUNT } from '../../src/node/keyring.ts'
import { itWith } from '../node/components.ts'
import { runChild, secretService, temporaryHome, uniqueService } from '../node/storage-fixtures.ts'
import { RELIABILITY_WORKERS, count, figures } from './fixtures.ts'

const it = itWith(secretService)
const tally = figures('keyring-faults')
const WORKER = join(RELIABILITY_WORKERS, 'keyring-fault-worker.ts')
const OPERATIONS = ['Load', 'Update', 'Migrate', 'FirstSave', 'Rotate']

let home: string
let removeHome: () => Promise<void>

beforeEach(async () => {
  ;({ home, remove: removeHome } = await temporaryHome())
})
afterEach(() => removeHome())

function lastJson(stdout: string, stderr: string): Record<string, unknown> {
  const line = stdout.trim().split('\n').at(-1)
  if (!line?.startsWith('{')) throw new Error(`the worker printed no outcome: ${stdout} ${stderr}`)
  return JSON.parse(line) as Record<string, unknown>
}

function expectEvery(outcome: Record<string, unknown>, label: string, code: string): void {
  for (const operation of OPERATIONS) {
    expect(outcome[`${label}${operation}`], `${label}${operation}`).toBe(code)
    count(tally, 'faultedOperations')
  }
  expect(outcome[`${label}FilesUnchanged`]).toBe(true)
}

describe('keyring faults (own D-Bus session)', () => {
  it('locked, frozen, and killed mid-run: typed codes, nothing written or deleted', async () => {
    const result = await runChild(
      'dbus-run-session',
      [
        '--',
        'bash',
        'scripts/with-keyring.sh',
        process.execPath,
        '--import',
        'tsx',
        WORKER,
        'session',
        home,
      ],
      { ...process.env, HOME: home },
    )
    const outcome = lastJson(result.stdout, result.stderr)

    expect(outcome.lock).toBe('locked')
    expectEvery(outcome, 'locked', 'ERR_KEYRING_LOCKED')
    expect(outcome).toMatchObject({
      unlock: 'unlocked',
      lockedKeyKept: true,
      lockedNoKeyCreated: true,
    })

    expectEvery(outcome, 'frozen', 'ERR_KEYRING_TIMEOUT')
    expect(outcome).toMatchObject({ frozenKeyKept: true, frozenNoKeyCreated: true })
    // Five operations, each bounded by the 1 s keyring timeout (a liveness bound, not a speed test).
    expect(outcome.frozenWaitedMs).toBeLessThan(30_000)

    // Killed mid-run: successes, then only typed keyring codes; the file holds every success.
    const codes = outcome.killedOutcomes as string[]
    for (const code of codes) {
      expect([
        'ok',
        'ERR_KEYRING_UNAVAILABLE',
        'ERR_KEYRING_FAILED',
        'ERR_KEYRING_TIMEOUT',
        'ERR_KEYRING_LOCKED',
      ]).toContain(code)
    }
    expect(codes.some((code) => code !== 'ok')).toBe(true)
    expect(outcome.killedStoredCounter).toBe(outcome.killedSucceeded)
    count(tally, 'killedDaemonOperations', outcome.killedOperations as number)
    for (const code of codes) count(tally, `killedDaemonOutcome_${code}`)
  }, 120_000)
})

describe('no D-Bus session', () => {
  const services: string[] = []
  afterEach(() => {
    for (const service of services.splice(0)) {
      spawnSync('secret-tool', ['clear', 'service', service, 'username', KEYRING_ACCOUNT])
    }
  })

  it('without a bus, or with a bus address that leads nowhere: ERR_KEYRING_UNAVAILABLE, nothing changed', async () => {
    const service = uniqueService('nobus')
    services.push(service)
    await new SecureCredentialStorage({
      path: join(home, 'with-file', 'credentials.json'),
      keyringService: service,
    }).saveCredentials({ refreshToken: 'r1' })
    await mkdir(join(home, 'plaintext'), { recursive: true, mode: 0o700 })
    await writeFile(join(home, 'plaintext', 'credentials.json'), '{"refreshToken": "p1"}', {
      mode: 0o600,
    })

    const withoutBus: NodeJS.ProcessEnv = { ...process.env, HOME: home }
    delete withoutBus.DBUS_SESSION_BUS_ADDRESS
    const nowhere = {
      ...withoutBus,
      DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/aim-test-bus',
    }
    for (const env of [withoutBus, nowhere]) {
      const result = await runChild(
        process.execPath,
        ['--import', 'tsx', WORKER, 'no-bus', home, service],
        env,
      )
      expectEvery(lastJson(result.stdout, result.stderr), 'noBus', 'ERR_KEYRING_UNAVAILABLE')
    }
  }, 60_000)
})
