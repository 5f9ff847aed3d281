// `aim-credentials logout` and `doctor` against servers on 127.0.0.1: the demo AIM server
// (in-process) revokes the session; a server whose clock is an hour off shows the skew finding.

import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'

import { afterAll, afterEach, beforeEach, describe, expect } from 'vitest'

import { startAimServer, type AimServer } from '../../demo/server/index.ts'
import { readKeyringKey } from '../../src/node/keyring.ts'
import {
  cliWorld,
  removeCliProgram,
  expectNoSecrets,
  runCli,
  secretsOf,
  secureAt,
  type CliWorld,
} from './cli-fixtures.ts'
import { itWith } from './components.ts'
import { secretService } from './storage-fixtures.ts'

const it = itWith(secretService)

let world: CliWorld
let server: AimServer | undefined

beforeEach(async () => {
  world = await cliWorld('server')
})
afterEach(async () => {
  await server?.close()
  server = undefined
  await world.remove()
})
afterAll(() => removeCliProgram())

async function keyringKey(): Promise<string> {
  const key = await readKeyringKey({
    service: world.service,
    account: 'encryption-key',
    timeoutMs: 10_000,
  })
  return key ?? 'no key stored'
}

async function signedIn(): Promise<Record<string, unknown>> {
  server = await startAimServer()
  const credentials = await server.issueSdkCredentials()
  await secureAt(world, join(world.home, '.aim', 'credentials.json')).saveCredentials(credentials)
  return credentials
}

async function refreshStatus(refreshToken: unknown): Promise<number> {
  const response = await fetch(`${server!.url}/api/v1/auth/refresh`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ refreshToken }),
  })
  await response.body?.cancel()
  return response.status
}

describe('logout', () => {
  it('revokes the session on the server and deletes the local credentials', async () => {
    const credentials = await signedIn()

    const result = await runCli(world, ['logout'])

    expect(result.code).toBe(0)
    expect(result.stdout).toContain(`signed out  ${server!.url}: the server revoked the session`)
    expect(await readdir(join(world.home, '.aim'))).not.toContain('credentials.encrypted')
    expect(server!.stats().logouts).toBe(1)
    expect(server!.audit.list().map((row) => row.action)).toContain('session.logout')
    expect(await refreshStatus(credentials.refreshToken)).toBe(401)
    expectNoSecrets([result], [...secretsOf(credentials), await keyringKey()])
  })

  it('deletes locally, says the server did not confirm, and exits 1 when it is down', async () => {
    const credentials = await signedIn()
    await server!.close()
    server = undefined

    const result = await runCli(world, ['logout'])

    expect(result.code).toBe(1)
    expect(result.stdout).toContain('signed out locally')
    expect(result.stderr).toMatch(
      /did not confirm the revocation .* revoke it from the AIM dashboard/,
    )
    expect(await readdir(join(world.home, '.aim'))).not.toContain('credentials.encrypted')
    expectNoSecrets([result], [...secretsOf(credentials), await keyringKey()])
  })

  it('has nothing to do without stored credentials', async () => {
    const result = await runCli(world, ['logout'])

    expect(result.code).toBe(0)
    expect(result.stdout).toContain('nothing to sign out of')
  })
})

describe('doctor and the server', () => {
  it('finds nothing to fix with a reachable server and a matching clock', async () => {
    const credentials = await signedIn()

    const result = await runCli(world, ['doctor'])

    expect(result.stdout).toContain(`ok       server    ${server!.url} answers`)
    expect(result.stdout).toMatch(/ok +clock +clock within 10 s/)
    expect(result.stdout).toContain('Everything looks right.')
    expect(result.code).toBe(0)
    expectNoSecrets([result], [...secretsOf(credentials), await keyringKey()])
  })

  it('reports a clock an hour off the server with the fix', async () => {
    const skewed: Server = createServer((_, response) => {
      response.setHeader('Date', new Date(Date.now() + 3_600_000).toUTCString())
      response.end('{}')
    })
    await new Promise<void>((resolve) => skewed.listen(0, '127.0.0.1', resolve))
    const url = `http://127.0.0.1:${(skewed.address() as AddressInfo).port}`

    try {
      const result = await runCli(world, ['doctor', '--server', url])

      expect(result.code).toBe(1)
      expect(result.stdout).toMatch(/problem +clock +this machine's clock is 3[56]\d\d s behind/)
      expect(result.stdout).toContain('timedatectl set-ntp true')
    } finally {
      await new Promise((resolve) => skewed.close(resolve))
    }
  })
})
