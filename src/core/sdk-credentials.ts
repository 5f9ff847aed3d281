// Reads and updates the token fields of stored SDK credentials in the spelling the file already
// uses (camelCase, or the 2025 snake_case), keeping every other field as it was.

import { TokenError } from './errors.ts'
import type { Credentials } from './storage.ts'

/** The two spellings of SDK credentials files. */
export type CredentialsSpelling = 'camelCase' | 'snake_case'

/** The access token another process stored, bound to the refresh token it came with. */
export interface SharedAccessToken {
  token: string
  refreshTokenSha256: string
}

/** The token fields of stored SDK credentials, whatever their spelling. */
export interface SdkTokenFields {
  spelling: CredentialsSpelling
  aimUrl: unknown
  refreshToken: string
  sdkTokenId: string | undefined
  sharedAccessToken: SharedAccessToken | undefined
  /** Hex SHA-256 of refresh tokens the server refused: never presented to refresh again. */
  refusedRefreshTokens: string[]
  /** Hex SHA-256 of refused refresh tokens whose recovery failed too. */
  unrecoverableRefreshTokens: string[]
}

/** What a successful refresh or recovery changes. */
export interface RotationUpdate {
  refreshToken: string
  sdkTokenId: string
  accessToken: string
  refreshTokenSha256: string
}

const FIELD_NAMES = {
  camelCase: {
    aimUrl: 'aimUrl',
    refreshToken: 'refreshToken',
    sdkTokenId: 'sdkTokenId',
    accessToken: 'accessToken',
    sharedAccessToken: 'sharedAccessToken',
    sharedHash: 'refreshTokenSha256',
    refused: 'revokedRefreshTokenSha256',
    unrecoverable: 'unrecoverableRefreshTokenSha256',
  },
  snake_case: {
    aimUrl: 'aim_url',
    refreshToken: 'refresh_token',
    sdkTokenId: 'sdk_token_id',
    accessToken: 'access_token',
    sharedAccessToken: 'shared_access_token',
    sharedHash: 'refresh_token_sha256',
    refused: 'revoked_refresh_token_sha256',
    unrecoverable: 'unrecoverable_refresh_token_sha256',
  },
} as const

type FieldName = keyof (typeof FIELD_NAMES)['camelCase']

// How many refused-token hashes are kept: enough for every token a machine could still hold.
const MAX_REMEMBERED_HASHES = 8

function field(stored: Credentials, spelling: CredentialsSpelling, name: FieldName): unknown {
  const other: CredentialsSpelling = spelling === 'camelCase' ? 'snake_case' : 'camelCase'
  return stored[FIELD_NAMES[spelling][name]] ?? stored[FIELD_NAMES[other][name]]
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item) => typeof item === 'string') : []
}

function readShared(value: unknown, spelling: CredentialsSpelling): SharedAccessToken | undefined {
  if (typeof value !== 'object' || value === null) return undefined

  const record = value as Record<string, unknown>
  const token = record.token
  const hash = record[FIELD_NAMES[spelling].sharedHash] ?? record.refreshTokenSha256
  if (typeof token !== 'string' || typeof hash !== 'string') return undefined
  return { token, refreshTokenSha256: hash }
}

/**
 * Reads the token fields of stored credentials.
 *
 * @param stored Credentials as loaded from storage.
 * @throws {TokenError} `ERR_NO_CREDENTIALS` when they hold no refresh token.
 */
export function readSdkTokenFields(stored: Credentials): SdkTokenFields {
  const spelling: CredentialsSpelling =
    'refresh_token' in stored && !('refreshToken' in stored) ? 'snake_case' : 'camelCase'

  const refreshToken = field(stored, spelling, 'refreshToken')
  if (typeof refreshToken !== 'string' || refreshToken === '') {
    throw new TokenError(
      'ERR_NO_CREDENTIALS',
      'The stored credentials hold no refresh token; save SDK credentials downloaded from the ' +
        'AIM dashboard first',
    )
  }

  const sdkTokenId = field(stored, spelling, 'sdkTokenId')
  return {
    spelling,
    aimUrl: field(stored, spelling, 'aimUrl'),
    refreshToken,
    sdkTokenId: typeof sdkTokenId === 'string' ? sdkTokenId : undefined,
    sharedAccessToken: readShared(field(stored, spelling, 'sharedAccessToken'), spelling),
    refusedRefreshTokens: stringList(field(stored, spelling, 'refused')),
    unrecoverableRefreshTokens: stringList(field(stored, spelling, 'unrecoverable')),
  }
}

/**
 * Returns a copy of `stored` holding a new refresh token, its id and the shared access token,
 * in the file's spelling. `accessToken` is updated only where the file already has one.
 */
export function withRotation(
  stored: Credentials,
  spelling: CredentialsSpelling,
  update: RotationUpdate,
): Credentials {
  const names = FIELD_NAMES[spelling]
  const next: Credentials = { ...stored }

  next[names.refreshToken] = update.refreshToken
  next[names.sdkTokenId] = update.sdkTokenId
  next[names.sharedAccessToken] = {
    token: update.accessToken,
    [names.sharedHash]: update.refreshTokenSha256,
  }
  if (names.accessToken in stored) next[names.accessToken] = update.accessToken

  return next
}

/**
 * Returns a copy of `stored` that remembers a refused refresh token (by hash), and whether its
 * recovery failed as well. The shared access token bound to it is dropped.
 */
export function withRefusedToken(
  stored: Credentials,
  spelling: CredentialsSpelling,
  refreshTokenSha256: string,
  unrecoverable: boolean,
): Credentials {
  const names = FIELD_NAMES[spelling]
  const fields = readSdkTokenFields(stored)
  const next: Credentials = { ...stored }

  const remember = (list: string[]) =>
    [...list.filter((hash) => hash !== refreshTokenSha256), refreshTokenSha256].slice(
      -MAX_REMEMBERED_HASHES,
    )
  next[names.refused] = remember(fields.refusedRefreshTokens)
  if (unrecoverable) next[names.unrecoverable] = remember(fields.unrecoverableRefreshTokens)
  delete next[names.sharedAccessToken]

  return next
}
