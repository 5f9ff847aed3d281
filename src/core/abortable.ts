// Bounding a wait by an abort signal, for promises that do not watch the signal themselves: a
// `fetch` option or a response body that ignores it must not hold a caller (and the storage lock
// it may hold) forever.

/**
 * Settles like `promise`, or rejects with the signal's reason as soon as it aborts, whichever
 * comes first. The promise itself is not stopped; its later outcome is ignored.
 */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => undefined)
    return Promise.reject(signal.reason)
  }

  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(signal.reason)
    signal.addEventListener('abort', abort, { once: true })
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort))
  })
}
