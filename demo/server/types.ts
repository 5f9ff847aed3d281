// The small request/response model of the demo AIM server, shared by its router (`router.ts`)
// and the agent routes (`agents.ts`), so that each route is a plain async function of data.

import type { JWTPayload } from 'jose'

/** One parsed HTTP request, as a route handler sees it. */
export interface ServerRequest {
  /** Upper-case HTTP method, e.g. `POST`. */
  method: string
  /** The path with its query string, exactly as sent, e.g. `/api/v1/agents/42?full=1`. */
  path: string
  /** Request headers with lower-case names; repeated headers are joined with `, `. */
  headers: Record<string, string>
  /** The body bytes as received (empty when there is none). */
  rawBody: Uint8Array
  /** The body parsed as JSON; throws a `SyntaxError` when it is not JSON. */
  json(): unknown
}

/** What a route answers: a status and a JSON-serialisable body. */
export interface ServerResponse {
  status: number
  body: unknown
}

/** One row of the server's audit log. */
export interface AuditEntry {
  /** e.g. `token.refresh`, `token.reuse_detected`, `agent.registered`. */
  action: string
  /** Who did it: a user id, an agent id or an API key label. */
  actor?: string
  /** A short, secret-free detail. */
  detail?: string
}

/** An audit row as stored and listed, with its sequence number and time. */
export interface AuditRecord extends AuditEntry {
  id: number
  /** Unix seconds. */
  time: number
}

/** What the router offers every route handler. */
export interface ServerContext {
  /**
   * Verifies `Authorization: Bearer <access token>` (signature, expiry, `typ: access`, and that
   * its family is not revoked). Resolves the token's claims, or `undefined` when it is missing or
   * not valid.
   */
  verifyAccessToken(authorizationHeader?: string): Promise<JWTPayload | undefined>
  /** Appends a row to the audit log. */
  audit(entry: AuditEntry): void
  /** API keys accepted in `X-AIM-API-Key` / `X-API-Key`. */
  apiKeys: Set<string>
  /** The server's clock, Unix seconds. */
  now(): number
}
