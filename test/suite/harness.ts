// A tiny assertion kit for suites that run unchanged under Vitest, Deno's and Bun's test runners.

/** One test of a shared suite. */
export interface Case {
  name: string
  run: () => Promise<void> | void
}

export class AssertionError extends Error {
  override name = 'AssertionError'
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError(message)
}

export function assertEqual<T>(actual: T, expected: T, message = 'values differ'): void {
  if (!Object.is(actual, expected)) {
    throw new AssertionError(`${message}: got ${String(actual)}, expected ${String(expected)}`)
  }
}

export function assertBytesEqual(
  actual: Uint8Array,
  expected: Uint8Array,
  message = 'bytes differ',
) {
  const same =
    actual.length === expected.length && actual.every((byte, index) => byte === expected[index])
  if (!same) throw new AssertionError(`${message}: lengths ${actual.length} and ${expected.length}`)
}

/** Awaits `action` and returns what it threw; fails if it did not throw. */
export async function caught(action: () => unknown): Promise<unknown> {
  try {
    await action()
  } catch (error) {
    return error
  }
  throw new AssertionError('expected a failure, but the call succeeded')
}

/** Asserts that `action` fails with an error carrying `code`, and returns that error. */
export async function assertFailsWithCode(
  action: () => unknown,
  code: string,
): Promise<Error & { code: string }> {
  const error = await caught(action)
  const actual = (error as { code?: unknown })?.code
  if (actual !== code) {
    throw new AssertionError(`expected code ${code}, got ${String(actual)}: ${String(error)}`)
  }
  return error as Error & { code: string }
}

/** Asserts that `action` fails with an instance of `type` (TypeError, RangeError, …). */
export async function assertFailsWithType(
  action: () => unknown,
  type: abstract new (...args: never[]) => Error,
): Promise<void> {
  const error = await caught(action)
  if (!(error instanceof type)) {
    throw new AssertionError(`expected ${type.name}, got ${String(error)}`)
  }
}
