// Keyring faults, in a D-Bus session and gnome-keyring of this worker's own (locking, freezing and
// killing the daemon would disturb suites running beside it). Started as:
//   dbus-run-session -- bash scripts/with-keyring.sh node --import tsx keyring-fault-worker.ts \
//     session <home>
// or, for the no-bus scenarios, with the D-Bus variables removed or pointing nowhere:
//   node --import tsx keyring-fault-worker.ts no-bus <home> <service>
// Prints one JSON object: each operation's outcome (`ok` or an error code) and what the files and
// the keyring held afterwards.

import { execFileSync, spawnSync } from 'node:child_process'
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

import { rotateKeyringKey } from '../../../src/node/cli/key-rotation.ts'
import { AimCredentialsError, SecureCredentialStorage } from '../../../src/node/index.ts'
import { KEYRING_ACCOUNT, readKeyringKey } from '../../../src/node/keyring.ts'

const [mode, home, givenService] = process.argv.slice(2) as [string, string, string | undefined]
const python = process.env.AIM_TEST_PYTHON ?? '/usr/bin/python3'
const control = new URL('../../interop/keyring_control.py', import.meta.url).pathname
const outcome: Record<string, unknown> = {}

async function codeOf(action: () => Promise<unknown>): Promise<string> {
  try {
    await action()
    return 'ok'
  } catch (error) {
    return error instanceof AimCredentialsError ? error.code : `UNEXPECTED ${String(error)}`
  }
}

/** Every file under the folder with its content, to compare before and after. */
async function snapshot(folder: string): Promise<Record<string, string>> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true }).catch(() => [])
  const files: Record<string, string> = {}
  for (const entry of entries) {
    if (!entry.isFile()) continue
    const path = join(entry.parentPath, entry.name)
    files[path.slice(folder.length)] = await readFile(path, 'utf8')
  }
  return files
}

function item(service: string) {
  return { service, account: KEYRING_ACCOUNT, timeoutMs: 5000 }
}

/** The same operations under each fault: load, update, migrate, first save, rotate. */
async function tryEverything(label: string, service: string, timeout: number): Promise<void> {
  const options = { keyringService: service, keyringTimeout: timeout }
  const withFile = join(home, 'with-file', 'credentials.json')
  const plaintext = join(home, 'plaintext', 'credentials.json')
  const fresh = join(home, `fresh-${label}`, 'credentials.json')
  const before = await snapshot(home)
  const started = Date.now()

  outcome[`${label}Load`] = await codeOf(() =>
    new SecureCredentialStorage({ path: withFile, ...options }).loadCredentials(),
  )
  outcome[`${label}Update`] = await codeOf(() =>
    new SecureCredentialStorage({ path: withFile, ...options }).updateCredentials((current) => ({
      ...current,
      changed: true,
    })),
  )
  outcome[`${label}Migrate`] = await codeOf(() =>
    new SecureCredentialStorage({ path: plaintext, ...options }).migrateToEncrypted(),
  )
  outcome[`${label}FirstSave`] = await codeOf(() =>
    new SecureCredentialStorage({
      path: fresh,
      keyringService: `${service}-none`,
      keyringTimeout: timeout,
    }).saveCredentials({ refreshToken: 'never-written' }),
  )
  const settings = {
    home,
    cwd: home,
    include: [],
    keyringService: service,
    keyringTimeoutMs: timeout,
    env: {},
  }
  outcome[`${label}Rotate`] = await codeOf(() =>
    rotateKeyringKey(settings, [withFile.replace(/\.json$/, '.encrypted')]),
  )

  outcome[`${label}WaitedMs`] = Date.now() - started
  outcome[`${label}FilesUnchanged`] =
    JSON.stringify(await snapshot(home)) === JSON.stringify(before)
}

async function prepare(service: string): Promise<void> {
  await new SecureCredentialStorage({
    path: join(home, 'with-file', 'credentials.json'),
    keyringService: service,
  }).saveCredentials({ refreshToken: 'r1' })
  await mkdir(join(home, 'plaintext'), { recursive: true, mode: 0o700 })
  await writeFile(join(home, 'plaintext', 'credentials.json'), '{"refreshToken": "p1"}', {
    mode: 0o600,
  })
}

function daemonPid(): number {
  const reply = spawnSync('dbus-send', [
    '--session',
    '--print-reply',
    '--dest=org.freedesktop.DBus',
    '/',
    'org.freedesktop.DBus.GetConnectionUnixProcessID',
    'string:org.freedesktop.secrets',
  ]).stdout.toString()
  return Number(/uint32 (\d+)/.exec(reply)?.[1])
}

async function sessionFaults(): Promise<void> {
  const service = 'aim-faults'
  await prepare(service)
  const key = await readKeyringKey(item(service))

  // A locked keyring.
  outcome.lock = execFileSync(python, [control, 'lock'], { encoding: 'utf8' }).trim()
  await tryEverything('locked', service, 5000)
  outcome.unlock = execFileSync(python, [control, 'unlock'], { encoding: 'utf8' }).trim()
  outcome.lockedKeyKept = (await readKeyringKey(item(service))) === key
  outcome.lockedNoKeyCreated = (await readKeyringKey(item(`${service}-none`))) === null

  // A call that never returns: the daemon frozen with SIGSTOP.
  const frozen = daemonPid()
  process.kill(frozen, 'SIGSTOP')
  try {
    await tryEverything('frozen', service, 1000)
  } finally {
    process.kill(frozen, 'SIGCONT')
  }
  outcome.frozenKeyKept = (await readKeyringKey(item(service))) === key
  outcome.frozenNoKeyCreated = (await readKeyringKey(item(`${service}-none`))) === null

  // The daemon killed in the middle of a run of updates, each with a fresh storage (so each reads
  // the key): every update must succeed or fail with a typed code, and the file must hold exactly
  // the successful ones.
  const path = join(home, 'with-file', 'credentials.json')
  const outcomes: string[] = []
  const killer = setTimeout(() => process.kill(daemonPid(), 'SIGKILL'), 150 + Math.random() * 100)
  // Stops after three failures: each one waits for the keyring timeout.
  for (let round = 0; round < 40 && outcomes.filter((each) => each !== 'ok').length < 3; round++) {
    outcomes.push(
      await codeOf(() =>
        new SecureCredentialStorage({
          path,
          keyringService: service,
          keyringTimeout: 1500,
        }).updateCredentials((current) => ({
          ...current,
          counter: Number(current?.counter ?? 0) + 1,
        })),
      ),
    )
  }
  clearTimeout(killer)
  outcome.killedOutcomes = [...new Set(outcomes)].sort()
  outcome.killedOperations = outcomes.length
  outcome.killedSucceeded = outcomes.filter((each) => each === 'ok').length
  const { Fernet } = await import('../../../src/node/index.ts')
  const token = await readFile(join(home, 'with-file', 'credentials.encrypted'), 'utf8')
  const stored = JSON.parse(
    new TextDecoder().decode(await (await Fernet.fromKey(key!)).decrypt(token)),
  )
  outcome.killedStoredCounter = stored.counter ?? 0
}

// No session bus at all, or one that does not exist: the key cannot be read or made.
async function noBus(): Promise<void> {
  await tryEverything('noBus', givenService!, 5000)
}

if (mode === 'session') await sessionFaults()
else await noBus()
console.log(JSON.stringify(outcome))
process.exit(0)
