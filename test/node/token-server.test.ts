// The token manager against the demo AIM server over real HTTP, with credentials in a real file
// (PlaintextCredentialStorage): rotation, reuse detection, recovery, both spellings, rotation off,
// logout, and a hostile server whose answers must leave the file byte for byte as it was.

import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { decodeJwt } from 'jose'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { startAimServer, type AimServer, type AimServerOptions } from '../../demo/server/index.ts'
import {
  PlaintextCredentialStorage,
  TokenManager,
  type SecurityEvent,
} from '../../src/node/index.ts'

let folder: string
const servers: Array<{ close(): Promise<void> }> = []

beforeEach(async () => {
  folder = await mkdtemp(join(tmpdir(), 'aim-token-'))
})

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()))
  await rm(folder, { recursive: true, force: true })
})

async function startServer(options: AimServerOptions = {}): Promise<AimServer> {
  const server = await startAimServer(options)
  servers.push(server)
  return server
}

async function signedIn(server: AimServer, spelling?: 'camelCase' | 'snake_case') {
  const path = join(folder, 'credentials.json')
  const storage = new PlaintextCredentialStorage({ path })
  const credentials = await server.issueSdkCredentials({ spelling })
  await storage.saveCredentials(credentials)
  const events: SecurityEvent[] = []
  const manager = new TokenManager({ storage, onEvent: (event) => events.push(event) })
  return { path, storage, credentials, manager, events }
}

function attempts(server: AimServer, action: string, jti: unknown): number {
  return server.audit.list().filter((row) => row.action === action && row.detail === `jti=${jti}`)
    .length
}

describe('TokenManager with the demo AIM server', () => {
  it('refreshes with rotation; the server sees no reuse', async () => {
    const server = await startServer()
    const { storage, credentials, manager } = await signedIn(server)

    const first = await manager.getAccessToken()
    const second = await manager.refresh()

    expect(second).not.toBe(first)
    expect(server.stats()).toMatchObject({ refreshes: 2, reuseDetections: 0 })
    const saved = await storage.loadCredentials()
    expect(saved?.refreshToken).not.toBe(credentials.refreshToken)
    expect(saved?.sdkTokenId).toBe(decodeJwt(String(saved?.refreshToken)).jti)
    const audit = await manager.fetch('/api/v1/audit-logs')
    expect(audit.status).toBe(200)
    const published = await fetch(`${server.url}/__test/stats`)
    expect(await published.json()).toEqual(server.stats())
  })

  it('the server revokes the family when a rotated-out token comes back (the naive client)', async () => {
    const server = await startServer()
    const { credentials, manager } = await signedIn(server)
    await manager.getAccessToken()

    const replay = await fetch(`${server.url}/api/v1/auth/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refreshToken: credentials.refreshToken }),
    })

    expect(replay.status).toBe(401)
    expect(server.stats().reuseDetections).toBe(1)
    // The family is revoked: the SDK token comes back only through one recovery.
    await manager.refresh()
    expect(server.stats()).toMatchObject({ recoveries: 1, reuseDetections: 1 })
  })

  it('a revoked interactive session ends in ERR_SESSION_REVOKED without recovery', async () => {
    const server = await startServer()
    const { storage } = await signedIn(server)
    const credentials = await server.issueSdkCredentials({ typ: 'refresh' })
    await storage.saveCredentials(credentials)
    server.revokeToken(String(credentials.sdkTokenId))

    const error = await new TokenManager({ storage }).getAccessToken().catch((caught) => caught)

    expect(error).toMatchObject({ code: 'ERR_SESSION_REVOKED' })
    expect(String(error.message)).toMatch(/sign in again/i)
    expect(server.stats()).toMatchObject({ refreshAttempts: 1, recoverAttempts: 0 })
  })

  it('a revoked and deleted token: one recovery attempt, then ERR_SESSION_REVOKED; never sent again', async () => {
    const server = await startServer()
    const { storage, credentials, manager, events } = await signedIn(server)
    server.revokeToken(String(credentials.sdkTokenId))
    server.deleteToken(String(credentials.sdkTokenId))

    await expect(manager.getAccessToken()).rejects.toMatchObject({ code: 'ERR_SESSION_REVOKED' })
    await expect(manager.refresh()).rejects.toMatchObject({ code: 'ERR_SESSION_REVOKED' })
    const another = new TokenManager({ storage })
    await expect(another.getAccessToken()).rejects.toMatchObject({ code: 'ERR_SESSION_REVOKED' })
    await expect(another.fetch('/api/v1/audit-logs')).rejects.toMatchObject({
      code: 'ERR_SESSION_REVOKED',
    })

    expect(attempts(server, 'token.refresh_attempt', credentials.sdkTokenId)).toBe(1)
    expect(attempts(server, 'token.recover_attempt', credentials.sdkTokenId)).toBe(1)
    expect(server.stats()).toMatchObject({ refreshAttempts: 1, recoverAttempts: 1 })
    expect(events.map((event) => event.type)).toContain('token.revoked')
  })

  it('a revoked (not deleted) SDK token is recovered once and keeps working', async () => {
    const server = await startServer()
    const { storage, credentials, manager, events } = await signedIn(server)
    server.revokeToken(String(credentials.sdkTokenId))

    const token = await manager.getAccessToken()
    await manager.refresh()

    expect(decodeJwt(token).typ).toBe('access')
    expect(server.stats()).toMatchObject({ recoveries: 1, refreshes: 1, reuseDetections: 0 })
    expect(events.map((event) => event.type)).toContain('token.recovered')
    const saved = await storage.loadCredentials()
    expect(saved?.refreshToken).not.toBe(credentials.refreshToken)
    expect(attempts(server, 'token.refresh_attempt', credentials.sdkTokenId)).toBe(1)
  })

  it('keeps a snake_case file in snake_case against a 2025 (snake_case) server', async () => {
    const server = await startServer({ spelling: 'snake_case' })
    const { path, manager } = await signedIn(server, 'snake_case')

    await manager.getAccessToken()
    await manager.refresh()

    const saved = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>
    expect(Object.keys(saved).sort()).toEqual([
      'aim_url',
      'email',
      'refresh_token',
      'sdk_token_id',
      'shared_access_token',
      'user_id',
    ])
    expect(server.stats()).toMatchObject({ refreshes: 2, reuseDetections: 0 })
  })

  it('works with a server that does not rotate (rotated: false)', async () => {
    const server = await startServer({ rotate: false })
    const { storage, credentials, manager } = await signedIn(server)

    await manager.getAccessToken()
    await manager.refresh()

    expect((await storage.loadCredentials())?.refreshToken).toBe(credentials.refreshToken)
    expect(server.stats()).toMatchObject({ refreshes: 2, reuseDetections: 0 })
  })

  it('logout revokes the session on the server and deletes the file', async () => {
    const server = await startServer()
    const { storage, manager } = await signedIn(server)
    await manager.getAccessToken()
    const stored = await storage.loadCredentials()

    expect(await manager.logout()).toEqual({ revoked: true })
    expect(await storage.credentialsExist()).toBe(false)
    const replay = await fetch(`${server.url}/api/v1/auth/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refreshToken: stored?.refreshToken }),
    })
    expect(replay.status).toBe(401)
  })

  it('HTTPS is required except on loopback', async () => {
    const server = await startServer()
    const { storage, credentials } = await signedIn(server)
    await storage.saveCredentials({ ...credentials, aimUrl: 'http://aim.example.com' })

    await expect(new TokenManager({ storage }).getAccessToken()).rejects.toMatchObject({
      code: 'ERR_INSECURE_URL',
    })
    expect(server.stats().refreshAttempts).toBe(0)
  })
})

type Misbehaviour = (response: import('node:http').ServerResponse) => void

const MISBEHAVIOURS: Array<[string, Misbehaviour, string]> = [
  [
    'an HTML error page',
    (response) => response.writeHead(502, { 'content-type': 'text/html' }).end('<h1>Bad</h1>'),
    'ERR_SERVER',
  ],
  [
    'an HTML page with status 200',
    (response) => response.writeHead(200, { 'content-type': 'text/html' }).end('<p>sign in</p>'),
    'ERR_INVALID_RESPONSE',
  ],
  [
    'a 10 MB body',
    (response) => {
      response.writeHead(200, { 'content-type': 'application/json' })
      response.end(`{"accessToken":"${'a'.repeat(10_000_000)}"}`)
    },
    'ERR_INVALID_RESPONSE',
  ],
  [
    'wrong types',
    (response) =>
      response
        .writeHead(200, { 'content-type': 'application/json' })
        .end('{"accessToken":42,"refreshToken":["x"],"rotated":"yes"}'),
    'ERR_INVALID_RESPONSE',
  ],
  [
    'a 503',
    (response) =>
      response.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"down"}'),
    'ERR_SERVER',
  ],
  ['a connection reset', (response) => response.socket?.destroy(), 'ERR_NETWORK'],
  ['no answer at all', () => {}, 'ERR_TIMEOUT'],
]

describe('TokenManager with a hostile server', () => {
  for (const [name, misbehave, code] of MISBEHAVIOURS) {
    it(`${name} gives ${code} and leaves the file unchanged`, async () => {
      const hostile: Server = createServer((_request, response) => misbehave(response))
      await new Promise<void>((listening) => hostile.listen(0, '127.0.0.1', listening))
      servers.push({
        close: () =>
          new Promise<void>((closed) => {
            hostile.closeAllConnections()
            hostile.close(() => closed())
          }),
      })
      const server = await startServer()
      const { path, storage, credentials } = await signedIn(server)
      const port = (hostile.address() as AddressInfo).port
      await storage.saveCredentials({ ...credentials, aimUrl: `http://127.0.0.1:${port}` })
      const before = await readFile(path)

      const manager = new TokenManager({ storage, timeoutMs: 500 })
      await expect(manager.getAccessToken()).rejects.toMatchObject({ code })

      expect((await readFile(path)).equals(before)).toBe(true)
    })
  }
})
