// What the hostile-input files share: the number of fast-check cases, the bound every call must
// settle within, and the property runner that counts the cases for the run's figures.

import fc from 'fast-check'
import { it } from 'vitest'

import { AimCredentialsError } from '../../src/node/index.ts'
import { count, scaled, withinBound } from './fixtures.ts'

/** fast-check cases per property: `npm test` and the soak. */
export const RUNS = scaled(150, 1000)

/** Every single call must settle within this: a hang is a failure, not a slow pass. */
export const BOUND_MS = 10_000

/** 'ok', or the code of the AimCredentialsError (or 'TypeError'); anything else fails. */
export async function outcomeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await withinBound(promise, BOUND_MS, 'a call on hostile input')
    return 'ok'
  } catch (error) {
    if (error instanceof AimCredentialsError) return error.code
    if (error instanceof TypeError) return 'TypeError'
    throw error
  }
}

/** A test that checks `RUNS` generated cases, each counted as a case in `tally`. */
export function property<T>(
  tally: Record<string, number>,
  name: string,
  arbitrary: fc.Arbitrary<T>,
  check: (value: T) => Promise<void>,
): void {
  it(
    `${name} (${RUNS} cases)`,
    async () => {
      await fc.assert(
        fc.asyncProperty(arbitrary, async (value) => {
          await check(value)
          count(tally, 'cases')
        }),
        // No shrinking: a case bounded by a 10 s deadline would be re-run for minutes.
        { numRuns: RUNS, endOnFailure: true },
      )
    },
    RUNS * 500,
  )
}

/** UTF-8 bytes of a text. */
export function encode(text: string): Uint8Array {
  return new TextEncoder().encode(text)
}
