// The demo server's session routes: refresh (rotation, reuse detection, family revocation), SDK
// token recovery, logout and the audit-log listing, answering in either wire spelling.

import { randomUUID } from 'node:crypto'

import type { DemoUser, TokenAuthority } from './tokens.ts'
import type { ServerContext, ServerRequest, ServerResponse, AuditRecord } from './types.ts'

/** The counters tests read. */
export interface ServerStats {
  /** Successful refreshes (rotating or not). */
  refreshes: number
  /** Every request to `/auth/refresh`. */
  refreshAttempts: number
  /** Rotated-out refresh tokens presented again (each revoked a family). */
  reuseDetections: number
  /** Every request to `/auth/sdk/recover`. */
  recoverAttempts: number
  /** Successful recoveries. */
  recoveries: number
  logouts: number
}

/** Everything the session routes share. */
export interface SessionState {
  authority: TokenAuthority
  user: DemoUser
  spelling: 'camelCase' | 'snake_case'
  rotate: boolean
  stats: ServerStats
  auditLog: () => AuditRecord[]
}

const REVOKED = 'Token has been revoked or is invalid'

function fail(status: number, error: string): ServerResponse {
  return { status, body: { error } }
}

function bodyField(request: ServerRequest, names: string[]): unknown {
  let body: unknown
  try {
    body = request.json()
  } catch {
    // Not JSON: the route answers 400 like the real server.
    return undefined
  }
  if (typeof body !== 'object' || body === null) return undefined
  const record = body as Record<string, unknown>
  return names.map((name) => record[name]).find((value) => value !== undefined)
}

async function grantBody(
  state: SessionState,
  sid: string,
  refreshToken: string,
  rotated: boolean,
): Promise<Record<string, unknown>> {
  const accessToken = await state.authority.mintAccessToken(state.user, sid)
  const expiresIn = state.authority.accessTokenTtlSeconds
  if (state.spelling === 'snake_case') {
    return {
      access_token: accessToken,
      refresh_token: refreshToken,
      token_type: 'Bearer',
      expires_in: expiresIn,
    }
  }
  return { accessToken, refreshToken, tokenType: 'Bearer', expiresIn, rotated }
}

/** `POST /api/v1/auth/refresh`: rotates, or revokes the family when a rotated token returns. */
export async function refresh(
  request: ServerRequest,
  state: SessionState,
  context: ServerContext,
): Promise<ServerResponse> {
  state.stats.refreshAttempts += 1
  const name = state.spelling === 'snake_case' ? 'refresh_token' : 'refreshToken'
  const presented = bodyField(request, [name])
  if (typeof presented !== 'string' || presented === '') return fail(400, `${name} is required`)

  const claims = await state.authority.verify(presented, ['refresh', 'sdk'])
  const record = state.authority.record(claims?.jti)
  context.audit({ action: 'token.refresh_attempt', detail: `jti=${String(claims?.jti)}` })
  if (!claims || !record) return fail(401, 'Invalid or expired refresh token')

  if (record.state === 'rotated') {
    state.authority.revokeFamily(record.sid)
    state.stats.reuseDetections += 1
    context.audit({
      action: 'token.reuse_detected',
      actor: claims.sub,
      detail: `sid=${record.sid}`,
    })
    return fail(401, REVOKED)
  }
  if (record.state !== 'active' || state.authority.isFamilyRevoked(record.sid)) {
    return fail(401, REVOKED)
  }

  let refreshToken = presented
  if (state.rotate) {
    record.state = 'rotated'
    refreshToken = (await state.authority.mintRefreshToken(state.user, record.sid, record.typ))
      .token
  }
  state.stats.refreshes += 1
  context.audit({ action: 'token.refreshed', actor: claims.sub, detail: `jti=${record.jti}` })
  return { status: 200, body: await grantBody(state, record.sid, refreshToken, state.rotate) }
}

/** `POST /api/v1/auth/sdk/recover`: a new SDK token for a revoked (not deleted) one. */
export async function recover(
  request: ServerRequest,
  state: SessionState,
  context: ServerContext,
): Promise<ServerResponse> {
  state.stats.recoverAttempts += 1
  const presented = bodyField(request, ['oldRefreshToken', 'old_refresh_token'])
  if (typeof presented !== 'string' || presented === '') {
    return fail(400, 'oldRefreshToken is required')
  }

  const claims = await state.authority.verify(presented, ['sdk'])
  const record = state.authority.record(claims?.jti)
  context.audit({ action: 'token.recover_attempt', detail: `jti=${String(claims?.jti)}` })
  if (!claims) return fail(401, 'Invalid or expired refresh token')
  if (!record || record.state === 'deleted' || record.state === 'recovered') {
    return fail(404, 'SDK token not found')
  }
  if (record.state === 'active' && !state.authority.isFamilyRevoked(record.sid)) {
    return fail(400, 'Token is still valid - use /auth/refresh instead')
  }

  record.state = 'recovered'
  const sid = randomUUID()
  const minted = await state.authority.mintRefreshToken(state.user, sid, 'sdk')
  state.stats.recoveries += 1
  context.audit({ action: 'token.recovered', actor: claims.sub, detail: `jti=${record.jti}` })
  const body = await grantBody(state, sid, minted.token, true)
  return { status: 200, body: { ...body, message: 'SDK token recovered' } }
}

/** `POST /api/v1/auth/logout`: revokes the refresh token's family. */
export async function logout(
  request: ServerRequest,
  state: SessionState,
  context: ServerContext,
): Promise<ServerResponse> {
  const presented = bodyField(request, ['refreshToken', 'refresh_token'])
  const claims =
    typeof presented === 'string'
      ? await state.authority.verify(presented, ['refresh', 'sdk'])
      : undefined
  const record = state.authority.record(claims?.jti)
  if (!record || record.state !== 'active' || state.authority.isFamilyRevoked(record.sid)) {
    return { status: 200, body: { revoked: { refreshToken: false } } }
  }

  state.authority.revokeFamily(record.sid)
  state.stats.logouts += 1
  context.audit({ action: 'session.logout', actor: claims?.sub, detail: `jti=${record.jti}` })
  return { status: 200, body: { revoked: { refreshToken: true } } }
}

/** `GET /api/v1/audit-logs`: the audit rows, for a valid access token or API key. */
export async function listAuditLogs(
  request: ServerRequest,
  state: SessionState,
  context: ServerContext,
): Promise<ServerResponse> {
  const apiKey = request.headers['x-api-key'] ?? request.headers['x-aim-api-key']
  const allowed =
    (apiKey !== undefined && context.apiKeys.has(apiKey)) ||
    (await context.verifyAccessToken(request.headers.authorization)) !== undefined
  if (!allowed) return fail(401, 'Authentication required')

  return { status: 200, body: { logs: state.auditLog() } }
}
