// Interop with the Python SDK's secure storage, both ways, through the real Python `keyring` and
// `cryptography` and the real Secret Service: the keyring item `aim-sdk` / `encryption-key` and
// the encrypted file. The test keyring is throwaway; the items made here are removed afterwards.

import { spawnSync } from 'node:child_process'
import { stat } from 'node:fs/promises'
import { join } from 'node:path'

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect } from 'vitest'

import { SecureCredentialStorage } from '../../src/node/index.ts'
import { serializeCredentials } from '../../src/node/credential-json.ts'
import { itWith, pythonKeyring, type Component } from './components.ts'
import { pythonSdk, secretService, temporaryHome } from './storage-fixtures.ts'

const keyringAndPython: Component = {
  name: `${secretService.name} and ${pythonKeyring.name}`,
  available: secretService.available && pythonKeyring.available,
  remedy: `${secretService.remedy}; ${pythonKeyring.remedy}`,
}
const it = itWith(keyringAndPython)

const SERVICE = 'aim-sdk'
const CREDENTIALS = {
  aimUrl: 'http://localhost:8080',
  refreshToken: 'eyJhbGciOiJIUzI1NiJ9.e30.sig',
  sdkTokenId: 'jti-1',
  userEmail: 'zoë@example.com',
  sharedAccessToken: { token: 'a', refreshTokenSha256: 'ff' },
  futureField: [1, 2.5, null, true],
}

function clearPythonSdkKey(): void {
  spawnSync('secret-tool', ['clear', 'service', SERVICE, 'username', 'encryption-key'])
}

let home: string
let removeHome: () => Promise<void>
let path: string

beforeAll(clearPythonSdkKey)
afterAll(clearPythonSdkKey)
beforeEach(async () => {
  ;({ home, remove: removeHome } = await temporaryHome())
  path = join(home, '.aim', 'credentials.json')
  clearPythonSdkKey()
})
afterEach(() => removeHome())

interface Loaded {
  credentials: Record<string, unknown>
  text: string
}

describe('with the Python SDK (keyring + cryptography)', () => {
  it('reads what Python wrote with the key Python created, and Python reads our update', async () => {
    await pythonSdk({ op: 'save', path, service: SERVICE, credentials: CREDENTIALS })

    const storage = new SecureCredentialStorage({ path })
    expect(await storage.loadCredentials()).toEqual(CREDENTIALS)
    expect(await storage.describeKeySource()).toEqual({
      source: 'keyring',
      backend: 'secret-service',
    })

    const updated = { ...CREDENTIALS, refreshToken: 'rotated', sdkTokenId: 'jti-2' }
    await storage.updateCredentials(() => updated)
    const loaded = await pythonSdk<Loaded>({ op: 'load', path, service: SERVICE })
    expect(loaded.credentials).toEqual(updated)
    // The decrypted text is exactly what json.dumps(credentials, indent=2) makes.
    expect(loaded.text).toBe(serializeCredentials(updated))
  })

  it('migrates the plaintext file Python wrote, into a file Python reads', async () => {
    await pythonSdk({ op: 'save_plaintext', path, credentials: CREDENTIALS })

    expect(await new SecureCredentialStorage({ path }).loadCredentials()).toEqual(CREDENTIALS)
    await expect(stat(path)).rejects.toMatchObject({ code: 'ENOENT' })
    const loaded = await pythonSdk<Loaded>({ op: 'load', path, service: SERVICE })
    expect(loaded.credentials).toEqual(CREDENTIALS)
  })

  it('creates the key Python then uses, and reads what Python writes with it', async () => {
    const storage = new SecureCredentialStorage({ path })
    await storage.saveCredentials(CREDENTIALS)

    const key = await pythonSdk<{ key: string }>({ op: 'get_key', service: SERVICE })
    expect(key.key).toMatch(/^[A-Za-z0-9_-]{43}=$/)
    expect((await pythonSdk<Loaded>({ op: 'load', path, service: SERVICE })).credentials).toEqual(
      CREDENTIALS,
    )

    const fromPython = { ...CREDENTIALS, refreshToken: 'from-python' }
    await pythonSdk({ op: 'save', path, service: SERVICE, credentials: fromPython })
    expect(await new SecureCredentialStorage({ path }).loadCredentials()).toEqual(fromPython)
    expect(await pythonSdk<{ key: string }>({ op: 'get_key', service: SERVICE })).toEqual(key)
  })
})
