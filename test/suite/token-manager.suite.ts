// The token-manager suite, shared by every runtime: caching, single flight, reuse of a shared
// access token, both spellings, rotation off, refusal and recovery, `fetch` and `logout`, against
// a store in memory and a scripted server. The failure cases live in token-failures.suite.ts.

import { decodeJwt } from 'jose'

import { assert, assertEqual, assertFailsWithCode, caught, type Case } from './harness.ts'
import { tokenFailureSuite } from './token-failures.suite.ts'
import {
  camelCredentials,
  grant,
  json,
  mintToken,
  NOW,
  SERVER,
  setUp,
  sha256Hex,
  type TokenApi,
} from './token-fixtures.ts'

export type { TokenApi } from './token-fixtures.ts'

/** The cases, for the entry under test (including the failure cases). */
export function tokenManagerSuite(api: TokenApi): Case[] {
  return [
    {
      name: 'refreshes once, stores the rotation, then serves from memory',
      async run() {
        let issued: Awaited<ReturnType<typeof grant>> | undefined
        const { store, server, manager, events } = await setUp(api, async () => {
          const answer = await grant(NOW)
          issued = answer
          return answer.response
        })

        const first = await manager.getAccessToken()
        const second = await manager.getAccessToken()

        assertEqual(first, issued!.accessToken, 'the access token')
        assertEqual(second, first, 'served from memory')
        assertEqual(server.calls.length, 1, 'one refresh')
        const saved = (await store.loadCredentials()) as Record<string, unknown>
        assertEqual(saved.refreshToken, issued!.refreshToken, 'new refresh token stored')
        assertEqual(saved.sdkTokenId, decodeJwt(issued!.refreshToken).jti, 'sdkTokenId = jti')
        const shared = saved.sharedAccessToken as Record<string, unknown>
        assertEqual(shared.token, first, 'shared access token')
        assertEqual(shared.refreshTokenSha256, await sha256Hex(issued!.refreshToken), 'bound')
        assertEqual(saved.favouriteColour, 'teal', 'unknown field kept')
        assert(
          events.some((event) => event.type === 'token.refreshed'),
          'token.refreshed event',
        )
      },
    },
    {
      name: '25 concurrent callers share one refresh',
      async run() {
        const { store, server, manager } = await setUp(api, async () => {
          await new Promise((wake) => setTimeout(wake, 20))
          return (await grant(NOW)).response
        })

        const tokens = await Promise.all(Array.from({ length: 25 }, () => manager.getAccessToken()))

        assertEqual(server.calls.length, 1, 'one refresh')
        assertEqual(store.locks, 1, 'one turn at the lock')
        assertEqual(new Set(tokens).size, 1, 'everyone got the same token')
      },
    },
    {
      name: 'reuses the shared access token of another holder without a request',
      async run() {
        const stored = await camelCredentials()
        const accessToken = await mintToken('access', NOW, 600)
        stored.sharedAccessToken = {
          token: accessToken,
          refreshTokenSha256: await sha256Hex(stored.refreshToken),
        }
        const { server, manager, events } = await setUp(api, () => json(500, {}), stored)

        assertEqual(await manager.getAccessToken(), accessToken, 'shared token')
        assertEqual(server.calls.length, 0, 'no request')
        assert(
          events.some((event) => event.type === 'token.reused_shared'),
          'event',
        )
      },
    },
    {
      name: 'ignores a shared access token bound to another refresh token, or nearly expired',
      async run() {
        for (const [hashOf, lifetime] of [
          ['other', 600],
          ['same', 30],
        ] as const) {
          const stored = await camelCredentials()
          stored.sharedAccessToken = {
            token: await mintToken('access', NOW, lifetime),
            refreshTokenSha256: await sha256Hex(hashOf === 'same' ? stored.refreshToken : 'x'),
          }
          const { server, manager } = await setUp(
            api,
            async () => (await grant(NOW)).response,
            stored,
          )
          await manager.getAccessToken()
          assertEqual(server.calls.length, 1, `refreshed (${hashOf}, ${lifetime}s)`)
        }
      },
    },
    {
      name: 'keeps a snake_case file in snake_case and reads snake_case answers',
      async run() {
        const refreshToken = await mintToken('sdk', NOW, 86_400)
        const stored = {
          aim_url: SERVER,
          refresh_token: refreshToken,
          sdk_token_id: 'old',
          email: 'a@b.c',
        }
        let issued: Awaited<ReturnType<typeof grant>> | undefined
        const { store, server, manager } = await setUp(
          api,
          async () => {
            issued = await grant(NOW, { spelling: 'snake_case' })
            return issued.response
          },
          stored,
        )

        assertEqual(await manager.getAccessToken(), issued!.accessToken, 'access token')
        const saved = (await store.loadCredentials()) as Record<string, unknown>
        assertEqual(saved.refresh_token, issued!.refreshToken, 'refresh_token')
        assertEqual(saved.sdk_token_id, decodeJwt(issued!.refreshToken).jti, 'sdk_token_id')
        assert(saved.shared_access_token !== undefined, 'shared_access_token')
        assertEqual(Object.keys(saved).filter((key) => /[A-Z]/.test(key)).length, 0, 'no camelCase')
        const body = server.calls[0]?.body ?? {}
        assertEqual(body.refresh_token, refreshToken, 'request carries refresh_token')
        assertEqual(body.refreshToken, refreshToken, 'and refreshToken')
      },
    },
    {
      name: 'works with a server that does not rotate (rotated: false)',
      async run() {
        const stored = await camelCredentials()
        const { store, server, manager, events } = await setUp(
          api,
          async () => {
            const accessToken = await mintToken('access', NOW, 3600)
            return json(200, { accessToken, tokenType: 'Bearer', expiresIn: 3600, rotated: false })
          },
          stored,
        )

        await manager.getAccessToken()
        await manager.refresh()

        assertEqual(server.calls.length, 2, 'two refreshes')
        const saved = (await store.loadCredentials()) as Record<string, unknown>
        assertEqual(saved.refreshToken, stored.refreshToken, 'same refresh token')
        assert(
          events.some((event) => event.detail === 'not rotated'),
          'not rotated event',
        )
      },
    },
    {
      name: 'a refused SDK token gets one recovery; the new token is stored',
      async run() {
        let recovered: Awaited<ReturnType<typeof grant>> | undefined
        const { store, server, manager, events } = await setUp(api, async (call) => {
          if (call.path.endsWith('/refresh'))
            return json(401, { error: 'Token has been revoked or is invalid' })
          recovered = await grant(NOW)
          return recovered.response
        })
        const dead = ((await store.loadCredentials()) as Record<string, string>).refreshToken!

        assertEqual(await manager.getAccessToken(), recovered!.accessToken, 'recovered token')
        assertEqual(
          server.calls.map((call) => call.path).join(),
          '/api/v1/auth/refresh,/api/v1/auth/sdk/recover',
          'calls',
        )
        assertEqual(server.calls[1]?.body.oldRefreshToken, dead, 'recover carries the old token')
        const saved = (await store.loadCredentials()) as Record<string, unknown>
        assertEqual(saved.refreshToken, recovered!.refreshToken, 'new refresh token')
        assert(
          (saved.revokedRefreshTokenSha256 as string[]).includes(await sha256Hex(dead)),
          'remembered',
        )
        assert(
          events.some((event) => event.type === 'token.recovered'),
          'token.recovered',
        )
      },
    },
    {
      name: 'a refused token whose recovery fails: ERR_SESSION_REVOKED, and it is never sent again',
      async run() {
        const { store, server, manager, events } = await setUp(api, (call) =>
          call.path.endsWith('/refresh')
            ? json(401, { error: 'Invalid or expired refresh token' })
            : json(404, { error: 'not found' }),
        )
        const before = await store.loadCredentials()

        const error = await assertFailsWithCode(
          () => manager.getAccessToken(),
          'ERR_SESSION_REVOKED',
        )
        assert(/sign in again/i.test(error.message), 'says how to sign in again')
        assertEqual(server.calls.length, 2, 'one refresh and one recovery')

        await assertFailsWithCode(() => manager.getAccessToken(), 'ERR_SESSION_REVOKED')
        const other = new api.TokenManager({ storage: store, fetch: server.fetch, now: () => NOW })
        await assertFailsWithCode(() => other.getAccessToken(), 'ERR_SESSION_REVOKED')
        await assertFailsWithCode(() => other.refresh(), 'ERR_SESSION_REVOKED')
        assertEqual(server.calls.length, 2, 'the dead token was never sent again')

        const after = (await store.loadCredentials()) as Record<string, unknown>
        assertEqual(after.refreshToken, (before as Record<string, unknown>).refreshToken, 'kept')
        assert(
          events.some((event) => event.type === 'token.revoked'),
          'token.revoked',
        )
      },
    },
    {
      name: 'a refused interactive refresh token is not recovered',
      async run() {
        const stored = await camelCredentials({
          refreshToken: await mintToken('refresh', NOW, 600),
        })
        const { server, manager } = await setUp(
          api,
          () => json(401, { error: 'Account is not active' }),
          stored,
        )

        await assertFailsWithCode(() => manager.getAccessToken(), 'ERR_SESSION_REVOKED')
        assertEqual(server.calls.length, 1, 'no recovery attempt')
      },
    },
    {
      name: 'fetch adds Authorization and X-SDK-Token, and on a 401 refreshes once and retries once',
      async run() {
        const seen: Array<{ authorization: string | null; sdkToken: string | null; body: string }> =
          []
        let apiAnswers = [401, 200]
        const { server, manager } = await setUp(api, async (call, request) => {
          if (call.path.startsWith('/api/v1/auth/')) return (await grant(NOW)).response
          seen.push({
            authorization: request.headers.get('authorization'),
            sdkToken: request.headers.get('x-sdk-token'),
            body: await request.text(),
          })
          return json(apiAnswers.shift() ?? 401, {})
        })

        const response = await manager.fetch('/api/v1/agents', {
          method: 'POST',
          body: '{"name":"a"}',
        })

        assertEqual(response.status, 200, 'second answer')
        assertEqual(
          server.calls.filter((call) => call.path === '/api/v1/auth/refresh').length,
          2,
          'two refreshes',
        )
        assertEqual(seen.length, 2, 'sent twice')
        assert(seen[0]!.authorization !== seen[1]!.authorization, 'a new token on the retry')
        assert(/^Bearer ey/.test(seen[1]!.authorization ?? ''), 'Bearer')
        assert(seen[1]!.sdkToken !== null, 'X-SDK-Token')
        assertEqual(seen[1]!.body, '{"name":"a"}', 'body resent')

        apiAnswers = [401, 401]
        assertEqual(
          (await manager.fetch(`${SERVER}/api/v1/agents`)).status,
          401,
          'gives up after one retry',
        )
        assertEqual(seen.length, 4, 'exactly one retry')
        let refused = false
        try {
          await manager.fetch('https://elsewhere.example.com/steal')
        } catch (error) {
          refused = error instanceof TypeError
        }
        assert(refused, 'no token for another origin')
      },
    },
    {
      name: 'logout revokes on the server, then deletes the credentials',
      async run() {
        const { store, server, manager, events } = await setUp(api, async (call) => {
          if (call.path.endsWith('/logout')) return json(200, { revoked: { refreshToken: true } })
          return (await grant(NOW)).response
        })
        const token = await manager.getAccessToken()
        const refreshToken = ((await store.loadCredentials()) as Record<string, string>)
          .refreshToken

        assertEqual((await manager.logout()).revoked, true, 'revoked')
        const call = server.calls.at(-1)!
        assertEqual(call.body.refreshToken, refreshToken, 'sent the refresh token')
        assertEqual(call.headers.get('authorization'), `Bearer ${token}`, 'with the access token')
        assertEqual(await store.credentialsExist(), false, 'deleted')
        assert(
          events.some((event) => event.type === 'session.logged_out'),
          'event',
        )
        await assertFailsWithCode(() => manager.getAccessToken(), 'ERR_NO_CREDENTIALS')
      },
    },
    {
      name: 'a rotation whose save failed is saved on the next turn, never lost to reuse',
      async run() {
        let issued: Awaited<ReturnType<typeof grant>> | undefined
        const { store, server, manager } = await setUp(api, async () => {
          issued = await grant(NOW)
          return issued.response
        })

        store.failSaves = true
        const failure = await caught(() => manager.getAccessToken())
        assertEqual((failure as Error).message, 'disk full (test)', 'the storage error')
        store.failSaves = false
        const token = await manager.getAccessToken()

        assertEqual(token, issued!.accessToken, 'the access token of that rotation')
        assertEqual(server.calls.length, 1, 'the rotated-out token was not sent again')
        const saved = (await store.loadCredentials()) as Record<string, unknown>
        assertEqual(saved.refreshToken, issued!.refreshToken, 'the rotation is stored')
      },
    },
    {
      name: 'rotates proactively when the refresh token is older than maxRefreshTokenAgeDays',
      async run() {
        const stored = await camelCredentials({
          refreshToken: await mintToken('sdk', NOW - 31 * 86_400, 90 * 86_400),
        })
        stored.sharedAccessToken = {
          token: await mintToken('access', NOW, 600),
          refreshTokenSha256: await sha256Hex(stored.refreshToken),
        }
        const { server, manager } = await setUp(
          api,
          async () => (await grant(NOW)).response,
          stored,
        )

        await manager.getAccessToken()

        assertEqual(server.calls.length, 1, 'refreshed despite a valid shared token')
      },
    },
    ...tokenFailureSuite(api),
  ]
}
