// The agent credentials file the Python SDK reads and writes (`~/.aim/agents/<safe_name>.json`,
// snake_case in every version; shared/AIM-API.md, "Agent credentials"), and the name rule for it.

import type { Credentials } from './storage.ts'

/** The fields of an agent credentials record this library reads; others are kept as they are. */
export interface AgentRecordFields {
  name: string
  agentId: string
  publicKey: string
  /**
   * Standard base64 of 64 bytes (seed then public key) or of a 32-byte seed; `undefined` when the
   * key is kept apart as a non-extractable `CryptoKey` (browsers).
   */
  privateKey: string | undefined
  aimUrl: string | undefined
  status: string | undefined
  trustScore: number | undefined
}

/**
 * The file name the Python SDK uses for an agent: every character that is not an ASCII letter, a
 * digit, `-` or `_` becomes `_`.
 *
 * @example
 * ```ts
 * safeAgentName('my agent/v2') // 'my_agent_v2'
 * ```
 */
export function safeAgentName(name: string): string {
  if (typeof name !== 'string' || name === '') throw new TypeError('An agent needs a name')
  return name.replace(/[^A-Za-z0-9_-]/g, '_')
}

/**
 * Writes an agent record in the current Python SDK format, on top of `previous` so that fields
 * this library does not know survive.
 */
export function writeAgentRecord(
  fields: AgentRecordFields,
  registeredAt: string,
  previous: Credentials | null,
): Credentials {
  const record: Credentials = {
    ...previous,
    schemaVersion: '1.0',
    type: 'agent',
    name: fields.name,
    agent_id: fields.agentId,
    public_key: fields.publicKey,
    private_key: fields.privateKey,
    // Where the key lives when the record does not hold it.
    private_key_storage: fields.privateKey === undefined ? 'webcrypto' : undefined,
    aim_url: fields.aimUrl,
    status: fields.status,
    trust_score: fields.trustScore,
    registered_at: registeredAt,
  }

  for (const key of Object.keys(record)) if (record[key] === undefined) delete record[key]
  return record
}

/** Reads the fields this library needs, or `undefined` when the record lacks them. */
export function readAgentRecord(record: Credentials | null): AgentRecordFields | undefined {
  if (!record) return undefined

  const { name, agent_id, public_key, private_key, aim_url, status, trust_score } = record
  const complete =
    typeof agent_id === 'string' &&
    typeof public_key === 'string' &&
    (typeof private_key === 'string' || private_key === undefined)
  if (!complete) return undefined

  return {
    name: typeof name === 'string' ? name : agent_id,
    agentId: agent_id,
    publicKey: public_key,
    privateKey: private_key as string | undefined,
    aimUrl: typeof aim_url === 'string' ? aim_url : undefined,
    status: typeof status === 'string' ? status : undefined,
    trustScore: typeof trust_score === 'number' ? trust_score : undefined,
  }
}
