// What the Node storage tests share: the Secret Service component, throwaway homes and keyring
// service names, child-process workers, and the Python helpers (the SDK's storage, keyring lock).

import { execFile, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { PYTHON, type Component } from './components.ts'

export const ROOT = fileURLToPath(new URL('../../', import.meta.url))
export const WORKERS = join(ROOT, 'test/node/workers')
const INTEROP = join(ROOT, 'test/interop')

// A real round trip through the keyring, in a child so that a hanging or crashing binding cannot
// take the test process with it.
function probeSecretService(): boolean {
  if (!process.env.DBUS_SESSION_BUS_ADDRESS) return false
  const probe = `
    import { AsyncEntry } from '@napi-rs/keyring'
    const entry = new AsyncEntry('aim-test-probe-${process.pid}', 'probe', {
      linux: { store: 'secret-service' },
    })
    await entry.setPassword('probe')
    const ok = (await entry.getPassword()) === 'probe'
    await entry.deletePassword()
    process.exit(ok ? 0 : 1)`
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', probe], {
    cwd: ROOT,
    timeout: 15_000,
    stdio: 'ignore',
  })
  return result.status === 0
}

/** A Secret Service on the session bus that stores and returns an entry. */
export const secretService: Component = {
  name: 'a Secret Service on the D-Bus session bus',
  available: probeSecretService(),
  remedy:
    'run inside `dbus-run-session -- bash scripts/with-keyring.sh …` (dbus-daemon, gnome-keyring)',
}

/**
 * A fresh temporary folder that becomes this test process's HOME (so that nothing, not even the
 * key-creation lock in ~/.aim, touches the real home); `remove()` restores HOME and deletes it.
 */
export async function temporaryHome(): Promise<{ home: string; remove: () => Promise<void> }> {
  const home = await mkdtemp(join(tmpdir(), 'aim-storage-test-'))
  const previous = process.env.HOME
  process.env.HOME = home
  return {
    home,
    remove: async () => {
      process.env.HOME = previous
      await rm(home, { recursive: true, force: true })
    },
  }
}

/** A keyring service name no other test run uses. */
export function uniqueService(label: string): string {
  return `aim-test-${label}-${process.pid}-${randomBytes(4).toString('hex')}`
}

/** The outcome of a child process. */
export interface ChildResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** Runs a TypeScript worker from test/node/workers with Node (through tsx). */
export function runWorker(
  name: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<ChildResult> {
  return runChild(process.execPath, ['--import', 'tsx', join(WORKERS, name), ...args], env)
}

/** Runs a program and collects its output; never rejects. */
export function runChild(
  file: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<ChildResult> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd: ROOT, env, timeout: 120_000 }, (error, stdout, stderr) => {
      const failure = error as (Error & { code?: number | string; signal?: NodeJS.Signals }) | null
      resolve({
        code: failure ? (typeof failure.code === 'number' ? failure.code : null) : 0,
        signal: failure?.signal ?? null,
        stdout,
        stderr,
      })
    })
  })
}

/** Sends one request to the Python SDK storage script and parses its answer. */
export async function pythonSdk<T>(request: Record<string, unknown>, home?: string): Promise<T> {
  const env = home ? { ...process.env, HOME: home } : process.env
  const result = await runChild(
    PYTHON,
    [join(INTEROP, 'python_sdk_storage.py'), JSON.stringify(request)],
    env,
  )
  if (result.code !== 0) throw new Error(`python_sdk_storage.py failed: ${result.stderr}`)
  return JSON.parse(result.stdout) as T
}

/** Locks or unlocks the session's default keyring collection. */
export async function setKeyringLocked(locked: boolean): Promise<void> {
  const result = await runChild(PYTHON, [
    join(INTEROP, 'keyring_control.py'),
    locked ? 'lock' : 'unlock',
  ])
  if (result.stdout.trim() !== (locked ? 'locked' : 'unlocked')) {
    throw new Error(`keyring_control.py: ${result.stdout} ${result.stderr}`)
  }
}

/** Stores an item with `secret-tool`, as any third-party program could. */
export async function storeWithSecretTool(service: string, value: string): Promise<void> {
  const result = spawnSync(
    'secret-tool',
    ['store', '--label=aim test duplicate', 'service', service, 'username', 'encryption-key'],
    { input: value, encoding: 'utf8' },
  )
  if (result.status !== 0) throw new Error(`secret-tool store failed: ${result.stderr}`)
}
