// The refresh algorithm that runs inside the storage's lock: read the stored credentials again,
// reuse another holder's shared access token, or refresh (and, for a refused SDK token, recover
// once), saving every rotation before the new access token is handed to anyone.

import { decodeJwt } from 'jose/jwt/decode'

import { postJson, type JsonAnswer } from './aim-request.ts'
import { SessionRevokedError, TokenError } from './errors.ts'
import {
  readSdkTokenFields,
  withRefusedToken,
  withRotation,
  type SdkTokenFields,
} from './sdk-credentials.ts'
import { parseServerUrl, serverEndpoint } from './server-url.ts'
import { sha256Hex } from './sha256.ts'
import type { CredentialStore, Credentials, SecurityEventType } from './storage.ts'
import { parseTokenGrant, type TokenGrant } from './token-response.ts'

/** An access token a process holds, with what is needed to use it. */
export interface HeldToken {
  accessToken: string
  /** Unix seconds. */
  expiresAt: number
  sdkTokenId: string | undefined
  server: URL
}

/** What a caller needs from the next token. */
export interface TokenNeed {
  /** Ask the server even when a stored access token is still valid. */
  forced: boolean
  /** An access token the server just refused: do not hand it out again. */
  rejected?: string
}

/** What the renewal needs from its token manager. */
export interface RenewalSettings {
  storage: CredentialStore
  fetch: typeof fetch
  now: () => number
  skewSeconds: number
  maxRefreshTokenAgeSeconds: number
  timeoutMs: number
  emit: (type: SecurityEventType, detail?: string) => void
}

/** What is known inside the lock about the stored credentials. */
interface LockedState {
  credentials: Credentials
  fields: SdkTokenFields
  server: URL
  refreshTokenSha256: string
}

const REFRESH_PATH = '/api/v1/auth/refresh'
const RECOVER_PATH = '/api/v1/auth/sdk/recover'

function claimsOf(token: string): Record<string, unknown> | undefined {
  try {
    return decodeJwt(token)
  } catch {
    // A stored token that is not a JWT is simply not usable; the server decides about it.
    return undefined
  }
}

function numericClaim(token: string, name: 'exp' | 'iat'): number | undefined {
  const value = claimsOf(token)?.[name]
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined
}

function serverError(status: number, endpoint: string): TokenError {
  return new TokenError(
    'ERR_SERVER',
    `The AIM server answered ${endpoint} with HTTP ${status}; try again later`,
    { status },
  )
}

/**
 * The token manager's work under the lock, and what it remembers between turns: refused refresh
 * tokens (also kept in storage; this copy covers a failed save) and a rotation whose save failed.
 */
export class TokenRenewal {
  readonly #settings: RenewalSettings
  readonly #refusedHere = new Set<string>()
  readonly #unrecoverableHere = new Set<string>()
  // A rotation the server made but the storage failed to save, keyed by the replaced token.
  #unsavedRotation: { replacedSha256: string; credentials: Credentials } | undefined

  constructor(settings: RenewalSettings) {
    this.#settings = settings
  }

  /** Whether an access token expiring at `expiresAt` (Unix seconds) is still worth using. */
  isFresh(expiresAt: number): boolean {
    return expiresAt - this.#settings.skewSeconds > this.#settings.now()
  }

  /** Whether the refresh token with this hash was refused by the server. */
  isRefused(fields: SdkTokenFields, refreshTokenSha256: string): boolean {
    return (
      fields.refusedRefreshTokens.includes(refreshTokenSha256) ||
      this.#refusedHere.has(refreshTokenSha256)
    )
  }

  /**
   * Gives the token `need` asks for. Call it only while holding the storage's lock.
   *
   * @throws {TokenError} every code of `TokenManager.getAccessToken()`; storage errors pass.
   */
  async renew(need: TokenNeed): Promise<HeldToken> {
    const state = await this.#readLockedState()
    const { fields, refreshTokenSha256 } = state

    if (this.isRefused(fields, refreshTokenSha256)) return this.#recover(state)

    const shared = fields.sharedAccessToken
    if (
      !need.forced &&
      shared?.refreshTokenSha256 === refreshTokenSha256 &&
      shared.token !== need.rejected
    ) {
      const expiresAt = numericClaim(shared.token, 'exp')
      if (expiresAt !== undefined && this.isFresh(expiresAt) && !this.#isOld(fields.refreshToken)) {
        this.#settings.emit('token.reused_shared')
        return {
          accessToken: shared.token,
          expiresAt,
          sdkTokenId: fields.sdkTokenId,
          server: state.server,
        }
      }
    }

    return this.#refreshWithServer(state)
  }

  async #readLockedState(): Promise<LockedState> {
    let credentials = await this.#settings.storage.loadCredentials()
    if (!credentials) {
      throw new TokenError(
        'ERR_NO_CREDENTIALS',
        'No AIM credentials are stored; save SDK credentials downloaded from the AIM dashboard',
      )
    }
    let refreshTokenSha256 = await sha256Hex(readSdkTokenFields(credentials).refreshToken)

    // The server rotated for this process earlier but saving failed: the stored token is dead.
    const unsaved = this.#unsavedRotation
    if (unsaved?.replacedSha256 === refreshTokenSha256) {
      await this.#settings.storage.saveCredentials(unsaved.credentials)
      credentials = unsaved.credentials
      refreshTokenSha256 = await sha256Hex(readSdkTokenFields(credentials).refreshToken)
    }
    this.#unsavedRotation = undefined

    const fields = readSdkTokenFields(credentials)
    return { credentials, fields, server: parseServerUrl(fields.aimUrl), refreshTokenSha256 }
  }

  #isOld(refreshToken: string): boolean {
    const issuedAt = numericClaim(refreshToken, 'iat')
    return (
      issuedAt !== undefined &&
      this.#settings.now() - issuedAt > this.#settings.maxRefreshTokenAgeSeconds
    )
  }

  async #refreshWithServer(state: LockedState): Promise<HeldToken> {
    const token = state.fields.refreshToken
    // Both spellings: the current server reads `refreshToken`, the 2025 one `refresh_token`,
    // and each ignores the field it does not know.
    const answer = await this.#post(state.server, REFRESH_PATH, {
      refreshToken: token,
      refresh_token: token,
    })

    if (answer.status === 401) {
      this.#refusedHere.add(state.refreshTokenSha256)
      this.#settings.emit('token.revoked', 'refresh token refused (HTTP 401)')
      const marked = withRefusedToken(
        state.credentials,
        state.fields.spelling,
        state.refreshTokenSha256,
        false,
      )
      await this.#settings.storage.saveCredentials(marked)
      return this.#recover({ ...state, credentials: marked, fields: readSdkTokenFields(marked) })
    }

    const grant = this.#grantFrom(answer, token, REFRESH_PATH)
    return this.#store(state, grant, 'token.refreshed')
  }

  // One recovery per refused SDK token; every other refused token ends the session.
  async #recover(state: LockedState): Promise<HeldToken> {
    const { fields, refreshTokenSha256 } = state
    const recoverable =
      claimsOf(fields.refreshToken)?.typ === 'sdk' &&
      !fields.unrecoverableRefreshTokens.includes(refreshTokenSha256) &&
      !this.#unrecoverableHere.has(refreshTokenSha256)
    if (!recoverable) {
      this.#settings.emit('token.refresh_failed', 'ERR_SESSION_REVOKED')
      throw new SessionRevokedError('The AIM server refused the stored refresh token')
    }

    const token = fields.refreshToken
    const answer = await this.#post(state.server, RECOVER_PATH, {
      oldRefreshToken: token,
      old_refresh_token: token,
    })

    if (answer.status >= 400 && answer.status < 500) {
      this.#unrecoverableHere.add(refreshTokenSha256)
      const marked = withRefusedToken(state.credentials, fields.spelling, refreshTokenSha256, true)
      await this.#settings.storage.saveCredentials(marked)
      this.#settings.emit('token.refresh_failed', 'ERR_SESSION_REVOKED')
      throw new SessionRevokedError(
        `The AIM server refused the stored refresh token and its recovery (HTTP ${answer.status})`,
        { status: answer.status },
      )
    }

    const grant = this.#grantFrom(answer, token, RECOVER_PATH)
    return this.#store(state, grant, 'token.recovered')
  }

  async #post(server: URL, path: string, body: unknown): Promise<JsonAnswer> {
    try {
      return await postJson(serverEndpoint(server, path), body, {
        fetch: this.#settings.fetch,
        timeoutMs: this.#settings.timeoutMs,
      })
    } catch (error) {
      this.#settings.emit(
        'token.refresh_failed',
        error instanceof TokenError ? error.code : 'ERR_NETWORK',
      )
      throw error
    }
  }

  #grantFrom(answer: JsonAnswer, presented: string, path: string): TokenGrant {
    try {
      if (answer.status < 200 || answer.status > 299) throw serverError(answer.status, path)
      return parseTokenGrant(answer.body, presented, path, this.#settings.now())
    } catch (error) {
      this.#settings.emit(
        'token.refresh_failed',
        error instanceof TokenError ? error.code : 'ERR_SERVER',
      )
      throw error
    }
  }

  // Saves before handing out: an access token is never used while its refresh token is unsaved.
  async #store(
    state: LockedState,
    grant: TokenGrant,
    event: 'token.refreshed' | 'token.recovered',
  ): Promise<HeldToken> {
    const next = withRotation(state.credentials, state.fields.spelling, {
      refreshToken: grant.refreshToken,
      sdkTokenId: grant.refreshTokenId,
      accessToken: grant.accessToken,
      refreshTokenSha256: await sha256Hex(grant.refreshToken),
    })

    try {
      await this.#settings.storage.saveCredentials(next)
    } catch (error) {
      if (grant.rotated) {
        this.#unsavedRotation = { replacedSha256: state.refreshTokenSha256, credentials: next }
      }
      throw error
    }

    this.#settings.emit(event, grant.rotated ? 'rotated' : 'not rotated')
    return {
      accessToken: grant.accessToken,
      expiresAt: grant.accessTokenExpiresAt,
      sdkTokenId: grant.refreshTokenId,
      server: state.server,
    }
  }
}
