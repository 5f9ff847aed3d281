// Hostile answers and JWTs given to the token manager, generated with fast-check: stored JWTs
// with any claims, and any server answer (status, content type, JSON, bytes, more than 64 KiB, a
// body that breaks off, one that never ends). Each refresh must end in a token or a TokenError
// code, within a bound, and store nothing but a refusal mark when it fails.

import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

import { TokenError, TokenManager } from '../../src/node/index.ts'
import {
  MemoryCredentialStore,
  NOW,
  camelCredentials,
  json,
  scriptedFetch,
} from '../suite/token-fixtures.ts'
import { count, figures, withinBound } from './fixtures.ts'
import { BOUND_MS, encode, outcomeOf, property } from './hostile-fixtures.ts'

const tally = figures('hostile-tokens')

// Unsigned on purpose: the client reads claims without checking signatures (the server does), so
// any claims at all must be survivable.
function unsignedJwt(claims: unknown): string {
  const part = (value: unknown) =>
    Buffer.from(JSON.stringify(value) ?? 'null').toString('base64url')
  return `${part({ alg: 'HS256', typ: 'JWT' })}.${part(claims)}.${part('signature')}`
}

/** A JWT whose claims are anything JSON can hold, or a string that only looks like one. */
const hostileJwt: fc.Arbitrary<string> = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }).map(unsignedJwt),
  fc
    .record({
      exp: fc.oneof(fc.double(), fc.string(), fc.constant(null), fc.integer()),
      iat: fc.oneof(fc.double(), fc.string(), fc.integer()),
      jti: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
      typ: fc.oneof(fc.constantFrom('access', 'refresh', 'sdk'), fc.string()),
    })
    .map(unsignedJwt),
  fc
    .record({
      exp: fc.integer({ min: NOW - 1000, max: NOW + 100_000 }),
      iat: fc.integer({ min: NOW - 100 * 86_400, max: NOW }),
      jti: fc.string({ minLength: 1 }),
      typ: fc.constantFrom('access', 'refresh', 'sdk'),
    })
    .map(unsignedJwt),
  fc.string({ maxLength: 200 }),
  fc.tuple(fc.base64String(), fc.base64String(), fc.base64String()).map((parts) => parts.join('.')),
)

/** The one field of a JSON answer the checks read. */
type Grant = { refreshToken?: unknown } | null

/** One answer of the fake AIM server, described so that the expectation can be computed. */
type Answer =
  | { kind: 'json'; status: number; body: unknown; contentType: string }
  | { kind: 'bytes'; status: number; bytes: Uint8Array }
  | { kind: 'huge'; status: number }
  | { kind: 'broken-stream'; status: number }

// 204, 205 and 304 cannot carry a body, so a Response with one cannot even be built.
const status = fc
  .oneof(
    fc.constantFrom(200, 201, 400, 401, 403, 404, 429, 500, 502),
    fc.integer({ min: 200, max: 599 }),
  )
  .filter((code) => ![204, 205, 304].includes(code))

// A well-formed grant, so that the success path is exercised beside the hostile ones.
const validGrant: fc.Arbitrary<Promise<Answer>> = fc
  .tuple(fc.integer({ min: 60, max: 86_400 }), fc.string({ minLength: 1, maxLength: 20 }))
  .map(async ([lifetime, jti]) => ({
    kind: 'json' as const,
    status: 200,
    body: {
      accessToken: unsignedJwt({ typ: 'access', exp: NOW + lifetime }),
      refreshToken: unsignedJwt({ typ: 'sdk', jti, iat: NOW, exp: NOW + 90 * 86_400 }),
      tokenType: 'Bearer',
      expiresIn: lifetime,
      rotated: true,
    },
    contentType: 'application/json',
  }))

const answer: fc.Arbitrary<Promise<Answer>> = fc.oneof(
  validGrant,
  fc
    .tuple(
      status,
      fc.jsonValue(),
      fc.constantFrom('application/json', 'text/plain', 'application/problem+json', ''),
    )
    .map(async ([code, body, contentType]) => ({
      kind: 'json' as const,
      status: code,
      body,
      contentType,
    })),
  fc
    .tuple(status, hostileJwt, hostileJwt, fc.jsonValue({ maxDepth: 1 }), fc.option(fc.boolean()))
    .map(async ([code, access, refresh, expiresIn, rotated]) => ({
      kind: 'json' as const,
      status: code,
      body: {
        accessToken: await access,
        refreshToken: await refresh,
        expiresIn,
        rotated,
        tokenType: 'Bearer',
      },
      contentType: 'application/json',
    })),
  fc.tuple(status, fc.uint8Array({ maxLength: 200 })).map(async ([code, bytes]) => ({
    kind: 'bytes' as const,
    status: code,
    bytes,
  })),
  status.map(async (code) => ({ kind: 'huge' as const, status: code })),
  status.map(async (code) => ({ kind: 'broken-stream' as const, status: code })),
)

function responseOf(described: Answer): Response {
  switch (described.kind) {
    case 'json':
      return new Response(JSON.stringify(described.body), {
        status: described.status,
        headers: described.contentType ? { 'content-type': described.contentType } : {},
      })
    case 'bytes':
      return new Response(new Uint8Array(described.bytes), {
        status: described.status,
        headers: { 'content-type': 'application/json' },
      })
    case 'huge':
      return new Response(`{"accessToken": "${'a'.repeat(200_000)}"}`, {
        status: described.status,
        headers: { 'content-type': 'application/json' },
      })
    case 'broken-stream':
      return new Response(
        new ReadableStream({
          start(controller) {
            controller.enqueue(encode('{"accessToken": '))
            controller.error(new Error('connection reset (test)'))
          },
        }),
        { status: described.status, headers: { 'content-type': 'application/json' } },
      )
  }
}

const TOKEN_CODES = [
  'ERR_SERVER',
  'ERR_INVALID_RESPONSE',
  'ERR_SESSION_REVOKED',
  'ERR_NETWORK',
  'ERR_TIMEOUT',
  'ERR_NO_CREDENTIALS',
  'ERR_INSECURE_URL',
]
// What a refused refresh token may add to the stored credentials; nothing else may change.
const REFUSAL_FIELDS = ['revokedRefreshTokenSha256', 'unrecoverableRefreshTokenSha256']

describe('hostile server answers and JWTs given to the token manager', () => {
  property(
    tally,
    'a refresh ends in a token or a TokenError code; on error only a refusal mark is stored',
    fc.tuple(
      answer,
      fc.option(hostileJwt, { nil: undefined }),
      fc.option(hostileJwt, { nil: undefined }),
    ),
    async ([pendingAnswer, storedRefresh, sharedAccess]) => {
      const described = await pendingAnswer
      const credentials = await camelCredentials()
      if (storedRefresh) credentials.refreshToken = await storedRefresh
      if (sharedAccess) {
        credentials.sharedAccessToken = {
          token: await sharedAccess,
          refreshTokenSha256: 'f'.repeat(64),
        }
      }
      const store = new MemoryCredentialStore(credentials)
      const before = store.text!
      const server = scriptedFetch((call) => {
        return call.path === '/api/v1/auth/sdk/recover' ? json(404, {}) : responseOf(described)
      })
      const manager = new TokenManager({
        storage: store,
        fetch: server.fetch,
        now: () => NOW,
        timeoutMs: 2000,
      })

      let outcome: string
      try {
        const token = await withinBound(manager.getAccessToken(), BOUND_MS, 'getAccessToken')
        expect(typeof token).toBe('string')
        outcome = 'ok'
      } catch (error) {
        expect(error).toBeInstanceOf(TokenError)
        outcome = (error as TokenError).code
        expect(TOKEN_CODES).toContain(outcome)
      }

      if (outcome === 'ok') {
        expect(described.kind).toBe('json')
        expect(described.status).toBeGreaterThanOrEqual(200)
        expect(described.status).toBeLessThan(300)
        // An accepted answer is saved before its access token is handed out.
        const issued =
          described.kind === 'json' ? (described.body as Grant)?.refreshToken : undefined
        if (typeof issued === 'string') expect(JSON.parse(store.text!).refreshToken).toBe(issued)
        count(tally, 'acceptedAnswers')
        return
      }
      count(tally, 'typedErrors')
      const after = JSON.parse(store.text!) as Record<string, unknown>
      const original = JSON.parse(before) as Record<string, unknown>
      for (const field of REFUSAL_FIELDS) delete after[field]
      if (described.status === 401) {
        delete original.sharedAccessToken
        delete after.sharedAccessToken
      }
      expect(after).toEqual(original)
    },
  )
})

describe('a server that never finishes its answer', () => {
  let server: Server
  let url: string

  beforeAll(async () => {
    // Sends the headers and a first byte, then nothing, forever: a stalled or hostile server.
    server = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' })
      response.write('{')
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })

  it('ends in ERR_TIMEOUT within the request deadline, credentials unchanged', async () => {
    const store = new MemoryCredentialStore(await camelCredentials({ aimUrl: url }))
    const before = store.text
    const manager = new TokenManager({ storage: store, timeoutMs: 300 })
    expect(await outcomeOf(manager.getAccessToken())).toBe('ERR_TIMEOUT')
    expect(store.text).toBe(before)
    count(tally, 'cases')
  })
})

describe('an injected fetch whose answer never ends', () => {
  // Real fetch errors the body when the deadline aborts the signal (the test above); a `fetch`
  // option that builds its own Response and ignores the signal must not leave the read waiting
  // forever inside the storage's lock.
  it('still ends in ERR_TIMEOUT when a custom fetch ignores the signal', async () => {
    const store = new MemoryCredentialStore(await camelCredentials())
    const endless: typeof fetch = async () =>
      new Response(
        new ReadableStream({
          start(controller) {
            controller.enqueue(encode('{'))
          },
        }),
        { status: 200, headers: { 'content-type': 'application/json' } },
      )
    const manager = new TokenManager({ storage: store, fetch: endless, timeoutMs: 300 })
    const outcome = await withinBound(
      manager.getAccessToken().then(
        () => 'ok',
        (error: TokenError) => error.code,
      ),
      3000,
      'getAccessToken with an endless body',
    )
    expect(outcome).toBe('ERR_TIMEOUT')
  })
})
