// A child process that repeats one credentials operation until it is killed with SIGKILL, printing
// a line after each completed step so the parent knows what must have happened. Usage:
//   crash-worker.ts <mode> <json options>
// It prints `ready` once its imports and key are loaded, then:
//   save-loop     saves {counter: start + 1}, {counter: start + 2}, … printing each counter saved
//   update-loop   updateCredentials(counter + 1) forever, printing each counter written
//   migrate-each  migrateToEncrypted() of each path in `paths`, printing its index when done
//   rotate-loop   rotates the keyring key over `paths` (the CLI's rotate-key), printing each round
// The key comes from AIM_ENCRYPTION_KEY, or from the keyring service `service`.

import { homedir } from 'node:os'

import { AimCredentialsError } from '../../../src/core/errors.ts'
import { DEFAULT_KEYRING_TIMEOUT_MS } from '../../../src/node/keyring.ts'
import { SecureCredentialStorage } from '../../../src/node/secure-storage.ts'

// Each kill costs one start of this worker: it imports only what its mode needs.

interface CrashOptions {
  path?: string
  paths?: string[]
  service?: string
  start?: number
}

const [mode, json] = process.argv.slice(2)
const options = JSON.parse(json ?? '{}') as CrashOptions

function storageAt(path: string | undefined): SecureCredentialStorage {
  return new SecureCredentialStorage({ path, keyringService: options.service })
}

// Padding makes each write a few kilobytes, so that a kill can land inside it.
const PADDING = 'p'.repeat(4000)

async function saveLoop(): Promise<void> {
  const storage = storageAt(options.path)
  await storage.describeKeySource()
  console.log('ready')
  for (let counter = (options.start ?? 0) + 1; ; counter++) {
    await storage.saveCredentials({ counter, padding: PADDING })
    console.log(counter)
  }
}

async function updateLoop(): Promise<void> {
  const storage = storageAt(options.path)
  await storage.loadCredentials()
  console.log('ready')
  for (;;) {
    const next = await storage.updateCredentials((current) => ({
      ...current,
      counter: Number(current?.counter ?? 0) + 1,
    }))
    console.log(next.counter)
  }
}

async function migrateEach(): Promise<void> {
  const storages = (options.paths ?? []).map((path) => storageAt(path))
  console.log('ready')
  for (const [index, storage] of storages.entries()) {
    await storage.migrateToEncrypted()
    console.log(index)
  }
  console.log('all migrated')
}

async function rotateLoop(): Promise<void> {
  const { rotateKeyringKey } = await import('../../../src/node/cli/key-rotation.ts')
  const settings = {
    home: homedir(),
    cwd: process.cwd(),
    include: [],
    keyringService: options.service!,
    keyringTimeoutMs: DEFAULT_KEYRING_TIMEOUT_MS,
    env: {},
  }
  console.log('ready')
  for (let round = 1; ; round++) {
    await rotateKeyringKey(settings, options.paths ?? [])
    console.log(round)
  }
}

const modes: Record<string, () => Promise<void>> = {
  'save-loop': saveLoop,
  'update-loop': updateLoop,
  'migrate-each': migrateEach,
  'rotate-loop': rotateLoop,
}

try {
  await modes[mode!]!()
} catch (error) {
  const code = error instanceof AimCredentialsError ? error.code : 'UNEXPECTED'
  console.log(`ERROR ${code} ${error instanceof Error ? error.message : String(error)}`)
  process.exitCode = 1
}
