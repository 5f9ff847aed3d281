// The errors this library raises. Every failure a caller can act on is an `AimCredentialsError`
// with a stable `code`; caller mistakes (a wrong argument type, an out-of-range number) are plain
// `TypeError` and `RangeError`. Messages say what to do next and never contain a secret.

/** Every stable error code, grouped by the part of the library that raises it. */
export type ErrorCode =
  // Fernet
  | 'ERR_FERNET_INVALID_TOKEN'
  | 'ERR_FERNET_INVALID_KEY'
  // The encryption key's home: the OS keyring, the environment, IndexedDB
  | 'ERR_KEYRING_UNAVAILABLE'
  | 'ERR_KEYRING_LOCKED'
  | 'ERR_KEYRING_TIMEOUT'
  | 'ERR_KEYRING_BINDING_MISSING'
  | 'ERR_KEYRING_CONFLICT'
  | 'ERR_KEYRING_FAILED'
  | 'ERR_KEY_LOST'
  // Stored credentials
  | 'ERR_KEY_MISMATCH'
  | 'ERR_CREDENTIALS_CORRUPT'
  | 'ERR_INSECURE_PERMISSIONS'
  | 'ERR_SYMLINK_REFUSED'
  | 'ERR_LOCK_TIMEOUT'
  | 'ERR_STORAGE_FAILED'
  | 'ERR_STORAGE_UNAVAILABLE'
  | 'ERR_STORAGE_TIMEOUT'
  | 'ERR_MIGRATION_FAILED'
  // Talking to the AIM server
  | 'ERR_NO_CREDENTIALS'
  | 'ERR_INSECURE_URL'
  | 'ERR_SESSION_REVOKED'
  | 'ERR_NETWORK'
  | 'ERR_TIMEOUT'
  | 'ERR_SERVER'
  | 'ERR_INVALID_RESPONSE'
  // Agent identity
  | 'ERR_INVALID_AGENT_KEY'
  | 'ERR_UNSERIALIZABLE_ACTION'

/** Options shared by every error constructor. */
export interface ErrorOptions {
  /** The underlying failure, kept for debugging. It must not carry a secret either. */
  cause?: unknown
}

/**
 * The base class of every error with a stable code.
 *
 * @example
 * ```ts
 * try {
 *   await storage.loadCredentials()
 * } catch (error) {
 *   if (error instanceof AimCredentialsError && error.code === 'ERR_KEYRING_LOCKED') {
 *     // ask the user to unlock their keyring
 *   }
 * }
 * ```
 */
export class AimCredentialsError extends Error {
  /** A stable identifier for the failure, safe to branch on. */
  readonly code: ErrorCode

  constructor(code: ErrorCode, message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = new.target.name
    this.code = code
  }
}

const INVALID_TOKEN_MESSAGE =
  'The Fernet token is invalid: it is malformed, expired, or was not made with this key'

/**
 * A Fernet token could not be decrypted or verified.
 *
 * The message and code are the same whatever failed (format, base64, version, time, MAC or
 * padding), so that an attacker learns nothing from which check rejected a token.
 */
export class FernetInvalidTokenError extends AimCredentialsError {
  declare readonly code: 'ERR_FERNET_INVALID_TOKEN'

  constructor() {
    super('ERR_FERNET_INVALID_TOKEN', INVALID_TOKEN_MESSAGE)
  }
}

/** A Fernet key is not 32 bytes of URL-safe base64 (44 characters with padding). */
export class FernetInvalidKeyError extends AimCredentialsError {
  declare readonly code: 'ERR_FERNET_INVALID_KEY'

  constructor(source = 'The Fernet key', options?: ErrorOptions) {
    super(
      'ERR_FERNET_INVALID_KEY',
      `${source} is not a Fernet key: expected 32 bytes of URL-safe base64 ` +
        '(44 characters ending in "="), as Fernet.generateKey() makes',
      options,
    )
  }
}

/** The codes a conversation with the AIM server can end in. */
export type TokenErrorCode =
  | 'ERR_NO_CREDENTIALS'
  | 'ERR_INSECURE_URL'
  | 'ERR_SESSION_REVOKED'
  | 'ERR_NETWORK'
  | 'ERR_TIMEOUT'
  | 'ERR_SERVER'
  | 'ERR_INVALID_RESPONSE'

/**
 * Getting, refreshing or revoking a token failed. Stored credentials are unchanged, except that a
 * refresh token the server refused is remembered so that it is never presented again.
 */
export class TokenError extends AimCredentialsError {
  declare readonly code: TokenErrorCode
  /** The HTTP status of the server's answer, when there was one. */
  readonly status: number | undefined

  constructor(code: TokenErrorCode, message: string, options?: ErrorOptions & { status?: number }) {
    super(code, message, options)
    this.status = options?.status
  }
}

/**
 * The server refused the refresh token and could not recover it: the user must sign in again
 * (download fresh SDK credentials from the AIM dashboard, or log in again).
 */
export class SessionRevokedError extends TokenError {
  declare readonly code: 'ERR_SESSION_REVOKED'

  constructor(reason: string, options?: ErrorOptions & { status?: number }) {
    super(
      'ERR_SESSION_REVOKED',
      `${reason}. Sign in again: download new SDK credentials from the AIM dashboard ` +
        '(Settings → SDK) or log in again, then save them to this storage',
      options,
    )
  }
}
