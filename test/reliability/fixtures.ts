// What the reliability suite shares: the soak switch that scales every count, workers whose output
// lines can be awaited while they run (and killed at any moment), deadlines that turn a hang into
// a failure, and the one-line figures each file prints at its end.

import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

import { afterAll } from 'vitest'

import { AimCredentialsError } from '../../src/node/index.ts'
import { ROOT } from '../node/storage-fixtures.ts'

/** `AIM_SOAK=1` (`npm run test:soak`) multiplies every count of this suite. */
export const SOAK = process.env.AIM_SOAK === '1'

/** The quick count in `npm test`, or the soak count under `AIM_SOAK=1`. */
export function scaled(quick: number, soak: number): number {
  return SOAK ? soak : quick
}

export const RELIABILITY_WORKERS = join(ROOT, 'test/reliability/workers')

/** A child process whose stdout lines are collected as they arrive. */
export interface LineWorker {
  child: ChildProcess
  lines: string[]
  stderr: () => string
  exited: Promise<number | null>
  /** Resolves once `count` lines have arrived; rejects if the worker exits first. */
  waitForLines(count: number): Promise<void>
  kill(): Promise<void>
}

/** Starts a TypeScript worker of test/reliability/workers with Node (through tsx). */
export function startWorker(name: string, args: string[], env: NodeJS.ProcessEnv): LineWorker {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(RELIABILITY_WORKERS, name), ...args],
    {
      cwd: ROOT,
      env,
    },
  )
  const lines: string[] = []
  let pending = ''
  let errors = ''
  child.stdout!.on('data', (chunk: Buffer) => {
    pending += chunk.toString()
    const parts = pending.split('\n')
    pending = parts.pop()!
    lines.push(...parts)
  })
  child.stderr!.on('data', (chunk: Buffer) => {
    errors += chunk.toString()
  })
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))

  async function waitForLines(count: number): Promise<void> {
    while (lines.length < count) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`worker ${name} exited early: ${lines.join(' | ')} ${errors}`)
      }
      await sleep(2)
    }
  }

  async function kill(): Promise<void> {
    child.kill('SIGKILL')
    await exited
  }

  return { child, lines, stderr: () => errors, exited, waitForLines, kill }
}

/**
 * Rejects with a clear message when `promise` has not settled within `limitMs`. This is a bound
 * on liveness (a hang or a stuck lock), far above any normal duration, never a speed measure.
 */
export async function withinBound<T>(
  promise: Promise<T>,
  limitMs: number,
  what: string,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what} did not finish within ${limitMs} ms`)),
      limitMs,
    )
  })
  try {
    return await Promise.race([promise, expired])
  } finally {
    clearTimeout(timer)
  }
}

/** The code of the `AimCredentialsError` the promise rejects with; anything else fails the test. */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (error) {
    if (error instanceof AimCredentialsError) return error.code
    throw error
  }
  return 'no error'
}

/** Random whole number in [low, high]. */
export function randomBetween(low: number, high: number): number {
  return low + Math.floor(Math.random() * (high - low + 1))
}

/**
 * Counters a test file fills as it runs; at the end of the file they are printed as one line,
 * `AIM reliability <file>: name=value …`, so that the published figures come from a run.
 */
export function figures(file: string): Record<string, number> {
  const counters: Record<string, number> = {}
  afterAll(() => {
    const parts = Object.entries(counters).map(([name, value]) => `${name}=${value}`)
    console.log(`AIM reliability ${file}${SOAK ? ' (soak)' : ''}: ${parts.join(' ')}`)
  })
  return counters
}

/** Adds `amount` to a counter. */
export function count(counters: Record<string, number>, name: string, amount = 1): void {
  counters[name] = (counters[name] ?? 0) + amount
}
