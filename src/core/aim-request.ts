// One JSON request to the AIM server with a deadline and a size cap, turning every transport
// failure into a typed `TokenError`. It never puts a request or response body into an error.

import { untilAborted } from './abortable.ts'
import { TokenError } from './errors.ts'

/** The answer of `postJson`: the status and the body parsed as JSON when it was JSON. */
export interface JsonAnswer {
  status: number
  /** The parsed body, or `undefined` when it was empty, not JSON, or not declared as JSON. */
  body: unknown
}

/** How `postJson` sends. */
export interface JsonRequestOptions {
  fetch: typeof fetch
  timeoutMs: number
  headers?: Record<string, string>
}

// Token answers are a few kilobytes; anything far larger is hostile or broken.
const MAX_RESPONSE_BYTES = 64 * 1024

async function readCapped(
  response: Response,
  signal: AbortSignal,
): Promise<Uint8Array | undefined> {
  if (!response.body) return new Uint8Array()

  const reader = response.body.getReader()
  signal.addEventListener('abort', () => reader.cancel().catch(() => undefined), { once: true })
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await untilAborted(reader.read(), signal)
    if (done) break
    size += value.byteLength
    if (size > MAX_RESPONSE_BYTES) {
      await reader.cancel()
      return undefined
    }
    chunks.push(value)
  }

  const bytes = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.byteLength
  }
  return bytes
}

function parseJson(bytes: Uint8Array, contentType: string | null): unknown {
  if (!contentType || !/^application\/([\w.+-]+\+)?json\b/i.test(contentType)) return undefined

  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
  } catch {
    // A body that claims JSON but is not: the caller reports ERR_INVALID_RESPONSE.
    return undefined
  }
}

/**
 * POSTs a JSON body and reads the JSON answer.
 *
 * @param url The endpoint (already checked by `parseServerUrl`).
 * @param body The JSON request body.
 * @param options The fetch function, the deadline and extra headers.
 * @throws {TokenError} `ERR_TIMEOUT` past the deadline (headers and body together),
 *   `ERR_NETWORK` when the request cannot be sent or the answer cannot be read,
 *   `ERR_INVALID_RESPONSE` when the answer is larger than 64 KiB.
 */
export async function postJson(
  url: string,
  body: unknown,
  options: JsonRequestOptions,
): Promise<JsonAnswer> {
  const controller = new AbortController()
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    controller.abort()
  }, options.timeoutMs)
  const endpoint = new URL(url).pathname

  try {
    const sent = options.fetch(url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Accept: 'application/json',
        ...options.headers,
      },
      body: JSON.stringify(body),
      signal: controller.signal,
      redirect: 'error',
      credentials: 'omit',
    })
    const response = await untilAborted(sent, controller.signal)

    const bytes = await readCapped(response, controller.signal)
    if (bytes === undefined) {
      throw new TokenError(
        'ERR_INVALID_RESPONSE',
        `The AIM server's answer to ${endpoint} is larger than ${MAX_RESPONSE_BYTES} bytes`,
        { status: response.status },
      )
    }
    return { status: response.status, body: parseJson(bytes, response.headers.get('content-type')) }
  } catch (error) {
    if (error instanceof TokenError) throw error
    if (timedOut) {
      throw new TokenError(
        'ERR_TIMEOUT',
        `The AIM server did not answer ${endpoint} within ${options.timeoutMs} ms; try again later`,
      )
    }
    // The cause (a TypeError from fetch) names the host at most, never a body or header.
    throw new TokenError(
      'ERR_NETWORK',
      `Could not reach the AIM server at ${new URL(url).origin}; check the network and the aimUrl`,
      { cause: error },
    )
  } finally {
    clearTimeout(timer)
  }
}
