// A child process for the concurrency, crash and lock tests. Usage:
//   storage-worker.ts <mode> <json options>
// Modes:
//   save-then-load  save {writer: id} at options.path, wait for options.startAt, then print the
//                   credentials of every path in options.readPaths (JSON)
//   increment       options.times × updateCredentials(counter + 1) at options.path
//   save-loop       save {counter: i} for i = 1, 2, … printing each i once its save is done
//   hold-lock       repeatedly take withFileLock(options.lockPath) and check no other live holder
//                   is inside, printing "held" after each hold; runs until killed or options.times
//   load            print the loaded credentials (JSON) or the error code
//   save            save options.credentials, printing "saved" or the error code

import { readFile, unlink, writeFile } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'

import { withFileLock } from '../../../src/node/lock.ts'
import { AimCredentialsError, SecureCredentialStorage } from '../../../src/node/index.ts'

interface WorkerOptions {
  path?: string
  service?: string
  id?: string
  startAt?: number
  readPaths?: string[]
  times?: number
  lockPath?: string
  holdMs?: number
  credentials?: Record<string, unknown>
}

const [mode, json] = process.argv.slice(2)
const options = JSON.parse(json ?? '{}') as WorkerOptions

function storageAt(path: string | undefined): SecureCredentialStorage {
  return new SecureCredentialStorage({ path, keyringService: options.service })
}

async function waitUntil(time: number | undefined): Promise<void> {
  if (time !== undefined && time > Date.now()) await sleep(time - Date.now())
}

async function saveThenLoad(): Promise<void> {
  await waitUntil(options.startAt)
  await storageAt(options.path).saveCredentials({ writer: options.id })

  // Give the others time to write, then read everyone's file with a fresh storage.
  await sleep(1500)
  const results: unknown[] = []
  for (const path of options.readPaths ?? []) {
    results.push(await storageAt(path).loadCredentials())
  }
  console.log(JSON.stringify(results))
}

async function increment(): Promise<void> {
  await waitUntil(options.startAt)
  const storage = storageAt(options.path)
  for (let round = 0; round < (options.times ?? 1); round++) {
    await storage.updateCredentials((current) => ({
      ...current,
      counter: Number(current?.counter ?? 0) + 1,
    }))
  }
  console.log('done')
}

async function saveLoop(): Promise<void> {
  const storage = storageAt(options.path)
  for (let counter = 1; ; counter++) {
    await storage.saveCredentials({ counter, padding: 'x'.repeat(2000) })
    console.log(counter)
  }
}

// The marker file holds the pid of the process inside the lock. Finding another live pid there
// means two holders at once; a dead pid is a holder that was killed inside, which is allowed.
async function holdLock(): Promise<void> {
  const lockPath = options.lockPath!
  const marker = `${lockPath}.holder`
  for (let round = 0; round < (options.times ?? Infinity); round++) {
    await withFileLock(lockPath, async () => {
      const previous = Number(await readFile(marker, 'utf8').catch(() => '0'))
      if (previous && previous !== process.pid && isAlive(previous)) {
        console.log(`VIOLATION ${previous}`)
      }
      await writeFile(marker, String(process.pid))
      console.log('held')
      await sleep(options.holdMs ?? 20)
      await unlink(marker).catch(() => undefined)
    })
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

async function load(): Promise<void> {
  try {
    console.log(JSON.stringify(await storageAt(options.path).loadCredentials()))
  } catch (error) {
    console.log(error instanceof AimCredentialsError ? error.code : `UNEXPECTED ${String(error)}`)
  }
}

async function save(): Promise<void> {
  try {
    await storageAt(options.path).saveCredentials(options.credentials ?? {})
    console.log('saved')
  } catch (error) {
    console.log(error instanceof AimCredentialsError ? error.code : `UNEXPECTED ${String(error)}`)
  }
}

const modes: Record<string, () => Promise<void>> = {
  save,
  'save-then-load': saveThenLoad,
  increment,
  'save-loop': saveLoop,
  'hold-lock': holdLock,
  load,
}

try {
  await modes[mode!]!()
} catch (error) {
  const code = error instanceof AimCredentialsError ? error.code : 'UNEXPECTED'
  console.log(`ERROR ${code} ${error instanceof Error ? error.message : String(error)}`)
  process.exitCode = 1
}
