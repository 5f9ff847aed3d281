// Reads one credentials file and keeps only what may be shown: the server, the user, token expiry
// and issue times, an agent's name and id. Never a key, a token or any credential value.

import { decodeJwt } from 'jose'

import { AimCredentialsError } from '../../core/errors.ts'
import type { Credentials } from '../../core/storage.ts'
import { PlaintextCredentialStorage } from '../plaintext-storage.ts'
import { SecureCredentialStorage } from '../secure-storage.ts'
import { storagePathOf, type CredentialFile } from './locations.ts'
import type { CliSettings } from './settings.ts'

/** When a token was issued and when it expires, as ISO-8601 UTC strings. */
export interface TokenTimes {
  issuedAt?: string
  expiresAt?: string
  expired?: boolean
}

/** What may be shown of SDK credentials. */
export interface SdkSummary {
  server?: string
  email?: string
  userId?: string
  /** The refresh token's times; its `issuedAt` is the last rotation. */
  refreshToken?: TokenTimes
  /** The stored (or shared) access token's times. */
  accessToken?: TokenTimes
}

/** What may be shown of an agent's credentials. */
export interface AgentSummary {
  name?: string
  agentId?: string
  status?: string
  server?: string
}

/** A failure to read a file, by code and actionable message (both secret-free). */
export interface ReadFailure {
  code: string
  message: string
}

/** One file, as `status` shows it. */
export interface FileSummary {
  sdk?: SdkSummary
  agent?: AgentSummary
  error?: ReadFailure
}

/** The storage that reads `file` the way the library would, without changing anything. */
export function storageFor(
  file: CredentialFile,
  settings: CliSettings,
): SecureCredentialStorage | PlaintextCredentialStorage {
  const path = storagePathOf(file)
  return file.format === 'encrypted'
    ? new SecureCredentialStorage({ path, keyringService: settings.keyringService })
    : new PlaintextCredentialStorage({ path })
}

/**
 * Reads and summarises a file. An encrypted file is read with the stored key (a plaintext twin is
 * never migrated here: reading an existing encrypted file does not touch it).
 */
export async function summarizeFile(
  file: CredentialFile,
  settings: CliSettings,
): Promise<FileSummary> {
  let credentials: Credentials | null
  try {
    credentials = await storageFor(file, settings).loadCredentials()
  } catch (error) {
    return { error: failureOf(error) }
  }
  if (!credentials) return {}

  return file.kind === 'sdk'
    ? { sdk: summarizeSdk(credentials) }
    : { agent: summarizeAgent(credentials) }
}

/** Turns a thrown value into a secret-free code and message. */
export function failureOf(error: unknown): ReadFailure {
  if (error instanceof AimCredentialsError) return { code: error.code, message: error.message }
  const name = error instanceof Error ? error.name : 'Error'
  return { code: 'ERR_UNEXPECTED', message: `unexpected ${name}; run with a debugger for details` }
}

function summarizeSdk(credentials: Credentials): SdkSummary {
  const pick = (...names: string[]) =>
    names.map((name) => credentials[name]).find((value) => typeof value === 'string') as
      string | undefined

  const shared = (credentials.sharedAccessToken ?? credentials.shared_access_token) as
    { token?: unknown } | undefined
  const sharedToken = typeof shared?.token === 'string' ? shared.token : undefined

  const summary: SdkSummary = {
    server: pick('aimUrl', 'aim_url'),
    email: pick('email', 'userEmail'),
    userId: pick('userId', 'user_id'),
    refreshToken: tokenTimes(pick('refreshToken', 'refresh_token')),
    accessToken: tokenTimes(sharedToken ?? pick('accessToken', 'access_token')),
  }
  return withoutUndefined(summary)
}

function summarizeAgent(credentials: Credentials): AgentSummary {
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined)
  return withoutUndefined({
    name: text(credentials.name),
    agentId: text(credentials.agent_id ?? credentials.agentId),
    status: text(credentials.status),
    server: text(credentials.aim_url ?? credentials.aimUrl),
  })
}

/** The issue and expiry times of a JWT, decoded without checking its signature (display only). */
export function tokenTimes(
  token: string | undefined,
  now = Date.now() / 1000,
): TokenTimes | undefined {
  if (token === undefined) return undefined

  let claims: Record<string, unknown>
  try {
    claims = decodeJwt(token)
  } catch {
    // Not a JWT: nothing can be said about its times, and the token itself is never shown.
    return {}
  }

  const times: TokenTimes = {}
  if (typeof claims.iat === 'number') times.issuedAt = isoTime(claims.iat)
  if (typeof claims.exp === 'number') {
    times.expiresAt = isoTime(claims.exp)
    times.expired = claims.exp <= now
  }
  return times
}

function isoTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z')
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, each]) => each !== undefined)) as T
}
