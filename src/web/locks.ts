// The credentials lock: the Web Locks API (`navigator.locks`) across the tabs and workers of one
// origin, else a queue within this page. Both wait at most a timeout, then fail with
// `ERR_LOCK_TIMEOUT`.

import { lockTimeout } from './storage-errors.ts'

/** How long to wait for the lock before failing with `ERR_LOCK_TIMEOUT`. */
export const LOCK_TIMEOUT_MS = 60_000

/** An exclusive lock; not re-entrant. */
export interface Lock {
  /** Runs `action` while holding the lock, and releases it when `action` settles. */
  run<T>(action: () => Promise<T>): Promise<T>
}

/** The Web Locks API of this runtime, if it has one. */
function webLocks(): LockManager | undefined {
  const locks = (globalThis.navigator as Navigator | undefined)?.locks
  return typeof locks?.request === 'function' ? locks : undefined
}

/** Whether locks taken here are respected by the other tabs and workers of the origin. */
export function hasWebLocks(): boolean {
  return webLocks() !== undefined
}

/** The tail of each page-local queue, by lock name. */
const pageQueues = new Map<string, Promise<void>>()

/** Holds a lock that only this page (or process) respects: a queue of waiting actions. */
function runInPageQueue<T>(name: string, action: () => Promise<T>, timeoutMs: number): Promise<T> {
  const previous = pageQueues.get(name) ?? Promise.resolve()
  let release!: () => void
  const done = new Promise<void>((resolve) => {
    release = resolve
  })
  const tail = previous.then(() => done)
  pageQueues.set(name, tail)

  return new Promise<T>((resolve, reject) => {
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      reject(lockTimeout(name, timeoutMs))
    }, timeoutMs)

    void previous.then(async () => {
      clearTimeout(timer)
      try {
        // A waiter that gave up still takes its turn, doing nothing, to keep the queue in order.
        if (!timedOut) resolve(await action())
      } catch (error) {
        reject(error)
      } finally {
        release()
        if (pageQueues.get(name) === tail) pageQueues.delete(name)
      }
    })
  })
}

/** Holds a Web Lock, giving up after `timeoutMs` of waiting. */
async function runWithWebLock<T>(
  locks: LockManager,
  name: string,
  action: () => Promise<T>,
  timeoutMs: number,
): Promise<T> {
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(), timeoutMs)

  try {
    return await locks.request(name, { signal: controller.signal }, () => {
      clearTimeout(timer)
      return action()
    })
  } catch (error) {
    if (controller.signal.aborted && error === controller.signal.reason) {
      throw lockTimeout(name, timeoutMs)
    }
    throw error
  } finally {
    clearTimeout(timer)
  }
}

/**
 * A lock shared by every tab and worker of this origin that uses the same name, through Web
 * Locks. Where Web Locks are missing it falls back to a queue within this page.
 *
 * > [!WARNING]
 * > Without Web Locks, other tabs do not wait for this lock: two tabs may run their actions at
 * > once (for instance both refresh a token). Updates still lose nothing, because writes check
 * > the record's revision, but work may be done twice.
 *
 * @param name - the lock name, e.g. `aim-credentials:aim-sdk`.
 * @param timeoutMs - how long to wait before failing with `ERR_LOCK_TIMEOUT`.
 */
export function crossTabLock(name: string, timeoutMs = LOCK_TIMEOUT_MS): Lock {
  return {
    run(action) {
      const locks = webLocks()
      if (locks) return runWithWebLock(locks, name, action, timeoutMs)
      return runInPageQueue(name, action, timeoutMs)
    },
  }
}

let pageLockCount = 0

/** A lock for data only this object can see (memory persistence): a queue of its own. */
export function pageLock(timeoutMs = LOCK_TIMEOUT_MS): Lock {
  pageLockCount += 1
  const name = `aim-credentials:memory:${pageLockCount}`
  return { run: (action) => runInPageQueue(name, action, timeoutMs) }
}
