// `aim-credentials` as a user runs it (a child process with its own HOME, current folder and
// keyring service): help and usage errors, status in text and JSON, migrate with its dry run,
// and doctor's findings, never printing a secret.

import { chmod, readFile, readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'

import { afterAll, afterEach, beforeEach, describe, expect, it as plainIt } from 'vitest'

import { PlaintextCredentialStorage } from '../../src/node/index.ts'
import { readKeyringKey } from '../../src/node/keyring.ts'
import {
  agentCredentials,
  cliWorld,
  removeCliProgram,
  expectNoSecrets,
  hasScript,
  runCli,
  runCliInTerminal,
  sdkCredentials,
  secretsOf,
  secureAt,
  type CliWorld,
} from './cli-fixtures.ts'
import { itWith } from './components.ts'
import { secretService } from './storage-fixtures.ts'

const it = itWith(secretService)
const ANSI = /\u001b\[/

let world: CliWorld

beforeEach(async () => {
  world = await cliWorld('main')
})
afterEach(() => world.remove())
afterAll(() => removeCliProgram())

async function keyringKey(): Promise<string | null> {
  return readKeyringKey({ service: world.service, account: 'encryption-key', timeoutMs: 10_000 })
}

describe('help and usage', () => {
  plainIt('prints help for the program and every command, with the exit codes', async () => {
    const runs = [
      ['--help'],
      ['help'],
      ...['status', 'migrate', 'rotate-key', 'logout', 'doctor'].flatMap((name) => [
        [name, '--help'],
        ['help', name],
      ]),
    ]
    const results = await Promise.all(runs.map((args) => runCli(world, args)))

    for (const [index, result] of results.entries()) {
      expect(result.code, runs[index]!.join(' ')).toBe(0)
      expect(result.stdout).toContain('Usage: aim-credentials')
      expect(result.stdout).toContain('Exit codes:')
      expect(result.stdout).toMatch(/2 +usage error/)
      expect(result.stdout).not.toMatch(ANSI)
    }
    expect(results[2]!.stdout).toContain('--json')
    expect(results[4]!.stdout).toContain('--dry-run')
  })

  plainIt('exits 2 with one sentence and a pointer to --help for usage mistakes', async () => {
    const [none, unknown, option, stray, missingValue] = await Promise.all([
      runCli(world, []),
      runCli(world, ['frobnicate']),
      runCli(world, ['status', '--frobnicate']),
      runCli(world, ['migrate', 'extra']),
      runCli(world, ['doctor', '--server']),
    ])

    expect(none.code).toBe(2)
    expect(none.stderr).toContain('Usage: aim-credentials')
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toMatch(
      /^error: unknown command "frobnicate"\.\nRun `aim-credentials --help`/,
    )
    expect(option.code).toBe(2)
    expect(option.stderr).toContain('aim-credentials status --help')
    expect(stray.code).toBe(2)
    expect(stray.stderr).toContain('unexpected argument "extra"')
    expect(missingValue.code).toBe(2)
    for (const result of [unknown, option, stray, missingValue]) {
      expect(result.stderr.trim().split('\n')).toHaveLength(2)
      expect(result.stderr).not.toMatch(ANSI)
    }
  })
})

describe('colour', () => {
  const withTerminal = itWith({
    name: 'script (util-linux)',
    available: hasScript,
    remedy: 'apt-get install util-linux',
  })

  withTerminal('is used on a terminal, and never with NO_COLOR or TERM=dumb', async () => {
    const env = { ...world.env, TERM: 'xterm-256color' }
    const [coloured, noColour, dumb] = await Promise.all([
      runCliInTerminal(world, ['status'], env),
      runCliInTerminal(world, ['status'], { ...env, NO_COLOR: '1' }),
      runCliInTerminal(world, ['status'], { ...env, TERM: 'dumb' }),
    ])

    expect(coloured.stdout).toContain('Credentials')
    expect(coloured.stdout).toMatch(ANSI)
    expect(noColour.stdout).toContain('Credentials')
    expect(noColour.stdout).not.toMatch(ANSI)
    expect(dumb.stdout).toContain('Credentials')
    expect(dumb.stdout).not.toMatch(ANSI)
  })
})

describe('status', () => {
  it('reports an empty home in text and JSON, creating nothing', async () => {
    const text = await runCli(world, ['status'])
    const json = await runCli(world, ['status', '--json'])

    expect(text.code).toBe(0)
    expect(text.stdout).toContain('none found')
    expect(text.stdout).toContain('source         keyring (secret-service)')
    expect(json.code).toBe(0)
    const report = JSON.parse(json.stdout)
    expect(report).toMatchObject({
      home: world.home,
      keyringService: world.service,
      keySource: { source: 'keyring', backend: 'secret-service' },
      keys: { key: 'missing', pendingKey: false },
      credentials: [],
      agents: [],
    })
    expect(await readdir(world.home)).not.toContain('.aim')
    expect(await keyringKey()).toBeNull()
  })

  it('reports files, modes, token times and agents without a secret', async () => {
    const sdk = await sdkCredentials()
    const agent = agentCredentials('support bot')
    const plaintext = await sdkCredentials('http://localhost:8080')
    await secureAt(world, join(world.home, '.aim', 'credentials.json')).saveCredentials(sdk)
    await secureAt(world, join(world.home, '.aim', 'agents', 'support_bot.json')).saveCredentials(
      agent,
    )
    await new PlaintextCredentialStorage({
      path: join(world.cwd, '.aim', 'sdk_credentials.json'),
    }).saveCredentials(plaintext)

    const text = await runCli(world, ['status'])
    const json = await runCli(world, ['status', '--json'])

    expect(json.code).toBe(0)
    const report = JSON.parse(json.stdout)
    const refresh = JSON.parse(
      Buffer.from((sdk.refreshToken as string).split('.')[1]!, 'base64url').toString(),
    )
    expect(report.keys).toEqual({ key: 'present', pendingKey: false })
    expect(report.credentials).toEqual([
      expect.objectContaining({
        path: join(world.home, '.aim', 'credentials.encrypted'),
        format: 'encrypted',
        place: 'home',
        mode: '0600',
        sdk: expect.objectContaining({
          server: 'http://127.0.0.1:9',
          email: 'ada@example.com',
          refreshToken: {
            issuedAt: new Date(refresh.iat * 1000).toISOString().replace('.000', ''),
            expiresAt: new Date(refresh.exp * 1000).toISOString().replace('.000', ''),
            expired: false,
          },
        }),
      }),
      expect.objectContaining({
        path: join(world.cwd, '.aim', 'sdk_credentials.json'),
        format: 'plaintext',
        place: 'cwd',
        sdk: expect.objectContaining({ server: 'http://localhost:8080' }),
      }),
    ])
    expect(report.agents).toEqual([
      expect.objectContaining({
        path: join(world.home, '.aim', 'agents', 'support_bot.encrypted'),
        mode: '0600',
        agent: {
          name: 'support bot',
          agentId: agent.agent_id,
          status: 'verified',
          server: 'http://127.0.0.1:9',
        },
      }),
    ])
    expect(report.folders).toContainEqual({
      path: join(world.home, '.aim'),
      exists: true,
      mode: '0700',
      symlink: false,
    })

    expect(text.code).toBe(0)
    expect(text.stdout).toContain(`support bot (id ${agent.agent_id})`)
    expect(text.stdout).toContain('last rotation')
    expect(text.stdout).toMatch(/refresh token +expires .*\(in (23 h|1 d)\)/)
    expect(text.stdout).not.toMatch(ANSI)
    expectNoSecrets([text, json], [...secretsOf(sdk, agent, plaintext), (await keyringKey())!])
  })
})

describe('migrate', () => {
  async function plantPlaintext() {
    const files = {
      [join(world.home, '.aim', 'credentials.json')]: await sdkCredentials(),
      [join(world.home, '.aim', 'agents', 'alpha.json')]: agentCredentials('alpha'),
      [join(world.cwd, '.aim', 'sdk_credentials.json')]: await sdkCredentials(),
      [join(world.cwd, '.aim', 'agents', 'beta.json')]: agentCredentials('beta'),
    }
    for (const [path, credentials] of Object.entries(files)) {
      await new PlaintextCredentialStorage({ path }).saveCredentials(credentials)
    }
    return files
  }

  it('shows the plan on --dry-run and changes nothing', async () => {
    const files = await plantPlaintext()
    const before = await Promise.all(Object.keys(files).map((path) => readFile(path, 'utf8')))

    const result = await runCli(world, ['migrate', '--dry-run'])

    expect(result.code).toBe(0)
    expect(result.stdout).toContain('Dry run: 4 plaintext file(s) found; nothing was changed.')
    for (const path of Object.keys(files)) {
      expect(result.stdout).toContain(
        `would encrypt ${path} → ${path.replace(/json$/, 'encrypted')}`,
      )
    }
    const after = await Promise.all(Object.keys(files).map((path) => readFile(path, 'utf8')))
    expect(after).toEqual(before)
    expect(await readdir(join(world.home, '.aim'))).not.toContain('credentials.encrypted')
    expect(await keyringKey()).toBeNull()
    expectNoSecrets([result], secretsOf(...Object.values(files)))
  })

  it('encrypts SDK and agent files in home and cwd, verifies, removes the plaintext', async () => {
    const files = await plantPlaintext()

    const result = await runCli(world, ['migrate'])

    expect(result.code).toBe(0)
    expect(result.stdout).toContain('4 of 4 file(s) migrated.')
    for (const [path, credentials] of Object.entries(files)) {
      await expect(stat(path)).rejects.toMatchObject({ code: 'ENOENT' })
      const encrypted = path.replace(/json$/, 'encrypted')
      expect((await stat(encrypted)).mode & 0o777).toBe(0o600)
      expect(await secureAt(world, path).loadCredentials()).toEqual(credentials)
    }
    expectNoSecrets([result], [...secretsOf(...Object.values(files)), (await keyringKey())!])

    const again = await runCli(world, ['migrate'])
    expect(again.code).toBe(0)
    expect(again.stdout).toContain('nothing to migrate')
  })

  it('leaves a file others can read untouched, says how to fix it, and exits 1', async () => {
    const path = join(world.home, '.aim', 'credentials.json')
    const credentials = await sdkCredentials()
    await new PlaintextCredentialStorage({ path }).saveCredentials(credentials)
    await chmod(path, 0o644)
    const before = await readFile(path, 'utf8')

    const dryRun = await runCli(world, ['migrate', '--dry-run'])
    const result = await runCli(world, ['migrate'])

    expect(dryRun.stdout).toContain(`chmod 600 ${path}`)
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('ERR_INSECURE_PERMISSIONS')
    expect(result.stderr).toContain(`chmod 600 ${path}`)
    expect(await readFile(path, 'utf8')).toBe(before)
    expectNoSecrets([dryRun, result], secretsOf(credentials))
  })
})

describe('doctor', () => {
  it('passes on a healthy home, then names each finding with its fix', async () => {
    const sdkPath = join(world.home, '.aim', 'credentials.json')
    const sdk = await sdkCredentials()
    await secureAt(world, sdkPath).saveCredentials(sdk)
    const healthy = await runCli(world, ['doctor'])

    const encrypted = join(world.home, '.aim', 'credentials.encrypted')
    await chmod(encrypted, 0o644)
    await chmod(join(world.home, '.aim'), 0o755)
    const leftover = join(world.cwd, '.aim', 'credentials.json')
    const plain = await sdkCredentials()
    await new PlaintextCredentialStorage({ path: leftover }).saveCredentials(plain)
    const sick = await runCli(world, ['doctor'])
    const sickJson = await runCli(world, ['doctor', '--json'])

    expect(healthy.stdout).toMatch(/ok +keyring +secret-service stores, returns and deletes/)
    expect(healthy.stdout).toMatch(/ok +modes/)
    // The stored server (port 9 on loopback) refuses connections: that is the one finding.
    expect(healthy.stdout).toMatch(/problem +server +http:\/\/127\.0\.0\.1:9 cannot be reached/)
    expect(healthy.code).toBe(1)

    expect(sick.code).toBe(1)
    expect(sick.stdout).toContain(`${encrypted} is mode 0644`)
    expect(sick.stdout).toContain(`fix:      chmod 600 ${encrypted}`)
    expect(sick.stdout).toContain(`fix:      chmod 700 ${join(world.home, '.aim')}`)
    expect(sick.stdout).toContain(`${leftover} holds credentials in plaintext`)
    expect(sick.stdout).toContain('fix:      aim-credentials migrate')
    const report = JSON.parse(sickJson.stdout)
    expect(report.ok).toBe(false)
    expect(
      report.results.filter((each: { ok: boolean }) => !each.ok).length,
    ).toBeGreaterThanOrEqual(4)

    // The throwaway entry is gone again: only the key is stored under the service.
    const items = await listAccounts(world.service)
    expect(items).toEqual(['encryption-key'])
    expectNoSecrets([healthy, sick, sickJson], [...secretsOf(sdk, plain), (await keyringKey())!])
  })

  plainIt('reports a missing keyring with its remedies and exits 1', async () => {
    const env = { ...world.env }
    delete env.DBUS_SESSION_BUS_ADDRESS

    const result = await runCli(world, ['doctor'], env)

    expect(result.code).toBe(1)
    expect(result.stdout).toMatch(/problem +keyring +ERR_KEYRING_UNAVAILABLE/)
    expect(result.stdout).toContain('gnome-keyring')
    expect(result.stdout).toContain('AIM_ENCRYPTION_KEY')
  })

  plainIt('with AIM_ENCRYPTION_KEY checks the key is well formed, never printing it', async () => {
    const key = 'x'.repeat(30)
    const result = await runCli(world, ['doctor'], { ...world.env, AIM_ENCRYPTION_KEY: key })

    expect(result.code).toBe(1)
    expect(result.stdout).toContain('AIM_ENCRYPTION_KEY is set but is not a Fernet key')
    expect(result.stdout + result.stderr).not.toContain(key)
  })
})

async function listAccounts(service: string): Promise<string[]> {
  const { findCredentialsAsync } = await import('@napi-rs/keyring')
  const found = await findCredentialsAsync(service)
  return found.map((each) => each.account).sort()
}
