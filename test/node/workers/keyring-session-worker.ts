// Runs the keyring scenarios that disturb the whole Secret Service (locking it, freezing its
// daemon) inside a D-Bus session of its own, so that suites running at the same time are not
// affected. Started by keyring.test.ts as:
//   dbus-run-session -- bash scripts/with-keyring.sh \
//     node --import tsx keyring-session-worker.ts <home>
// Prints one JSON object: each step's outcome (an error code, or what was observed).

import { execFileSync, spawnSync } from 'node:child_process'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'

import { AimCredentialsError, SecureCredentialStorage } from '../../../src/node/index.ts'
import { readKeyringKey } from '../../../src/node/keyring.ts'

const home = process.argv[2]!
const python = process.env.AIM_TEST_PYTHON ?? '/usr/bin/python3'
const control = new URL('../../interop/keyring_control.py', import.meta.url).pathname
const outcome: Record<string, unknown> = {}

function setLocked(locked: boolean): string {
  return execFileSync(python, [control, locked ? 'lock' : 'unlock'], { encoding: 'utf8' }).trim()
}

async function codeOf(action: () => Promise<unknown>): Promise<string> {
  try {
    await action()
    return 'no error'
  } catch (error) {
    return error instanceof AimCredentialsError ? error.code : `UNEXPECTED ${String(error)}`
  }
}

async function listing(folder: string): Promise<string[]> {
  return (await readdir(folder).catch(() => [] as string[])).sort()
}

const withKey = { path: join(home, 'with-key', 'credentials.json'), keyringService: 'aim-locked-a' }
const withoutKey = {
  path: join(home, 'without-key', 'credentials.json'),
  keyringService: 'aim-locked-b',
}

// A key and a file exist; then the keyring is locked.
await new SecureCredentialStorage(withKey).saveCredentials({ refreshToken: 'r1' })
outcome.lock = setLocked(true)
outcome.lockedLoadWithKey = await codeOf(() =>
  new SecureCredentialStorage(withKey).loadCredentials(),
)
outcome.lockedSaveWithKey = await codeOf(() =>
  new SecureCredentialStorage(withKey).saveCredentials({ refreshToken: 'r2' }),
)

// No key yet, keyring locked: the lookup finds nothing, and creation must fail without a key.
outcome.lockedSaveWithoutKey = await codeOf(() =>
  new SecureCredentialStorage(withoutKey).saveCredentials({ refreshToken: 'r3' }),
)
outcome.filesWithoutKey = await listing(join(home, 'without-key'))

outcome.unlock = setLocked(false)
const item = { service: 'aim-locked-b', account: 'encryption-key', timeoutMs: 5000 }
outcome.keyAfterUnlock = await readKeyringKey(item)
outcome.loadAfterUnlock = await new SecureCredentialStorage(withKey).loadCredentials()

// A frozen keyring daemon: every call is bounded.
const reply = spawnSync('dbus-send', [
  '--session',
  '--print-reply',
  '--dest=org.freedesktop.DBus',
  '/',
  'org.freedesktop.DBus.GetConnectionUnixProcessID',
  'string:org.freedesktop.secrets',
]).stdout.toString()
const daemon = Number(/uint32 (\d+)/.exec(reply)?.[1])
process.kill(daemon, 'SIGSTOP')
try {
  const started = Date.now()
  outcome.frozenLoad = await codeOf(() =>
    new SecureCredentialStorage({ ...withKey, keyringTimeout: 1000 }).loadCredentials(),
  )
  outcome.frozenWaitedMs = Date.now() - started
} finally {
  process.kill(daemon, 'SIGCONT')
}

console.log(JSON.stringify(outcome))
process.exit(0)
