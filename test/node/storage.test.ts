// The Node storages' file behaviour with an explicit key or AIM_ENCRYPTION_KEY (the keyring has its
// own suite): round trips, the Python file format, modes, symlinks, permissions, key mismatch and
// corruption, migration, events, the lock's re-entrancy, and the plaintext development mode.

import { chmod, lstat, mkdir, readFile, readdir, stat, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import {
  AimCredentialsError,
  Fernet,
  findPlaintextCredentialFiles,
  PlaintextCredentialStorage,
  SecureCredentialStorage,
  type SecurityEvent,
} from '../../src/node/index.ts'
import { WORKERS, runChild, temporaryHome } from './storage-fixtures.ts'

const KEY = Fernet.generateKey()
const CAMEL = {
  aimUrl: 'http://localhost:8080',
  refreshToken: 'header.payload.signature',
  sdkTokenId: '3f0c',
  userId: 'u-1',
  email: 'ada@example.com',
  futureField: { nested: [1, 'two', null] },
}
const SNAKE = { aim_url: 'http://localhost:8080', refresh_token: 'r', user_id: 'u', email: 'é@x' }

let home: string
let removeHome: () => Promise<void>
let plaintextPath: string
let encryptedPath: string

beforeEach(async () => {
  ;({ home, remove: removeHome } = await temporaryHome())
  plaintextPath = join(home, '.aim', 'credentials.json')
  encryptedPath = join(home, '.aim', 'credentials.encrypted')
})

afterEach(async () => {
  delete process.env.AIM_ENCRYPTION_KEY
  await removeHome()
})

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (error) {
    if (error instanceof AimCredentialsError) return error.code
    throw error
  }
  throw new Error('expected an AimCredentialsError')
}

function secure(options: { key?: string; onEvent?: (event: SecurityEvent) => void } = {}) {
  return new SecureCredentialStorage({ path: plaintextPath, key: options.key ?? KEY, ...options })
}

describe('SecureCredentialStorage files', () => {
  it('saves, loads, updates and deletes, keeping unknown fields and either spelling', async () => {
    const storage = secure()
    expect(await storage.loadCredentials()).toBeNull()
    expect(await storage.credentialsExist()).toBe(false)

    await storage.saveCredentials(CAMEL)
    expect(await storage.credentialsExist()).toBe(true)
    expect(await secure().loadCredentials()).toEqual(CAMEL)

    const updated = await storage.updateCredentials((current) => ({ ...current, userId: 'u-2' }))
    expect(updated).toEqual({ ...CAMEL, userId: 'u-2' })
    expect(await secure().loadCredentials()).toEqual({ ...CAMEL, userId: 'u-2' })

    await storage.saveCredentials(SNAKE)
    expect(await secure().loadCredentials()).toEqual(SNAKE)

    await storage.deleteCredentials()
    expect(await storage.credentialsExist()).toBe(false)
    expect(await storage.loadCredentials()).toBeNull()
  })

  it('writes exactly one Fernet token of the JSON Python writes, 0600 in a 0700 folder', async () => {
    await secure().saveCredentials(SNAKE)

    const token = await readFile(encryptedPath, 'utf8')
    expect(token).toMatch(/^gAAAAA[A-Za-z0-9_-]+=*$/)
    const text = new TextDecoder().decode(await (await Fernet.fromKey(KEY)).decrypt(token))
    // json.dumps(SNAKE, indent=2) escapes the non-ASCII character.
    expect(text).toBe(
      '{\n  "aim_url": "http://localhost:8080",\n  "refresh_token": "r",\n  "user_id": "u",\n' +
        '  "email": "\\u00e9@x"\n}',
    )
    expect((await stat(encryptedPath)).mode & 0o777).toBe(0o600)
    expect((await stat(join(home, '.aim'))).mode & 0o777).toBe(0o700)
    expect((await readdir(join(home, '.aim'))).sort()).toEqual(['credentials.encrypted'])
  })

  it('reports a file made with another key as a key mismatch and leaves it untouched', async () => {
    await secure().saveCredentials(CAMEL)
    const before = await readFile(encryptedPath, 'utf8')

    const other = secure({ key: Fernet.generateKey() })
    expect(await codeOf(other.loadCredentials())).toBe('ERR_KEY_MISMATCH')
    expect(await codeOf(other.updateCredentials((current) => current ?? {}))).toBe(
      'ERR_KEY_MISMATCH',
    )
    expect(await readFile(encryptedPath, 'utf8')).toBe(before)
  })

  it('reports a damaged file or a token of invalid JSON as corrupt, and leaves it untouched', async () => {
    await mkdir(join(home, '.aim'), { mode: 0o700 })
    await writeFile(encryptedPath, 'gAAAAABtruncated', { mode: 0o600 })
    expect(await codeOf(secure().loadCredentials())).toBe('ERR_CREDENTIALS_CORRUPT')
    expect(await readFile(encryptedPath, 'utf8')).toBe('gAAAAABtruncated')

    const notJson = await (await Fernet.fromKey(KEY)).encrypt('{"refreshToken": ')
    await writeFile(encryptedPath, notJson)
    expect(await codeOf(secure().loadCredentials())).toBe('ERR_CREDENTIALS_CORRUPT')
    const array = await (await Fernet.fromKey(KEY)).encrypt('[1, 2]')
    await writeFile(encryptedPath, array)
    expect(await codeOf(secure().loadCredentials())).toBe('ERR_CREDENTIALS_CORRUPT')
    expect(await readFile(encryptedPath, 'utf8')).toBe(array)
  })

  it('refuses a symlink at the credentials path, for reading and writing', async () => {
    await mkdir(join(home, '.aim'), { mode: 0o700 })
    const elsewhere = join(home, 'elsewhere.encrypted')
    await writeFile(elsewhere, 'unchanged')
    await symlink(elsewhere, encryptedPath)

    expect(await codeOf(secure().loadCredentials())).toBe('ERR_SYMLINK_REFUSED')
    expect(await codeOf(secure().saveCredentials(CAMEL))).toBe('ERR_SYMLINK_REFUSED')
    expect(await readFile(elsewhere, 'utf8')).toBe('unchanged')
    expect((await lstat(encryptedPath)).isSymbolicLink()).toBe(true)
  })

  it('uses AIM_ENCRYPTION_KEY, and rejects a malformed one without writing anything', async () => {
    process.env.AIM_ENCRYPTION_KEY = KEY
    const storage = new SecureCredentialStorage({ path: plaintextPath })
    expect(await storage.describeKeySource()).toEqual({ source: 'environment' })
    await storage.saveCredentials(CAMEL)
    expect(await secure().loadCredentials()).toEqual(CAMEL)

    process.env.AIM_ENCRYPTION_KEY = 'not-a-fernet-key'
    const otherPath = join(home, 'other', 'credentials.json')
    const broken = new SecureCredentialStorage({ path: otherPath })
    expect(await codeOf(broken.saveCredentials(CAMEL))).toBe('ERR_FERNET_INVALID_KEY')
    expect(await codeOf(broken.loadCredentials())).toBe('ERR_FERNET_INVALID_KEY')
    await expect(stat(join(home, 'other'))).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('runs load and save inside withLock, and lets the lock go after a failure', async () => {
    const storage = secure()
    await storage.saveCredentials({ counter: 1 })

    const result = await storage.withLock(async () => {
      const current = await storage.loadCredentials()
      await storage.saveCredentials({ counter: Number(current?.counter) + 1 })
      return storage.updateCredentials((inner) => ({ counter: Number(inner?.counter) + 1 }))
    })
    expect(result).toEqual({ counter: 3 })

    await expect(
      storage.withLock(async () => {
        throw new Error('refresh failed')
      }),
    ).rejects.toThrow('refresh failed')
    expect(await secure().updateCredentials(() => ({ counter: 4 }))).toEqual({ counter: 4 })
    expect((await readdir(join(home, '.aim'))).sort()).toEqual(['credentials.encrypted'])
  })

  it('imports downloaded JSON and reports describeKeySource and requestPersistence', async () => {
    const storage = secure()
    await storage.importCredentials(JSON.stringify(SNAKE))
    expect(await storage.loadCredentials()).toEqual(SNAKE)
    expect(await codeOf(storage.importCredentials('{not json'))).toBe('ERR_CREDENTIALS_CORRUPT')
    expect(await storage.loadCredentials()).toEqual(SNAKE)
    expect(await storage.describeKeySource()).toEqual({ source: 'provided' })
    expect(await storage.requestPersistence()).toBe(true)
  })
})

describe('failing closed', () => {
  it('reports a missing native keyring binding, and writes nothing', async () => {
    const path = join(home, '.aim', 'credentials.json')
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: home }
    delete env.AIM_ENCRYPTION_KEY
    const result = await runChild(
      process.execPath,
      [
        '--import',
        join(WORKERS, 'without-keyring-binding.mjs'),
        '--import',
        'tsx',
        join(WORKERS, 'storage-worker.ts'),
        'save',
        JSON.stringify({ path, credentials: { refreshToken: 'r' } }),
      ],
      env,
    )
    expect(result.stdout.trim()).toBe('ERR_KEYRING_BINDING_MISSING')
    expect(await readdir(home)).toEqual([])
  })
})

describe('migration from plaintext', () => {
  async function writePlaintext(credentials: object, mode = 0o600): Promise<string> {
    await mkdir(join(home, '.aim'), { recursive: true, mode: 0o700 })
    const text = JSON.stringify(credentials, null, 2)
    await writeFile(plaintextPath, text, { mode })
    await chmod(plaintextPath, mode)
    return text
  }

  it('happens in loadCredentials: encrypted, verified, plaintext removed, event sent', async () => {
    await writePlaintext(CAMEL)
    const events: SecurityEvent[] = []
    const storage = secure({ onEvent: (event) => events.push(event) })

    expect(await storage.loadCredentials()).toEqual(CAMEL)
    expect((await readdir(join(home, '.aim'))).sort()).toEqual(['credentials.encrypted'])
    expect(await secure().loadCredentials()).toEqual(CAMEL)
    expect(events.map((event) => event.type)).toEqual([
      'key.loaded',
      'credentials.migrated',
      'credentials.loaded',
    ])
    expect(events[1]).toMatchObject({ path: encryptedPath })
    expect(JSON.stringify(events)).not.toContain(CAMEL.refreshToken)
    expect(JSON.stringify(events)).not.toContain(KEY)
  })

  it('happens in migrateToEncrypted, which resolves false when there is nothing to migrate', async () => {
    await writePlaintext(SNAKE)
    const storage = secure()
    expect(await storage.migrateToEncrypted()).toBe(true)
    expect(await storage.migrateToEncrypted()).toBe(false)
    expect(await storage.loadCredentials()).toEqual(SNAKE)
    await expect(stat(plaintextPath)).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('leaves the plaintext exactly as it was when there is no usable key', async () => {
    const text = await writePlaintext(CAMEL)
    process.env.AIM_ENCRYPTION_KEY = 'broken'
    const storage = new SecureCredentialStorage({ path: plaintextPath })

    expect(await codeOf(storage.loadCredentials())).toBe('ERR_FERNET_INVALID_KEY')
    expect(await codeOf(storage.migrateToEncrypted())).toBe('ERR_FERNET_INVALID_KEY')
    expect(await readFile(plaintextPath, 'utf8')).toBe(text)
    expect((await readdir(join(home, '.aim'))).sort()).toEqual(['credentials.json'])
  })

  it('refuses a plaintext file others can read, naming the chmod, and changes nothing', async () => {
    const text = await writePlaintext(CAMEL, 0o644)
    const error = await secure()
      .loadCredentials()
      .catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(AimCredentialsError)
    expect((error as AimCredentialsError).code).toBe('ERR_INSECURE_PERMISSIONS')
    expect((error as AimCredentialsError).message).toContain(`chmod 600 ${plaintextPath}`)
    expect(await readFile(plaintextPath, 'utf8')).toBe(text)
  })

  it('refuses to migrate when both files exist and differ, and removes an identical copy', async () => {
    await secure().saveCredentials(CAMEL)
    const text = await writePlaintext(SNAKE)
    expect(await codeOf(secure().migrateToEncrypted())).toBe('ERR_MIGRATION_FAILED')
    expect(await readFile(plaintextPath, 'utf8')).toBe(text)
    expect(await secure().loadCredentials()).toEqual(CAMEL)

    await writePlaintext(CAMEL)
    expect(await secure().migrateToEncrypted()).toBe(true)
    await expect(stat(plaintextPath)).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('finds every plaintext file the Python SDK may have left, under home and cwd', async () => {
    const cwd = join(home, 'project')
    const files = [
      join(home, '.aim', 'credentials.json'),
      join(home, '.aim', 'sdk_credentials.json'),
      join(home, '.aim', 'agents', 'agent_one.json'),
      join(cwd, '.aim', 'credentials.json'),
    ]
    for (const file of files) {
      await mkdir(join(file, '..'), { recursive: true })
      await writeFile(file, '{}')
    }
    await writeFile(join(home, '.aim', 'agents', 'notes.txt'), '')
    await writeFile(join(home, '.aim', 'credentials.encrypted'), '')

    expect(await findPlaintextCredentialFiles({ home, cwd })).toEqual(files)
    expect(await findPlaintextCredentialFiles({ home: cwd, cwd })).toEqual([files[3]])
  })
})

describe('events', () => {
  it('carry the path and key source, and a throwing listener breaks nothing', async () => {
    const seen: SecurityEvent[] = []
    const storage = secure({
      onEvent: (event) => {
        seen.push(event)
        throw new Error('listener bug')
      },
    })
    await storage.saveCredentials(CAMEL)
    expect(await storage.loadCredentials()).toEqual(CAMEL)
    await storage.deleteCredentials()

    expect(seen.map((event) => event.type)).toEqual([
      'key.loaded',
      'credentials.saved',
      'credentials.loaded',
      'credentials.deleted',
    ])
    expect(seen[0]).toMatchObject({ keySource: 'provided' })
    expect(seen[1]).toMatchObject({ path: encryptedPath })
    expect(Date.parse(seen[1]!.time)).not.toBeNaN()
  })
})

describe('PlaintextCredentialStorage', () => {
  it('keeps the Python format in a 0600 file, with update, lock and delete', async () => {
    const storage = new PlaintextCredentialStorage({ path: plaintextPath })
    await storage.saveCredentials(SNAKE)
    expect(await readFile(plaintextPath, 'utf8')).toBe(
      JSON.stringify(SNAKE, null, 2).replace('é', '\\u00e9'),
    )
    expect((await stat(plaintextPath)).mode & 0o777).toBe(0o600)

    expect(await storage.updateCredentials((current) => ({ ...current, extra: 1 }))).toEqual({
      ...SNAKE,
      extra: 1,
    })
    expect(await storage.withLock(() => storage.loadCredentials())).toEqual({ ...SNAKE, extra: 1 })

    await storage.deleteCredentials()
    expect(await storage.credentialsExist()).toBe(false)
    expect(await storage.loadCredentials()).toBeNull()
  })

  it('refuses a world-readable file and a symlink', async () => {
    const storage = new PlaintextCredentialStorage({ path: plaintextPath })
    await storage.saveCredentials(CAMEL)
    await chmod(plaintextPath, 0o640)
    expect(await codeOf(storage.loadCredentials())).toBe('ERR_INSECURE_PERMISSIONS')

    const linked = join(home, 'linked.json')
    await symlink(plaintextPath, linked)
    const viaLink = new PlaintextCredentialStorage({ path: linked })
    expect(await codeOf(viaLink.loadCredentials())).toBe('ERR_SYMLINK_REFUSED')
    expect(await codeOf(viaLink.saveCredentials(CAMEL))).toBe('ERR_SYMLINK_REFUSED')
  })
})
