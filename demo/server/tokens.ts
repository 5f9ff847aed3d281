// The demo server's token authority: mints and verifies HS256 JWTs with `jose`, and remembers
// every refresh token it issued so that rotation, reuse detection and family revocation work
// the way AIM-API.md describes.

import { randomUUID } from 'node:crypto'

import { SignJWT, jwtVerify, type JWTPayload } from 'jose'

/** The user every token of the demo server belongs to. */
export interface DemoUser {
  id: string
  email: string
  organizationId: string
  role: string
}

/** What happened to a refresh token since it was issued. */
export type RefreshTokenState = 'active' | 'rotated' | 'revoked' | 'deleted' | 'recovered'

/** The server's record of one refresh token. */
export interface RefreshTokenRecord {
  jti: string
  sid: string
  typ: 'refresh' | 'sdk'
  state: RefreshTokenState
}

/** Lifetimes and clock of a `TokenAuthority`. */
export interface TokenAuthorityOptions {
  secret: Uint8Array
  issuer: string
  accessTokenTtlSeconds: number
  refreshTokenTtlSeconds: number
  sdkTokenTtlSeconds: number
  now: () => number
}

/** A newly minted refresh token and its id. */
export interface MintedRefreshToken {
  token: string
  jti: string
}

/** Mints, verifies and tracks the tokens of the demo server. */
export class TokenAuthority {
  readonly #options: TokenAuthorityOptions
  readonly #records = new Map<string, RefreshTokenRecord>()
  readonly #revokedFamilies = new Set<string>()

  constructor(options: TokenAuthorityOptions) {
    this.#options = options
  }

  /** Mints an access token of family `sid`. */
  async mintAccessToken(user: DemoUser, sid: string): Promise<string> {
    return this.#sign(user, sid, 'access', randomUUID(), this.#options.accessTokenTtlSeconds)
  }

  /** Mints a refresh token of family `sid` and records it as active. */
  async mintRefreshToken(
    user: DemoUser,
    sid: string,
    typ: 'refresh' | 'sdk',
  ): Promise<MintedRefreshToken> {
    const jti = randomUUID()
    const lifetime =
      typ === 'sdk' ? this.#options.sdkTokenTtlSeconds : this.#options.refreshTokenTtlSeconds
    const token = await this.#sign(user, sid, typ, jti, lifetime)

    this.#records.set(jti, { jti, sid, typ, state: 'active' })
    return { token, jti }
  }

  /** The access-token lifetime, for `expiresIn`. */
  get accessTokenTtlSeconds(): number {
    return this.#options.accessTokenTtlSeconds
  }

  /** Verifies a token's signature, issuer, expiry and `typ`; resolves its claims or undefined. */
  async verify(token: string, types: string[]): Promise<JWTPayload | undefined> {
    try {
      const { payload } = await jwtVerify(token, this.#options.secret, {
        algorithms: ['HS256'],
        issuer: this.#options.issuer,
        currentDate: new Date(this.#options.now() * 1000),
      })
      return typeof payload.typ === 'string' && types.includes(payload.typ) ? payload : undefined
    } catch {
      // Any verification failure means "not a valid token" to the routes.
      return undefined
    }
  }

  /** The record of a refresh token, by `jti`. */
  record(jti: unknown): RefreshTokenRecord | undefined {
    return typeof jti === 'string' ? this.#records.get(jti) : undefined
  }

  /** Whether the sign-in family `sid` was revoked. */
  isFamilyRevoked(sid: unknown): boolean {
    return typeof sid === 'string' && this.#revokedFamilies.has(sid)
  }

  /** Revokes a whole sign-in family: every refresh and access token of `sid` stops working. */
  revokeFamily(sid: string): void {
    this.#revokedFamilies.add(sid)
    for (const record of this.#records.values()) {
      if (record.sid === sid && record.state === 'active') record.state = 'revoked'
    }
  }

  async #sign(
    user: DemoUser,
    sid: string,
    typ: string,
    jti: string,
    lifetimeSeconds: number,
  ): Promise<string> {
    const now = Math.floor(this.#options.now())
    return new SignJWT({
      sid,
      typ,
      user_id: user.id,
      organization_id: user.organizationId,
      email: user.email,
      role: user.role,
    })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(user.id)
      .setJti(jti)
      .setIssuer(this.#options.issuer)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + lifetimeSeconds)
      .sign(this.#options.secret)
  }
}
