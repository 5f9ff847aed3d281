// The bytes an agent signs for a request to the AIM server (shared/AIM-API.md, "Signed agent
// requests"): `METHOD \n path-and-query \n timestamp [\n body]`, with the path and query exactly
// as `fetch` will send them and the raw body bytes.

import type { Bytes } from './agent-key.ts'

/** A request to sign with {@link AgentIdentity.signRequest}. */
export interface AgentRequest {
  /** The agent's id, sent as `X-Agent-ID`. */
  agentId: string
  /** The HTTP method; signed upper-case. */
  method: string
  /**
   * The URL the request goes to: a full URL or a path with its query. Signed as the path and
   * query that `fetch` will send for it (normalised the way the WHATWG URL parser does).
   */
  url: string | URL
  /** The exact body bytes (a string is sent as UTF-8). Empty or missing: no body is signed. */
  body?: string | Uint8Array
  /** Unix seconds. Default: now. The server accepts ±30 seconds. */
  timestamp?: number
}

/** The four headers of a signed agent request. */
export interface AgentRequestHeaders extends Record<string, string> {
  'X-Agent-ID': string
  'X-Timestamp': string
  'X-Signature': string
  'X-Public-Key': string
}

const encoder = new TextEncoder()

/**
 * Builds the message to sign for `request`, and the timestamp it carries.
 *
 * @throws {TypeError} for a missing agent id, a malformed method, URL or body.
 * @throws {RangeError} when `timestamp` is not a whole number of seconds.
 */
export function signedRequestMessage(request: AgentRequest): { message: Bytes; timestamp: number } {
  if (typeof request?.agentId !== 'string') throw new TypeError('agentId must be a string')
  if (typeof request.method !== 'string' || !/^[A-Za-z]+$/.test(request.method)) {
    throw new TypeError('method must be an HTTP method name')
  }
  const timestamp = request.timestamp ?? Math.floor(Date.now() / 1000)
  if (!Number.isSafeInteger(timestamp)) {
    throw new RangeError('timestamp must be a whole number of Unix seconds')
  }

  const head = `${request.method.toUpperCase()}\n${requestTarget(request.url)}\n${timestamp}`
  const body = bodyBytes(request.body)
  const message = body.length === 0 ? encoder.encode(head) : joinWithNewline(head, body)
  return { message, timestamp }
}

/** The path and query `fetch` sends for `url`, which is what the server sees and checks. */
function requestTarget(url: string | URL): string {
  let parsed: URL
  try {
    // A path alone is resolved against a placeholder origin; only its path and query are used.
    parsed = new URL(url, 'http://aim.invalid')
  } catch (error) {
    throw new TypeError('url must be a URL or a path', { cause: error })
  }

  // `search` is empty both for no query and for a bare "?", but fetch sends the "?".
  const withoutFragment = parsed.href.split('#')[0]!
  const bareQuestionMark = parsed.search === '' && withoutFragment.endsWith('?')
  return parsed.pathname + (bareQuestionMark ? '?' : parsed.search)
}

function bodyBytes(body: string | Uint8Array | undefined): Uint8Array {
  if (body === undefined || body === null) return new Uint8Array(0)
  if (typeof body === 'string') return encoder.encode(body)
  if (body instanceof Uint8Array) return body
  throw new TypeError('body must be a string or a Uint8Array')
}

function joinWithNewline(head: string, body: Uint8Array): Bytes {
  const headBytes = encoder.encode(`${head}\n`)
  const message = new Uint8Array(headBytes.length + body.length)
  message.set(headBytes)
  message.set(body, headBytes.length)
  return message
}
