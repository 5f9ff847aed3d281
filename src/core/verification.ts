// The AIM server's answer about an action verification (shared/AIM-API.md, "Action
// verification"), read into camelCase whatever spelling the server used, and the wait for a
// pending one to be decided.

import { serverError, invalidResponse, type JsonReply } from './agent-transport.ts'
import { TokenError } from './errors.ts'

/** The server's decision on an action. */
export interface ActionVerification {
  /** The verification's id, for polling and for `reportActionResult`. */
  id: string
  status: 'approved' | 'denied' | 'pending'
  approvedBy?: string
  /** When an approval lapses, as the server wrote it. */
  expiresAt?: string
  denialReason?: string
  trustScore?: number
}

const STATUSES = new Set(['approved', 'denied', 'pending'])

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined
}

/** Reads a verification answer, or returns `undefined` when it lacks an id or a known status. */
export function parseVerification(body: unknown): ActionVerification | undefined {
  if (typeof body !== 'object' || body === null) return undefined

  const fields = body as Record<string, unknown>
  const id = fields.id ?? fields.verification_id ?? fields.verificationId
  const status = fields.status
  if (typeof id !== 'string' || typeof status !== 'string' || !STATUSES.has(status)) {
    return undefined
  }

  const verification: ActionVerification = {
    id,
    status: status as ActionVerification['status'],
  }
  const approvedBy = text(fields.approved_by ?? fields.approvedBy)
  const expiresAt = text(fields.expires_at ?? fields.expiresAt)
  const denialReason = text(fields.denial_reason ?? fields.denialReason)
  const trustScore = fields.trust_score ?? fields.trustScore
  if (approvedBy !== undefined) verification.approvedBy = approvedBy
  if (expiresAt !== undefined) verification.expiresAt = expiresAt
  if (denialReason !== undefined) verification.denialReason = denialReason
  if (typeof trustScore === 'number') verification.trustScore = trustScore
  return verification
}

/**
 * Reads a verification answer: 201 or 200, or 403 for a denial (a decision, not an error).
 *
 * @throws {TokenError} `ERR_SERVER` for another status, `ERR_INVALID_RESPONSE` without an id or a
 *   known status.
 */
export function readVerification(reply: JsonReply, what: string): ActionVerification {
  if (reply.status !== 200 && reply.status !== 201 && reply.status !== 403) {
    throw serverError(reply, what)
  }

  const verification = parseVerification(reply.body)
  if (!verification) throw invalidResponse(reply, 'the verification')
  return verification
}

/** How to wait for a pending verification. */
export interface DecisionPolling {
  /** Asks the server about the verification with this id. */
  poll(id: string): Promise<JsonReply>
  intervalMs: number
  timeoutMs: number
}

const sleep = (milliseconds: number) => new Promise((wake) => setTimeout(wake, milliseconds))

/**
 * Asks again every `intervalMs` while the verification is pending, for at most `timeoutMs`.
 *
 * @throws {TokenError} `ERR_TIMEOUT` when still pending at the deadline, and the codes of
 *   {@link readVerification}.
 */
export async function awaitDecision(
  first: ActionVerification,
  polling: DecisionPolling,
): Promise<ActionVerification> {
  const deadline = Date.now() + polling.timeoutMs
  let verification = first

  while (verification.status === 'pending') {
    if (Date.now() + polling.intervalMs > deadline) {
      throw new TokenError(
        'ERR_TIMEOUT',
        `Verification ${verification.id} was still pending after ${polling.timeoutMs} ms; ` +
          'ask again later with its id',
      )
    }
    await sleep(polling.intervalMs)
    verification = readVerification(await polling.poll(verification.id), 'report the verification')
  }
  return verification
}
