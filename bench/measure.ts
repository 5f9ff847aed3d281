// Measures operations per second. Candidates are compared in interleaved rounds and each is
// summarised by its median round, so a burst of load from elsewhere on the machine affects every
// candidate alike rather than whichever happened to run at that moment.

/** Runs `operation` for about `seconds` and returns operations per second. */
async function measureOnce(operation: () => unknown, seconds: number, batch: number) {
  let count = 0
  const start = performance.now()
  while (performance.now() - start < seconds * 1000) {
    for (let index = 0; index < batch; index++) await operation()
    count += batch
  }
  return count / ((performance.now() - start) / 1000)
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

/** One implementation to measure; `batch` is how many calls run between clock reads. */
export interface Candidate {
  operation: () => unknown
  batch?: number
}

/**
 * Measures each candidate in `rounds` interleaved rounds of `seconds / rounds` each, after a
 * warm-up, and returns the median operations per second of each, in the order given.
 */
export async function compareOpsPerSecond(
  candidates: Candidate[],
  seconds: number,
  rounds = 5,
): Promise<number[]> {
  for (const { operation, batch = 50 } of candidates) {
    for (let index = 0; index < batch * 2; index++) await operation()
  }

  const rates: number[][] = candidates.map(() => [])
  for (let round = 0; round < rounds; round++) {
    for (const [index, { operation, batch = 50 }] of candidates.entries()) {
      rates[index]!.push(await measureOnce(operation, seconds / rounds, batch))
    }
  }
  return rates.map(median)
}

/** Formats a ratio against a target, e.g. `2.41× (target ≥ 1.5×) ok`. */
export function verdict(ratio: number, target: number): string {
  return `${ratio.toFixed(2)}× (target ≥ ${target}×) ${ratio >= target ? 'ok' : 'MISSED'}`
}
