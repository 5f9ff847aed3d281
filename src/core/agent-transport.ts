// How `AimClient` talks to the AIM server: through the session (`TokenManager.fetch`), an API key,
// or a signed agent request, each with a deadline, reading JSON answers and turning every failure
// into a typed `TokenError`. No request or response body ever goes into an error.

import { untilAborted } from './abortable.ts'
import { AimCredentialsError, TokenError } from './errors.ts'
import { parseServerUrl, serverEndpoint } from './server-url.ts'

/** What `AimClient` needs from a `TokenManager`: fetch with the session's access token. */
export interface AuthorizedFetcher {
  fetch(input: string, init?: RequestInit): Promise<Response>
}

/** A JSON answer from the AIM server. */
export interface JsonReply {
  status: number
  body: unknown
  /** The URL that answered. */
  url: string
}

/** How one request is authenticated. */
export type Authentication =
  | { kind: 'session' }
  | { kind: 'apiKey'; header: 'X-AIM-API-Key' | 'X-API-Key' }
  | { kind: 'headers'; headers: Record<string, string> }

/** The settings of a transport. */
export interface TransportOptions {
  tokens: AuthorizedFetcher | undefined
  aimUrl: string | undefined
  apiKey: string | undefined
  fetch: typeof fetch
  timeoutMs: number
}

/** Sends JSON requests to one AIM server. */
export class AgentTransport {
  readonly #options: TransportOptions
  readonly #server: URL | undefined

  /** @throws {TokenError} `ERR_INSECURE_URL` when `aimUrl` is not HTTPS or loopback HTTP. */
  constructor(options: TransportOptions) {
    this.#options = options
    this.#server = options.aimUrl === undefined ? undefined : parseServerUrl(options.aimUrl)
  }

  /** The server's base URL, when known. */
  get aimUrl(): string | undefined {
    return this.#server?.href.replace(/\/$/, '')
  }

  /** The full URL of an API path, for signing; needs `aimUrl`. */
  endpoint(path: string): string {
    if (!this.#server) throw new TypeError('Signed agent requests need the aimUrl option')
    return serverEndpoint(this.#server, path)
  }

  /**
   * Sends a request and reads its JSON answer (any status).
   *
   * @throws {TokenError} `ERR_NETWORK`, `ERR_TIMEOUT`, `ERR_INVALID_RESPONSE` for a body that is
   *   not JSON; the session's own codes (`ERR_NO_CREDENTIALS`, `ERR_SESSION_REVOKED`, …).
   */
  async send(
    method: string,
    path: string,
    authentication: Authentication,
    body?: string,
  ): Promise<JsonReply> {
    const headers: Record<string, string> = { Accept: 'application/json' }
    if (body !== undefined) headers['Content-Type'] = 'application/json'

    const signal = AbortSignal.timeout(this.#options.timeoutMs)
    const init: RequestInit = { method, body, signal, redirect: 'error', credentials: 'omit' }

    let send: () => Promise<Response>
    if (authentication.kind === 'session') {
      const tokens = this.#options.tokens
      if (!tokens) throw new TypeError('This call needs a session: pass the tokens option')
      send = () => tokens.fetch(path, { ...init, headers })
    } else {
      if (authentication.kind === 'apiKey') {
        const apiKey = this.#options.apiKey
        if (!apiKey) throw new TypeError('This call needs an API key: pass the apiKey option')
        headers[authentication.header] = apiKey
      } else {
        Object.assign(headers, authentication.headers)
      }
      const url = this.endpoint(path)
      send = () => this.#options.fetch(url, { ...init, headers })
    }

    let response: Response
    try {
      response = await untilAborted(send(), signal)
    } catch (error) {
      // The session's typed errors (no credentials, revoked, keyring locked…) pass through.
      if (error instanceof AimCredentialsError) throw error
      if (signal.aborted) {
        throw new TokenError('ERR_TIMEOUT', `The AIM server did not answer ${path} in time`)
      }
      throw new TokenError(
        'ERR_NETWORK',
        `Could not reach the AIM server for ${path}; check the network and the aimUrl`,
        { cause: error },
      )
    }

    const answer = await readJson(response, path, signal)
    return { status: response.status, body: answer, url: response.url }
  }
}

async function readJson(response: Response, path: string, signal: AbortSignal): Promise<unknown> {
  let text: string
  try {
    text = await untilAborted(response.text(), signal)
  } catch (error) {
    const code = signal.aborted ? 'ERR_TIMEOUT' : 'ERR_NETWORK'
    throw new TokenError(code, `The AIM server's answer to ${path} broke off`, { cause: error })
  }
  if (text === '') return undefined

  try {
    return JSON.parse(text)
  } catch {
    // Reported below with the status; the body itself is not repeated in the error.
    throw new TokenError(
      'ERR_INVALID_RESPONSE',
      `The AIM server answered ${path} with a body that is not JSON (HTTP ${response.status})`,
      { status: response.status },
    )
  }
}

/** A server error for an unexpected status, with the server's short `error` text if it gave one. */
export function serverError(reply: JsonReply, what: string): TokenError {
  const said = (reply.body as { error?: unknown } | undefined)?.error
  const reason = typeof said === 'string' ? `: ${said.slice(0, 200)}` : ''
  return new TokenError(
    'ERR_SERVER',
    `The AIM server refused to ${what} (HTTP ${reply.status})${reason}`,
    { status: reply.status },
  )
}

/** An answer that lacks what the API promises. */
export function invalidResponse(reply: JsonReply, what: string): TokenError {
  return new TokenError(
    'ERR_INVALID_RESPONSE',
    `The AIM server's answer to ${what} lacks the expected fields (HTTP ${reply.status})`,
    { status: reply.status },
  )
}
