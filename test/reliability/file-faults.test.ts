// File faults: a read-only folder and a full disk (small tmpfs mounts, where this machine lets us
// mount), plaintext files others can read (every one of the 512 modes), the credentials file or
// its folder a symbolic link to somewhere else, and a file replaced between the storage's check
// and its use by a process racing it. Each must give a typed error and lose nothing.

import { spawnSync } from 'node:child_process'
import {
  chmod,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import {
  AimCredentialsError,
  Fernet,
  PlaintextCredentialStorage,
  SecureCredentialStorage,
} from '../../src/node/index.ts'
import { itWith, type Component } from '../node/components.ts'
import { temporaryHome } from '../node/storage-fixtures.ts'
import { SOAK, codeOf, count, figures, scaled, startWorker, type LineWorker } from './fixtures.ts'

const KEY = Fernet.generateKey()
const tally = figures('file-faults')

// Mounting needs root (or CAP_SYS_ADMIN); a container may refuse it even then.
function probeMount(): { available: boolean; reason: string } {
  const folder = spawnSync('mktemp', ['-d'], { encoding: 'utf8' }).stdout.trim()
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', folder], {
    encoding: 'utf8',
  })
  if (mounted.status === 0) spawnSync('umount', [folder])
  spawnSync('rmdir', [folder])
  return {
    available: mounted.status === 0,
    reason: mounted.stderr.trim() || `exit ${mounted.status}`,
  }
}
const mountProbe = probeMount()
const tmpfsMount: Component = {
  name: 'permission to mount a small tmpfs',
  available: mountProbe.available,
  remedy: `run as root where mounting is allowed; mount said: ${mountProbe.reason}`,
}

let home: string
let removeHome: () => Promise<void>
const mounts: string[] = []
const workers: LineWorker[] = []

beforeEach(async () => {
  ;({ home, remove: removeHome } = await temporaryHome())
})
afterEach(async () => {
  for (const worker of workers.splice(0)) await worker.kill()
  for (const mount of mounts.splice(0)) spawnSync('umount', [mount])
  await removeHome()
})

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { encoding: 'utf8' })
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')}: ${result.stderr}`)
}

async function mountTmpfs(size: string): Promise<string> {
  const folder = join(home, `mount-${mounts.length}`)
  await mkdir(folder)
  run('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', folder])
  mounts.push(folder)
  return folder
}

/** Every file under a folder with its bytes (as text) and mode. */
async function snapshot(folder: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {}
  for (const entry of await readdir(folder, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue
    const path = join(entry.parentPath, entry.name)
    const mode = ((await stat(path)).mode & 0o777).toString(8)
    files[path.slice(folder.length)] = `${mode} ${await readFile(path, 'utf8')}`
  }
  return files
}

async function writePlaintext(path: string, credentials: object, mode = 0o600): Promise<string> {
  await mkdir(join(path, '..'), { recursive: true, mode: 0o700 })
  const text = JSON.stringify(credentials, null, 2)
  await writeFile(path, text, { mode })
  await chmod(path, mode)
  return text
}

function secure(path: string): SecureCredentialStorage {
  return new SecureCredentialStorage({ path, key: KEY })
}

describe('a read-only folder', () => {
  itWith(tmpfsMount)(
    'refuses writes with ERR_STORAGE_FAILED and keeps every byte; reads work',
    async () => {
      const mount = await mountTmpfs('1m')
      const path = join(mount, '.aim', 'credentials.json')
      await secure(path).saveCredentials({ refreshToken: 'r1' })
      const plaintextPath = join(mount, 'project', 'credentials.json')
      await writePlaintext(plaintextPath, { refreshToken: 'p1' })
      const before = await snapshot(mount)
      run('mount', ['-o', 'remount,ro', mount])

      const attempts: Record<string, () => Promise<unknown>> = {
        save: () => secure(path).saveCredentials({ refreshToken: 'r2' }),
        update: () => secure(path).updateCredentials(() => ({ refreshToken: 'r3' })),
        migrate: () => secure(plaintextPath).migrateToEncrypted(),
        delete: () => secure(path).deleteCredentials(),
      }
      for (const [name, attempt] of Object.entries(attempts)) {
        expect(await codeOf(attempt()), name).toBe('ERR_STORAGE_FAILED')
        count(tally, 'typedErrors')
      }
      const error = await secure(path)
        .saveCredentials({})
        .catch((caught: unknown) => caught)
      expect((error as AimCredentialsError).message).toContain('EROFS')
      expect(await secure(path).loadCredentials()).toEqual({ refreshToken: 'r1' })

      run('mount', ['-o', 'remount,rw', mount])
      expect(await snapshot(mount)).toEqual(before)
    },
  )
})

describe('no space left', () => {
  itWith(tmpfsMount)(
    'a full disk fails writes with ERR_STORAGE_FAILED, leaving the old file and no debris',
    async () => {
      const mount = await mountTmpfs('64k')
      const path = join(mount, '.aim', 'credentials.json')
      await secure(path).saveCredentials({ refreshToken: 'r1' })
      const plaintextPath = join(mount, 'project', 'credentials.json')
      const plaintext = await writePlaintext(plaintextPath, {
        refreshToken: 'p1',
        padding: 'x'.repeat(1500),
      })

      // Fill every remaining block.
      const filler = join(mount, 'filler')
      for (let written = 0; ; written++) {
        const appended = spawnSync('sh', ['-c', `head -c 4096 /dev/zero >> ${filler}`])
        if (appended.status !== 0 || written > 64) break
      }
      const before = await snapshot(mount)

      const big = { refreshToken: 'r2', padding: 'y'.repeat(8000) }
      expect(await codeOf(secure(path).saveCredentials(big))).toBe('ERR_STORAGE_FAILED')
      expect(await codeOf(secure(path).updateCredentials(() => big))).toBe('ERR_STORAGE_FAILED')
      expect(await codeOf(secure(plaintextPath).migrateToEncrypted())).toBe('ERR_STORAGE_FAILED')
      count(tally, 'typedErrors', 3)

      expect(await secure(path).loadCredentials()).toEqual({ refreshToken: 'r1' })
      expect(await readFile(plaintextPath, 'utf8')).toBe(plaintext)
      expect(await snapshot(mount)).toEqual(before)

      // With room again, the same writes succeed.
      await rm(filler)
      await secure(path).saveCredentials(big)
      expect(await secure(path).loadCredentials()).toEqual(big)
      expect(await secure(plaintextPath).migrateToEncrypted()).toBe(true)
    },
  )
})

// The modes people actually end up with; the soak tries the secure storage on every mode.
const COMMON_MODES = [0o604, 0o640, 0o644, 0o660, 0o664, 0o666, 0o700, 0o755, 0o777]

describe('permissions too open', () => {
  it('a plaintext file any of group or others may access is refused, for all 512 modes', async () => {
    const path = join(home, '.aim', 'credentials.json')
    const text = await writePlaintext(path, { refreshToken: 'p1' })

    for (let mode = 0; mode <= 0o777; mode++) {
      await chmod(path, mode)
      const open = (mode & 0o077) !== 0
      const expected = open ? 'ERR_INSECURE_PERMISSIONS' : 'no error'
      expect(
        await codeOf(new PlaintextCredentialStorage({ path }).loadCredentials()),
        mode.toString(8),
      ).toBe(expected)
      if (open && (SOAK || mode % 9 === 0 || COMMON_MODES.includes(mode))) {
        expect(await codeOf(secure(path).migrateToEncrypted())).toBe(expected)
        expect(await codeOf(secure(path).loadCredentials())).toBe(expected)
      }
      if (open) {
        expect(await readFile(path, 'utf8')).toBe(text)
        expect((await stat(path)).mode & 0o777).toBe(mode)
        count(tally, 'typedErrors')
      }
      count(tally, 'modesTried')
    }
  })

  it('an encrypted file others may read still opens (it is ciphertext), and the next save makes it 0600', async () => {
    const path = join(home, '.aim', 'credentials.json')
    await secure(path).saveCredentials({ refreshToken: 'r1' })
    const encrypted = join(home, '.aim', 'credentials.encrypted')
    await chmod(encrypted, 0o644)
    expect(await secure(path).loadCredentials()).toEqual({ refreshToken: 'r1' })
    await secure(path).saveCredentials({ refreshToken: 'r2' })
    expect((await stat(encrypted)).mode & 0o777).toBe(0o600)
  })
})

describe('symbolic links', () => {
  it('the encrypted or plaintext file, or their folder, as a link elsewhere: ERR_SYMLINK_REFUSED, target untouched', async () => {
    // Elsewhere: valid credentials under the same key, which a followed link would hand over.
    const elsewhere = await mkdtemp(join(tmpdir(), 'aim-elsewhere-'))
    try {
      await secure(join(elsewhere, 'credentials.json')).saveCredentials({ who: 'attacker' })
      await writePlaintext(join(elsewhere, 'plain.json'), { who: 'attacker' })
      const before = await snapshot(elsewhere)
      const aim = join(home, '.aim')
      await mkdir(aim, { mode: 0o700 })

      await symlink(join(elsewhere, 'credentials.encrypted'), join(aim, 'credentials.encrypted'))
      await symlink(join(elsewhere, 'plain.json'), join(aim, 'plain.json'))
      const linkedFolder = join(home, 'linked')
      await symlink(elsewhere, linkedFolder)

      const attempts: Record<string, () => Promise<unknown>> = {
        'load through a linked file': () => secure(join(aim, 'credentials.json')).loadCredentials(),
        'save through a linked file': () =>
          secure(join(aim, 'credentials.json')).saveCredentials({
            who: 'me',
          }),
        'delete through a linked file': () => secure(join(aim, 'plain.json')).deleteCredentials(),
        'migrate a linked plaintext file': () =>
          secure(join(aim, 'plain.json')).migrateToEncrypted(),
        'plaintext load through a link': () =>
          new PlaintextCredentialStorage({
            path: join(aim, 'plain.json'),
          }).loadCredentials(),
        'load in a linked folder': () =>
          secure(join(linkedFolder, 'credentials.json')).loadCredentials(),
        'save in a linked folder': () =>
          secure(join(linkedFolder, 'credentials.json')).saveCredentials({
            who: 'me',
          }),
        'migrate in a linked folder': () =>
          secure(join(linkedFolder, 'plain.json')).migrateToEncrypted(),
        'delete in a linked folder': () =>
          secure(join(linkedFolder, 'credentials.json')).deleteCredentials(),
        'plaintext save in a linked folder': () =>
          new PlaintextCredentialStorage({
            path: join(linkedFolder, 'plain.json'),
          }).saveCredentials({ who: 'me' }),
      }
      for (const [name, attempt] of Object.entries(attempts)) {
        expect(await codeOf(attempt()), name).toBe('ERR_SYMLINK_REFUSED')
        count(tally, 'typedErrors')
      }

      const after = await snapshot(elsewhere)
      for (const name of Object.keys(after)) expect(name).not.toMatch(/\.lock/)
      expect(after).toEqual(before)
      expect((await lstat(join(aim, 'credentials.encrypted'))).isSymbolicLink()).toBe(true)
    } finally {
      await rm(elsewhere, { recursive: true, force: true })
    }
  })
})

describe('a file replaced between check and use', () => {
  const rounds = scaled(300, 3000)

  it(`swapped with a link to other credentials: ${rounds} loads, saves and deletes never follow it`, async () => {
    const aim = join(home, '.aim')
    const path = join(aim, 'credentials.json')
    const encrypted = join(aim, 'credentials.encrypted')
    await secure(path).saveCredentials({ who: 'owner' })
    const ownerToken = await readFile(encrypted, 'utf8')
    const victim = join(home, 'victim.encrypted')
    await secure(join(home, 'victim.json')).saveCredentials({ who: 'attacker' })
    const victimBytes = await readFile(victim, 'utf8')

    const swapper = startWorker(
      'swap-worker.ts',
      ['symlink', JSON.stringify({ path: encrypted, content: ownerToken, victim })],
      process.env,
    )
    workers.push(swapper)
    await swapper.waitForLines(1)

    const outcomes: Record<string, number> = {}
    for (let round = 0; round < rounds; round++) {
      // After one of our own deletes the path is empty until the racer puts a file back.
      let outcome: string
      try {
        const loaded = await secure(path).loadCredentials()
        outcome = loaded === null ? 'absent' : JSON.stringify(loaded)
      } catch (error) {
        if (!(error instanceof AimCredentialsError)) throw error
        outcome = error.code
      }
      expect(['{"who":"owner"}', 'absent', 'ERR_SYMLINK_REFUSED']).toContain(outcome)
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1

      const saved = await codeOf(secure(path).saveCredentials({ who: 'owner' }))
      expect(['no error', 'ERR_SYMLINK_REFUSED']).toContain(saved)
      if (round % 10 === 0) {
        expect(['no error', 'ERR_SYMLINK_REFUSED']).toContain(
          await codeOf(secure(path).deleteCredentials()),
        )
      }
      count(tally, 'raceRounds')
    }
    await swapper.kill()

    // Both sides of the race were seen, and the link's target never changed.
    expect(outcomes['{"who":"owner"}']).toBeGreaterThan(0)
    expect(outcomes.ERR_SYMLINK_REFUSED).toBeGreaterThan(0)
    expect(await readFile(victim, 'utf8')).toBe(victimBytes)
    count(tally, 'raceRefusals', outcomes.ERR_SYMLINK_REFUSED)
  }, 120_000)

  it(`swapped with a copy others may read: ${rounds} plaintext loads never return it`, async () => {
    const path = join(home, '.aim', 'credentials.json')
    await writePlaintext(path, { who: 'owner' })
    const content = JSON.stringify({ who: 'owner' })
    const exposed = JSON.stringify({ who: 'exposed copy' })
    const swapper = startWorker(
      'swap-worker.ts',
      ['mode', JSON.stringify({ path, content, exposed })],
      process.env,
    )
    workers.push(swapper)
    await swapper.waitForLines(1)

    const outcomes: Record<string, number> = {}
    for (let round = 0; round < rounds; round++) {
      let outcome: string
      try {
        const loaded = await new PlaintextCredentialStorage({ path }).loadCredentials()
        outcome = loaded?.who === 'owner' ? 'owner' : JSON.stringify(loaded)
      } catch (error) {
        if (!(error instanceof AimCredentialsError)) throw error
        outcome = error.code
      }
      expect(['owner', 'ERR_INSECURE_PERMISSIONS']).toContain(outcome)
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1
      count(tally, 'raceRounds')
    }
    await swapper.kill()

    expect(outcomes.owner).toBeGreaterThan(0)
    expect(outcomes.ERR_INSECURE_PERMISSIONS).toBeGreaterThan(0)
    count(tally, 'raceRefusals', outcomes.ERR_INSECURE_PERMISSIONS)
  }, 120_000)
})
