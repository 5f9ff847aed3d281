// Checks the AIM server's answer to a refresh or a recovery, in either spelling, and turns it
// into the few values the token manager stores. Anything unexpected is ERR_INVALID_RESPONSE.

import { decodeJwt } from 'jose/jwt/decode'

import { TokenError } from './errors.ts'

/** What a successful refresh or recovery gives. */
export interface TokenGrant {
  accessToken: string
  /** Unix seconds at which the access token expires. */
  accessTokenExpiresAt: number
  refreshToken: string
  /** The `jti` of the refresh token: the `X-SDK-Token` header and `sdkTokenId`. */
  refreshTokenId: string
  /** Whether the server issued a new refresh token. */
  rotated: boolean
}

function invalid(endpoint: string, what: string): TokenError {
  return new TokenError(
    'ERR_INVALID_RESPONSE',
    `The AIM server's answer to ${endpoint} is not a valid token response (${what}); ` +
      'check that aimUrl points to an AIM server',
    { status: 200 },
  )
}

function pick(body: Record<string, unknown>, camel: string, snake: string): unknown {
  return body[camel] ?? body[snake]
}

function claimsOf(token: string): Record<string, unknown> | undefined {
  try {
    return decodeJwt(token)
  } catch {
    // Not a JWT: the caller reports which token was malformed, without quoting it.
    return undefined
  }
}

/**
 * Validates a 200 answer of `/auth/refresh` or `/auth/sdk/recover`.
 *
 * @param body The parsed JSON body.
 * @param presentedRefreshToken The refresh token that was sent; kept when the server answers
 *   `rotated: false` without a new one.
 * @param endpoint The path, for error messages.
 * @param now The current Unix time in seconds, for `expiresIn`.
 * @throws {TokenError} `ERR_INVALID_RESPONSE` for a missing field, a wrong type, a token that is
 *   not a JWT, a refresh token without `jti`, or an access token that is already expired.
 */
export function parseTokenGrant(
  body: unknown,
  presentedRefreshToken: string,
  endpoint: string,
  now: number,
): TokenGrant {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalid(endpoint, 'not a JSON object')
  }
  const record = body as Record<string, unknown>

  const accessToken = pick(record, 'accessToken', 'access_token')
  if (typeof accessToken !== 'string') throw invalid(endpoint, 'no access token')
  const accessClaims = claimsOf(accessToken)
  if (!accessClaims) throw invalid(endpoint, 'the access token is not a JWT')

  const tokenType = pick(record, 'tokenType', 'token_type')
  if (tokenType !== undefined && (typeof tokenType !== 'string' || !/^bearer$/i.test(tokenType))) {
    throw invalid(endpoint, 'the token type is not Bearer')
  }

  const rotatedFlag = record.rotated
  if (rotatedFlag !== undefined && typeof rotatedFlag !== 'boolean') {
    throw invalid(endpoint, '"rotated" is not a boolean')
  }

  const expiresIn = pick(record, 'expiresIn', 'expires_in')
  const exp = accessClaims.exp
  let accessTokenExpiresAt: number
  if (typeof exp === 'number' && Number.isFinite(exp)) accessTokenExpiresAt = exp
  else if (typeof expiresIn === 'number' && expiresIn > 0) accessTokenExpiresAt = now + expiresIn
  else throw invalid(endpoint, 'the access token has no expiry')
  if (accessTokenExpiresAt <= now) throw invalid(endpoint, 'the access token is already expired')

  let refreshToken = pick(record, 'refreshToken', 'refresh_token')
  if (refreshToken === undefined && rotatedFlag === false) refreshToken = presentedRefreshToken
  if (typeof refreshToken !== 'string') throw invalid(endpoint, 'no refresh token')
  const refreshTokenId = claimsOf(refreshToken)?.jti
  if (typeof refreshTokenId !== 'string' || refreshTokenId === '') {
    throw invalid(endpoint, 'the refresh token is not a JWT with a jti')
  }

  return {
    accessToken,
    accessTokenExpiresAt,
    refreshToken,
    refreshTokenId,
    rotated: refreshToken !== presentedRefreshToken,
  }
}
