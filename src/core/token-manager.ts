// Access tokens for the AIM server from stored SDK credentials: refreshes with rotation, one at a
// time per machine (single flight in the process, the storage's lock across processes and tabs),
// so that no holder ever presents a rotated-out refresh token and gets the whole family revoked.

import { postJson } from './aim-request.ts'
import { readSdkTokenFields } from './sdk-credentials.ts'
import { parseServerUrl, serverEndpoint } from './server-url.ts'
import { sha256Hex } from './sha256.ts'
import type {
  CredentialStore,
  Credentials,
  SecurityEventListener,
  SecurityEventType,
} from './storage.ts'
import { TokenRenewal, type HeldToken, type TokenNeed } from './token-renewal.ts'

/** Options of `TokenManager`. */
export interface TokenManagerOptions {
  /** Where the SDK credentials live; its lock serialises refreshes across processes or tabs. */
  storage: CredentialStore
  /** The fetch function to use; default `globalThis.fetch`. */
  fetch?: typeof fetch
  /** The clock, in Unix seconds; default `Date.now() / 1000`. For tests. */
  now?: () => number
  /** Refresh when an access token has fewer seconds left than this; default 60. */
  refreshSkewSeconds?: number
  /** Refresh proactively when the refresh token was issued longer ago than this; default 30. */
  maxRefreshTokenAgeDays?: number
  /**
   * How long one request to the AIM server may take, in milliseconds; default 10 000. Requests
   * run while the storage's lock is held, so keep this well below the lock's wait limit
   * (30 s in Node, 60 s in browsers), or other holders fail with `ERR_LOCK_TIMEOUT`.
   */
  timeoutMs?: number
  /** Receives `token.*` and `session.logged_out` events; they never carry a token. */
  onEvent?: SecurityEventListener
}

/** The answer of `TokenManager.logout()`. */
export interface LogoutResult {
  /** Whether the server confirmed that it revoked the refresh token. */
  revoked: boolean
}

const LOGOUT_PATH = '/api/v1/auth/logout'

/**
 * Hands out valid access tokens for the AIM server named in the stored credentials, refreshing
 * them safely when several processes (Node) or tabs (browser) share one credential.
 *
 * How a token is obtained:
 * 1. a valid access token held in memory is returned at once;
 * 2. otherwise one refresh at a time: callers in this process share one attempt, and the attempt
 *    runs inside the storage's lock, which other processes or tabs respect;
 * 3. inside the lock the credentials are read again, and the `sharedAccessToken` another holder
 *    stored is reused when it belongs to the stored refresh token and is still valid;
 * 4. otherwise the refresh token is sent to `/api/v1/auth/refresh`, and the new refresh token,
 *    its id and the new access token are saved before anyone receives the access token;
 * 5. a refresh token the server refused is remembered (by hash) and never sent to refresh again;
 *    an SDK token gets one recovery attempt, then `ERR_SESSION_REVOKED`.
 *
 * @example
 * ```ts
 * const tokens = new TokenManager({ storage: new SecureCredentialStorage() })
 * const response = await tokens.fetch('/api/v1/agents')
 * ```
 *
 * > [!WARNING]
 * > If the server rotates the refresh token but its answer never arrives (connection lost after
 * > the server committed), the stored token is already dead and the next refresh gets the family
 * > revoked. No client can prevent this; recovery (`/auth/sdk/recover`) or a new sign-in fixes it.
 */
export class TokenManager {
  readonly #storage: CredentialStore
  readonly #fetch: typeof fetch
  readonly #now: () => number
  readonly #timeoutMs: number
  readonly #onEvent: SecurityEventListener | undefined
  readonly #renewal: TokenRenewal

  #held: HeldToken | undefined
  #flight: { promise: Promise<HeldToken>; forced: boolean } | undefined

  /**
   * @param options The storage, and optionally fetch, clock, skew, timeout and event listener.
   * @throws {TypeError} when `storage` is missing.
   * @throws {RangeError} for a negative skew or age, or a timeout that is not positive.
   */
  constructor(options: TokenManagerOptions) {
    if (!options?.storage) throw new TypeError('TokenManager needs a credential storage')

    const skew = options.refreshSkewSeconds ?? 60
    const maxAgeDays = options.maxRefreshTokenAgeDays ?? 30
    const timeoutMs = options.timeoutMs ?? 10_000
    if (!(skew >= 0)) throw new RangeError('refreshSkewSeconds must be 0 or more')
    if (!(maxAgeDays >= 0)) throw new RangeError('maxRefreshTokenAgeDays must be 0 or more')
    if (!(timeoutMs > 0)) throw new RangeError('timeoutMs must be more than 0')

    const chosenFetch = options.fetch
    // Called bare: browsers refuse a native fetch invoked with a foreign `this`.
    this.#fetch = chosenFetch
      ? (input, init) => chosenFetch(input, init)
      : (input, init) => fetch(input, init)
    this.#storage = options.storage
    this.#now = options.now ?? (() => Date.now() / 1000)
    this.#timeoutMs = timeoutMs
    this.#onEvent = options.onEvent
    this.#renewal = new TokenRenewal({
      storage: this.#storage,
      fetch: this.#fetch,
      now: this.#now,
      skewSeconds: skew,
      maxRefreshTokenAgeSeconds: maxAgeDays * 86_400,
      timeoutMs,
      emit: (type, detail) => this.#emit(type, detail),
    })
  }

  /**
   * Returns a valid access token, refreshing it when needed.
   *
   * @throws {TokenError} `ERR_NO_CREDENTIALS`, `ERR_INSECURE_URL`, `ERR_SESSION_REVOKED`,
   *   `ERR_NETWORK`, `ERR_TIMEOUT`, `ERR_SERVER`, `ERR_INVALID_RESPONSE`; storage errors pass
   *   through (e.g. `ERR_LOCK_TIMEOUT`, `ERR_KEYRING_LOCKED`).
   */
  async getAccessToken(): Promise<string> {
    return (await this.#currentToken()).accessToken
  }

  /**
   * Refreshes now, even if the access token held is still valid, and returns the new one.
   *
   * @throws {TokenError} the same codes as `getAccessToken()`.
   */
  async refresh(): Promise<string> {
    return (await this.#obtain({ forced: true })).accessToken
  }

  /**
   * Fetches from the AIM server with `Authorization: Bearer <access token>` and
   * `X-SDK-Token: <sdkTokenId>`. A path such as `/api/v1/agents` is resolved against `aimUrl`.
   * On a 401 answer it gets a new access token once and retries once.
   *
   * @param input A path, or a URL or request on the AIM server's origin.
   * @param init As for `fetch`.
   * @throws {TypeError} when the URL is on another origin (tokens go to the AIM server only).
   * @throws {TokenError} the codes of `getAccessToken()`; HTTP errors are returned, not thrown.
   */
  async fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const held = await this.#currentToken()

    const target =
      typeof input === 'string' && input.startsWith('/')
        ? serverEndpoint(held.server, input)
        : input
    const request = new Request(target, init)
    if (new URL(request.url).origin !== held.server.origin) {
      throw new TypeError(
        `TokenManager.fetch sends tokens only to the AIM server ${held.server.origin}`,
      )
    }
    const retry = request.clone()

    const first = await this.#fetch(this.#authorize(request, held))
    if (first.status !== 401) return first

    await first.body?.cancel()
    const renewed = await this.#obtain({ forced: false, rejected: held.accessToken })
    return this.#fetch(this.#authorize(retry, renewed))
  }

  /**
   * Revokes the refresh token on the server (when it can), then deletes the local credentials.
   * Local credentials are deleted even when the server cannot be reached.
   *
   * @returns `{ revoked: true }` when the server confirmed the revocation.
   * @throws storage errors only (e.g. `ERR_LOCK_TIMEOUT`); server failures give `revoked: false`.
   *
   * > [!WARNING]
   * > With `revoked: false` the refresh token may stay valid on the server until it expires.
   */
  async logout(): Promise<LogoutResult> {
    const result = await this.#storage.withLock(async () => {
      const stored = await this.#storage.loadCredentials()
      if (!stored) return { revoked: false }

      let revoked = false
      try {
        revoked = await this.#revokeOnServer(stored)
      } catch {
        // The user asked to sign out: the local copy goes whatever the server said, and
        // `revoked: false` tells the caller that the server was not told.
        revoked = false
      }

      await this.#storage.deleteCredentials()
      return { revoked }
    })

    this.#held = undefined
    this.#emit('session.logged_out', result.revoked ? 'revoked' : 'not revoked on the server')
    return result
  }

  async #revokeOnServer(stored: Credentials): Promise<boolean> {
    const fields = readSdkTokenFields(stored)
    const server = parseServerUrl(fields.aimUrl)
    const hash = await sha256Hex(fields.refreshToken)
    if (this.#renewal.isRefused(fields, hash)) return false

    const headers: Record<string, string> = {}
    const shared = fields.sharedAccessToken
    const access =
      this.#held?.accessToken ?? (shared?.refreshTokenSha256 === hash ? shared.token : undefined)
    if (access) headers.Authorization = `Bearer ${access}`

    const answer = await postJson(
      serverEndpoint(server, LOGOUT_PATH),
      { refreshToken: fields.refreshToken, refresh_token: fields.refreshToken },
      { fetch: this.#fetch, timeoutMs: this.#timeoutMs, headers },
    )
    const body = answer.body as { revoked?: { refreshToken?: unknown } } | undefined
    return answer.status === 200 && body?.revoked?.refreshToken === true
  }

  #authorize(request: Request, held: HeldToken): Request {
    request.headers.set('Authorization', `Bearer ${held.accessToken}`)
    if (held.sdkTokenId) request.headers.set('X-SDK-Token', held.sdkTokenId)
    return request
  }

  async #currentToken(): Promise<HeldToken> {
    const held = this.#held
    if (held && this.#renewal.isFresh(held.expiresAt)) return held
    return this.#obtain({ forced: false })
  }

  // Single flight: callers in this process join the attempt in progress when it gives them what
  // they need; only then does a new attempt (and a new turn at the storage lock) start.
  async #obtain(need: TokenNeed): Promise<HeldToken> {
    for (let flight = this.#flight; flight; flight = this.#flight) {
      if (need.forced && !flight.forced) {
        // Its failure is reported to its own callers; a forced caller tries afresh either way.
        await flight.promise.catch(() => undefined)
        continue
      }
      const held = await flight.promise
      if (held.accessToken !== need.rejected) return held
    }

    const flight = { promise: this.#attempt(need), forced: need.forced }
    this.#flight = flight

    // Registered before any joiner awaits, so joiners see the flight gone when they resume.
    const land = () => {
      if (this.#flight === flight) this.#flight = undefined
    }
    flight.promise.then(land, land)
    return flight.promise
  }

  async #attempt(need: TokenNeed): Promise<HeldToken> {
    const held = await this.#storage.withLock(() => this.#renewal.renew(need))
    this.#held = held
    return held
  }

  #emit(type: SecurityEventType, detail?: string): void {
    try {
      this.#onEvent?.({ type, time: new Date(this.#now() * 1000).toISOString(), detail })
    } catch {
      // Listeners must not break token handling; their failures are theirs to report.
    }
  }
}
