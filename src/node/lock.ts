// A cross-process lock on a file path, for read-modify-write of credentials and for creating the
// encryption key. The lock is a file created exclusively (O_EXCL) that names its holder; a holder
// that died (its pid is gone on this host) or stopped refreshing the file's time is recovered.

import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import { link, mkdir, open, readdir, readFile, stat, unlink, utimes } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

import { AimCredentialsError } from '../core/errors.ts'
import { isMissing, isProcessAlive, storageError } from './files.ts'

/** How long to wait for a lock before giving up, in milliseconds. */
export const LOCK_TIMEOUT_MS = 30_000

// A holder refreshes its lock file's time this often; a lock whose time is older than
// STALE_AFTER_MS belongs to a holder that is gone or frozen (or on another host) and is broken.
const REFRESH_EVERY_MS = 2_000
const STALE_AFTER_MS = 20_000

// Breaking a stale lock is itself guarded by a short-lived lock, so that two waiters cannot both
// break it and then remove each other's fresh lock.
const BREAKER_STALE_AFTER_MS = 5_000

interface LockOwner {
  pid: number
  host: string
  token: string
}

/**
 * Runs `action` while holding the lock file `lockPath`, and releases it afterwards, also when
 * `action` throws.
 *
 * @throws {AimCredentialsError} `ERR_LOCK_TIMEOUT` when another live holder keeps the lock longer
 *   than `LOCK_TIMEOUT_MS`; `ERR_STORAGE_FAILED` when the lock file cannot be created.
 */
export async function withFileLock<T>(lockPath: string, action: () => Promise<T>): Promise<T> {
  const owner: LockOwner = { pid: process.pid, host: hostname(), token: randomToken() }
  await acquire(lockPath, owner)

  // Refreshing the time proves this holder is alive even if the pid check cannot be made.
  const refresher = setInterval(() => {
    const now = new Date()
    utimes(lockPath, now, now).catch(() => {
      // A failed refresh only makes the lock look stale sooner; the action keeps running.
    })
  }, REFRESH_EVERY_MS)
  refresher.unref()

  try {
    return await action()
  } finally {
    clearInterval(refresher)
    await release(lockPath, owner)
  }
}

async function acquire(lockPath: string, owner: LockOwner): Promise<void> {
  try {
    await mkdir(dirname(lockPath), { recursive: true, mode: 0o700 })
  } catch (error) {
    throw storageError('create the folder of', lockPath, error)
  }
  await removeAbandonedDrafts(lockPath)

  const deadline = Date.now() + LOCK_TIMEOUT_MS
  let pause = 5
  for (;;) {
    if (await tryCreate(lockPath, owner)) return

    await breakIfStale(lockPath, STALE_AFTER_MS)

    if (Date.now() > deadline) {
      throw new AimCredentialsError(
        'ERR_LOCK_TIMEOUT',
        `Another process has held ${lockPath} for more than ${LOCK_TIMEOUT_MS / 1000} s; ` +
          'wait for it to finish, or stop it. A lock left by a process that died is recovered ' +
          'automatically',
      )
    }
    await sleep(pause + Math.random() * pause)
    pause = Math.min(pause * 2, 100)
  }
}

// Drafts are named after the lock and their writer's pid (`<lock>.<pid>.<token>.tmp`, and
// `<lock>.break.<pid>.<token>.tmp` for the breaker), so that one left by a process killed while
// taking the lock can be recognised and removed by the next taker.
async function removeAbandonedDrafts(lockPath: string): Promise<void> {
  const prefix = `${basename(lockPath)}.`
  let names: string[]
  try {
    names = await readdir(dirname(lockPath))
  } catch {
    // Cleaning up is a courtesy; taking the lock reports a folder it cannot use.
    return
  }

  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue
    const pid = Number(
      name
        .slice(prefix.length)
        .replace(/^break\./, '')
        .split('.')[0],
    )
    if (!Number.isSafeInteger(pid) || pid === process.pid || isProcessAlive(pid)) continue
    await unlink(join(dirname(lockPath), name)).catch(() => {
      // Another taker removed it first, which is just as good.
    })
  }
}

async function tryCreate(lockPath: string, owner: LockOwner): Promise<boolean> {
  // The owner is written to a private file first and then linked into place, so the lock file
  // never exists without its owner: a holder killed at any moment leaves a judgeable lock.
  const draft = `${lockPath}.${owner.pid}.${owner.token}.tmp`
  try {
    const handle = await open(draft, 'wx', 0o600)
    try {
      await handle.writeFile(JSON.stringify(owner))
    } finally {
      await handle.close()
    }
    await link(draft, lockPath)
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw storageError('create the lock', lockPath, error)
  } finally {
    await unlink(draft).catch(() => {
      // Never created: nothing to clean up.
    })
  }
}

async function release(lockPath: string, owner: LockOwner): Promise<void> {
  // Remove the file only if it is still ours: after a freeze long enough to be judged stale, the
  // lock may have passed to another process, whose file must stay.
  const current = await readOwner(lockPath)
  if (current?.token !== owner.token) return
  await unlink(lockPath).catch(() => {
    // Already gone: nothing left to release.
  })
}

/** Removes `lockPath` if its holder is dead or silent, under the breaker lock. */
async function breakIfStale(lockPath: string, staleAfter: number): Promise<void> {
  if (!(await isStale(lockPath, staleAfter))) return

  const breakerPath = `${lockPath}.break`
  const breaker: LockOwner = { pid: process.pid, host: hostname(), token: randomToken() }
  if (!(await tryCreate(breakerPath, breaker))) {
    // Someone else is breaking it; a breaker that died mid-way is itself removed after a while.
    if (await isStale(breakerPath, BREAKER_STALE_AFTER_MS)) {
      await unlink(breakerPath).catch(() => {
        // Removed by another waiter at the same moment.
      })
    }
    return
  }

  try {
    // Judge again: between the first look and taking the breaker, the lock may have changed hands.
    if (await isStale(lockPath, staleAfter)) {
      await unlink(lockPath).catch(() => {
        // Released by its holder in the meantime.
      })
    }
  } finally {
    await release(breakerPath, breaker)
  }
}

async function isStale(lockPath: string, staleAfter: number): Promise<boolean> {
  let modified: number
  try {
    modified = (await stat(lockPath)).mtimeMs
  } catch (error) {
    if (isMissing(error)) return false
    throw storageError('check the lock', lockPath, error)
  }

  const owner = await readOwner(lockPath)
  if (owner && owner.host === hostname() && !isProcessAlive(owner.pid)) return true

  // An unreadable owner (another host's format, or damage) leaves only the age to judge by.
  return Date.now() - modified > staleAfter
}

async function readOwner(lockPath: string): Promise<LockOwner | undefined> {
  try {
    const owner = JSON.parse(await readFile(lockPath, 'utf8')) as Partial<LockOwner>
    if (typeof owner.pid !== 'number' || typeof owner.token !== 'string') return undefined
    return { pid: owner.pid, host: String(owner.host), token: owner.token }
  } catch {
    // Missing, or caught between creation and the write of its content: no known owner.
    return undefined
  }
}

function randomToken(): string {
  return randomBytes(12).toString('hex')
}
