// Runtime-free helpers for the token-manager suite: a credential store in memory with a real
// mutex, JWT minting with `jose`, and a scripted stand-in for the AIM server's fetch.

import { SignJWT } from 'jose'
import { decodeJwt } from 'jose'

import type * as Entry from '../../src/web/index.ts'
import type {
  Credentials,
  CredentialStore,
  CredentialsUpdate,
  SecurityEvent,
} from '../../src/core/storage.ts'

/** What the token suites need from the package under test. */
export type TokenApi = Pick<typeof Entry, 'TokenManager'>

/** A `CredentialStore` in memory; it copies on every load and save, like a file would. */
export class MemoryCredentialStore implements CredentialStore {
  #text: string | undefined
  #lock: Promise<void> = Promise.resolve()
  saves = 0
  locks = 0
  lockHeld = false
  failSaves = false

  constructor(credentials?: Credentials) {
    if (credentials) this.#text = JSON.stringify(credentials)
  }

  /** The stored credentials, as text (to compare byte for byte). */
  get text(): string | undefined {
    return this.#text
  }

  async saveCredentials(credentials: Credentials): Promise<void> {
    // The token manager must write only while holding the lock.
    if (!this.lockHeld) throw new Error('saved outside the lock (test)')
    if (this.failSaves) throw new Error('disk full (test)')
    this.saves += 1
    this.#text = JSON.stringify(credentials)
  }

  async loadCredentials(): Promise<Credentials | null> {
    return this.#text === undefined ? null : (JSON.parse(this.#text) as Credentials)
  }

  async updateCredentials(update: CredentialsUpdate): Promise<Credentials> {
    return this.withLock(async () => {
      const next = await update(await this.loadCredentials())
      await this.saveCredentials(next)
      return next
    })
  }

  async deleteCredentials(): Promise<void> {
    this.#text = undefined
  }

  async credentialsExist(): Promise<boolean> {
    return this.#text !== undefined
  }

  async withLock<T>(action: () => Promise<T>): Promise<T> {
    const previous = this.#lock
    let release = () => {}
    this.#lock = new Promise((resolve) => (release = resolve))
    await previous
    this.locks += 1
    this.lockHeld = true
    try {
      return await action()
    } finally {
      this.lockHeld = false
      release()
    }
  }
}

const SECRET = new TextEncoder().encode('token-suite-secret-0123456789abcdef')
let serial = 0

/** Mints an HS256 JWT like the AIM server's, valid for `lifetime` seconds from `now`. */
export async function mintToken(
  typ: 'access' | 'refresh' | 'sdk',
  now: number,
  lifetime: number,
  extra: Record<string, unknown> = {},
): Promise<string> {
  serial += 1
  return new SignJWT({ typ, sid: 'family-1', ...extra })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('user-1')
    .setJti(`jti-${serial}`)
    .setIssuedAt(Math.floor(now))
    .setExpirationTime(Math.floor(now) + lifetime)
    .sign(SECRET)
}

/** One request the fake server received. */
export interface RecordedCall {
  path: string
  body: Record<string, unknown>
  headers: Headers
}

/** Answers a request to the fake server; return a `Response`. */
export type Responder = (call: RecordedCall, request: Request) => Response | Promise<Response>

/** A fetch that records calls and answers through `respond`, honouring abort signals. */
export function scriptedFetch(respond: Responder): { fetch: typeof fetch; calls: RecordedCall[] } {
  const calls: RecordedCall[] = []

  const fake = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init)
    const text = await request.clone().text()
    const call: RecordedCall = {
      path: new URL(request.url).pathname,
      body: text.startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : {},
      headers: request.headers,
    }
    calls.push(call)

    const answer = Promise.resolve(respond(call, request))
    const signal = init?.signal
    if (!signal) return answer
    return new Promise<Response>((resolve, reject) => {
      signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')))
      answer.then(resolve, reject)
    })
  }
  return { fetch: fake as typeof fetch, calls }
}

/** A JSON response. */
export function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json' },
  })
}

/** A successful refresh answer in the given spelling, with fresh tokens. */
export async function grant(
  now: number,
  options: { spelling?: 'camelCase' | 'snake_case'; ttl?: number; refreshToken?: string } = {},
): Promise<{ response: Response; accessToken: string; refreshToken: string }> {
  const ttl = options.ttl ?? 3600
  const accessToken = await mintToken('access', now, ttl)
  const refreshToken = options.refreshToken ?? (await mintToken('sdk', now, 90 * 86_400))
  const body =
    options.spelling === 'snake_case'
      ? {
          access_token: accessToken,
          refresh_token: refreshToken,
          token_type: 'Bearer',
          expires_in: ttl,
        }
      : { accessToken, refreshToken, tokenType: 'Bearer', expiresIn: ttl, rotated: true }
  return { response: json(200, body), accessToken, refreshToken }
}

export const NOW = 1_800_000_000
export const SERVER = 'http://127.0.0.1:8080'

/** Lower-case hex SHA-256, computed here independently of the library. */
export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text))
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, '0')).join('')
}

/** Current-format SDK credentials with a fresh SDK refresh token and an unknown field. */
export async function camelCredentials(
  extra: Record<string, unknown> = {},
): Promise<Record<string, unknown> & { refreshToken: string }> {
  const refreshToken = await mintToken('sdk', NOW - 60, 90 * 86_400)
  return {
    schemaVersion: '1.0',
    type: 'sdk_oauth',
    aimUrl: SERVER,
    refreshToken,
    sdkTokenId: decodeJwt(refreshToken).jti,
    userId: 'user-1',
    email: 'dev@example.com',
    favouriteColour: 'teal',
    ...extra,
  }
}

/** Builds a manager over a fresh store and a scripted server. */
export async function setUp(api: TokenApi, respond: Responder, stored?: Record<string, unknown>) {
  const store = new MemoryCredentialStore(stored ?? (await camelCredentials()))
  const server = scriptedFetch(respond)
  const events: SecurityEvent[] = []
  const manager = new api.TokenManager({
    storage: store,
    fetch: server.fetch,
    now: () => NOW,
    timeoutMs: 200,
    onEvent: (event) => events.push(event),
  })
  return { store, server, events, manager }
}
