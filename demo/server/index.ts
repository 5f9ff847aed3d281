// A small AIM-compatible server on 127.0.0.1 for the tests and the demo: the session routes of
// `auth-routes.ts`, the agent routes of `agents.ts`, an audit log, and counters tests read.

import { randomBytes, randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse as NodeResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

import { handleAgentRoute } from './agents.ts'
import {
  listAuditLogs,
  logout,
  recover,
  refresh,
  type ServerStats,
  type SessionState,
} from './auth-routes.ts'
import { TokenAuthority, type DemoUser } from './tokens.ts'
import type {
  AuditEntry,
  AuditRecord,
  ServerContext,
  ServerRequest,
  ServerResponse,
} from './types.ts'

export type { ServerStats } from './auth-routes.ts'

/** How the demo server behaves. */
export interface AimServerOptions {
  /** Port on 127.0.0.1; default 0 (any free port). */
  port?: number
  /** Access-token lifetime in seconds; default 7200. Tests use a few seconds. */
  accessTokenTtlSeconds?: number
  /** Refresh-token lifetime in seconds; default 7 days. */
  refreshTokenTtlSeconds?: number
  /** SDK refresh-token lifetime in seconds; default 90 days. */
  sdkTokenTtlSeconds?: number
  /** `false` imitates a server without its revocation store: `rotated: false`, same token. */
  rotate?: boolean
  /** `snake_case` imitates the 2025 server's bodies; default `camelCase`. */
  spelling?: 'camelCase' | 'snake_case'
  /** API keys accepted in `X-AIM-API-Key` / `X-API-Key`; default one random key. */
  apiKeys?: string[]
  /** Milliseconds to wait before answering a refresh, to widen race windows in tests. */
  refreshDelayMs?: number
}

/** What `issueSdkCredentials` writes: the file a user downloads from the dashboard. */
export interface IssueOptions {
  spelling?: 'camelCase' | 'snake_case'
  /** `sdk` (default, 90 days, recoverable) or `refresh` (an interactive sign-in). */
  typ?: 'sdk' | 'refresh'
}

/** A running demo server. */
export interface AimServer {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  url: string
  /** The accepted API keys. */
  apiKeys: string[]
  close(): Promise<void>
  /** A copy of the counters. */
  stats(): ServerStats
  /** Mints fresh SDK credentials (a new sign-in family) as the dashboard would. */
  issueSdkCredentials(options?: IssueOptions): Promise<Record<string, unknown>>
  /** Revokes the family of the refresh token with this `jti` (as an administrator would). */
  revokeToken(jti: string): void
  /** Deletes the SDK token with this `jti`: it can no longer be recovered. */
  deleteToken(jti: string): void
  audit: {
    /** Every audit row so far. */
    list(): AuditRecord[]
  }
}

const MAX_BODY_BYTES = 1024 * 1024

const CORS_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, POST, PUT, DELETE, OPTIONS',
  'access-control-allow-headers':
    'authorization, content-type, x-sdk-token, x-aim-api-key, x-api-key, x-agent-id, ' +
    'x-timestamp, x-signature, x-public-key',
}

async function readRequest(incoming: IncomingMessage): Promise<ServerRequest> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of incoming as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_BODY_BYTES) throw new RangeError('request body too large')
    chunks.push(chunk)
  }
  const rawBody = new Uint8Array(Buffer.concat(chunks))

  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(incoming.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value
  }

  return {
    method: (incoming.method ?? 'GET').toUpperCase(),
    path: incoming.url ?? '/',
    headers,
    rawBody,
    json: () => JSON.parse(new TextDecoder().decode(rawBody)),
  }
}

function send(outgoing: NodeResponse, response: ServerResponse): void {
  const text = JSON.stringify(response.body)
  outgoing.writeHead(response.status, { 'content-type': 'application/json', ...CORS_HEADERS })
  outgoing.end(text)
}

/**
 * Starts the demo AIM server on 127.0.0.1.
 *
 * @example
 * ```ts
 * const server = await startAimServer({ accessTokenTtlSeconds: 3 })
 * await storage.saveCredentials(await server.issueSdkCredentials())
 * ```
 */
export async function startAimServer(options: AimServerOptions = {}): Promise<AimServer> {
  const now = () => Date.now() / 1000
  const user: DemoUser = {
    id: randomUUID(),
    email: 'developer@example.com',
    organizationId: randomUUID(),
    role: 'admin',
  }
  const apiKeys = options.apiKeys ?? [`aim_test_${randomBytes(16).toString('hex')}`]
  const auditRows: AuditRecord[] = []
  let url = ''

  const authority = new TokenAuthority({
    secret: randomBytes(32),
    issuer: 'aim-demo-server',
    accessTokenTtlSeconds: options.accessTokenTtlSeconds ?? 7200,
    refreshTokenTtlSeconds: options.refreshTokenTtlSeconds ?? 7 * 86_400,
    sdkTokenTtlSeconds: options.sdkTokenTtlSeconds ?? 90 * 86_400,
    now,
  })
  const state: SessionState = {
    authority,
    user,
    spelling: options.spelling ?? 'camelCase',
    rotate: options.rotate ?? true,
    stats: {
      refreshes: 0,
      refreshAttempts: 0,
      reuseDetections: 0,
      recoverAttempts: 0,
      recoveries: 0,
      logouts: 0,
    },
    auditLog: () => auditRows.map((row) => ({ ...row })),
  }
  const context: ServerContext = {
    async verifyAccessToken(header) {
      const token = header?.match(/^Bearer (\S+)$/)?.[1]
      const claims = token ? await authority.verify(token, ['access']) : undefined
      return claims && !authority.isFamilyRevoked(claims.sid) ? claims : undefined
    },
    audit(entry: AuditEntry) {
      auditRows.push({ id: auditRows.length + 1, time: Math.floor(now()), ...entry })
    },
    apiKeys: new Set(apiKeys),
    now,
  }

  async function route(request: ServerRequest): Promise<ServerResponse> {
    const path = request.path.split('?')[0]
    const key = `${request.method} ${path}`
    if (key === 'POST /api/v1/auth/refresh') {
      if (options.refreshDelayMs)
        await new Promise((wake) => setTimeout(wake, options.refreshDelayMs))
      return refresh(request, state, context)
    }
    if (key === 'POST /api/v1/auth/sdk/recover') return recover(request, state, context)
    if (key === 'POST /api/v1/auth/logout') return logout(request, state, context)
    if (key === 'GET /api/v1/audit-logs') return listAuditLogs(request, state, context)
    // Test-only: other processes read the counters here.
    if (key === 'GET /__test/stats') return { status: 200, body: { ...state.stats } }

    const agentResponse = await handleAgentRoute(request, context)
    return agentResponse ?? { status: 404, body: { error: 'Not found' } }
  }

  const server = createServer((incoming, outgoing) => {
    if (incoming.method === 'OPTIONS') {
      outgoing.writeHead(204, CORS_HEADERS).end()
      return
    }
    readRequest(incoming)
      .then(route)
      .catch((error: unknown) => {
        const tooLarge = error instanceof RangeError
        return {
          status: tooLarge ? 413 : 500,
          body: { error: tooLarge ? 'Body too large' : 'Internal error' },
        }
      })
      .then((response) => send(outgoing, response))
  })

  await new Promise<void>((listening) => server.listen(options.port ?? 0, '127.0.0.1', listening))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  return {
    url,
    apiKeys,
    close: () =>
      new Promise<void>((closed) => {
        server.closeAllConnections()
        server.close(() => closed())
      }),
    stats: () => ({ ...state.stats }),
    async issueSdkCredentials(issue: IssueOptions = {}) {
      const minted = await authority.mintRefreshToken(user, randomUUID(), issue.typ ?? 'sdk')
      if (issue.spelling === 'snake_case') {
        return {
          aim_url: url,
          refresh_token: minted.token,
          sdk_token_id: minted.jti,
          user_id: user.id,
          email: user.email,
        }
      }
      return {
        schemaVersion: '1.0',
        type: 'sdk_oauth',
        aimUrl: url,
        refreshToken: minted.token,
        sdkTokenId: minted.jti,
        userId: user.id,
        email: user.email,
        organizationId: user.organizationId,
      }
    },
    revokeToken(jti) {
      const record = authority.record(jti)
      if (record) authority.revokeFamily(record.sid)
    },
    deleteToken(jti) {
      const record = authority.record(jti)
      if (record) record.state = 'deleted'
    },
    audit: { list: () => state.auditLog() },
  }
}
