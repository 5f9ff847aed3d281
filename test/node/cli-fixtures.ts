// What the CLI tests share: a throwaway world (HOME, a current folder, a keyring service), running
// `aim-credentials` as a child process in it, credentials with real JWTs, and the check that no
// secret ever reaches the output.

import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { randomBytes, randomUUID } from 'node:crypto'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { SignJWT } from 'jose'
import { expect } from 'vitest'

import { SecureCredentialStorage } from '../../src/node/index.ts'
import { ROOT, temporaryHome, uniqueService, type ChildResult } from './storage-fixtures.ts'

const CLI_SOURCE = join(ROOT, 'src/node/cli/main.ts')
// The bundle sits inside the project so that the native keyring package resolves from it.
const BUNDLE_FOLDER = join(ROOT, 'node_modules/.cache/aim-cli-test')
const BUNDLE = join(BUNDLE_FOLDER, `cli-${process.pid}-${randomBytes(4).toString('hex')}.mjs`)

let bundled: Promise<string> | undefined

/**
 * The CLI from source, bundled once per test process with esbuild (as tsx would compile it, but
 * started in a quarter of a second instead of two: the kill tests start it many times).
 */
function cliProgram(): Promise<string> {
  bundled ??= (async () => {
    const { build } = await import('esbuild')
    await mkdir(BUNDLE_FOLDER, { recursive: true })
    await build({
      entryPoints: [CLI_SOURCE],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outfile: BUNDLE,
      external: ['@napi-rs/keyring'],
      logLevel: 'error',
    })
    return BUNDLE
  })()
  return bundled
}

/** Removes this process's bundle; call from `afterAll`. */
export async function removeCliProgram(): Promise<void> {
  await rm(BUNDLE, { force: true })
}

/** A temporary HOME (also this process's), a temporary current folder and a keyring service. */
export interface CliWorld {
  home: string
  cwd: string
  service: string
  env: NodeJS.ProcessEnv
  remove(): Promise<void>
}

/** Makes a world; `remove()` deletes the folders and the keyring items of its service. */
export async function cliWorld(label: string): Promise<CliWorld> {
  const { home, remove: removeHome } = await temporaryHome()
  const cwd = await mkdtemp(join(tmpdir(), 'aim-cli-cwd-'))
  const service = uniqueService(`cli-${label}`)

  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, AIM_KEYRING_SERVICE: service }
  delete env.AIM_ENCRYPTION_KEY
  delete env.NO_COLOR
  delete env.FORCE_COLOR

  return {
    home,
    cwd,
    service,
    env,
    remove: async () => {
      for (const account of ['encryption-key', 'encryption-key.next']) {
        spawnSync('secret-tool', ['clear', 'service', service, 'username', account])
      }
      await rm(cwd, { recursive: true, force: true })
      await removeHome()
    },
  }
}

/** Runs `aim-credentials` with `args` in the world's current folder; never rejects. */
export function runCli(
  world: CliWorld,
  args: string[],
  env: NodeJS.ProcessEnv = world.env,
): Promise<ChildResult> {
  return cliProgram().then((program) => runProgram(program, world, args, env))
}

function runProgram(
  program: string,
  world: CliWorld,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<ChildResult> {
  return runProgramFile(process.execPath, [program, ...args], world, env)
}

function runProgramFile(
  file: string,
  args: string[],
  world: CliWorld,
  env: NodeJS.ProcessEnv,
): Promise<ChildResult> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd: world.cwd, env, timeout: 60_000 }, (error, stdout, stderr) => {
      const failure = error as (Error & { code?: number | string; signal?: NodeJS.Signals }) | null
      resolve({
        code: failure ? (typeof failure.code === 'number' ? failure.code : null) : 0,
        signal: failure?.signal ?? null,
        stdout,
        stderr,
      })
    })
  })
}

/** Whether `script` (util-linux) can give the CLI a terminal. */
export const hasScript = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0

/**
 * Runs `aim-credentials` with a pseudo-terminal as stdout and stderr (through `script`), to see
 * what a user at a terminal sees.
 */
export async function runCliInTerminal(
  world: CliWorld,
  args: string[],
  env: NodeJS.ProcessEnv = world.env,
): Promise<ChildResult> {
  const quote = (word: string) => `'${word.replace(/'/g, `'\\''`)}'`
  const command = [process.execPath, await cliProgram(), ...args].map(quote).join(' ')
  return runProgramFile('script', ['-qec', command, '/dev/null'], world, env)
}

/** Starts `aim-credentials` without waiting, for tests that kill it. */
export async function startCli(
  world: CliWorld,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<ChildProcess> {
  return spawn(process.execPath, [await cliProgram(), ...args], {
    cwd: world.cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
}

/** A signed JWT with `iat` and `exp` like the AIM server's; the secret is thrown away. */
export async function makeToken(
  typ: 'sdk' | 'refresh' | 'access',
  times: { iat: number; exp: number },
): Promise<string> {
  return new SignJWT({ typ, sub: randomUUID(), sid: randomUUID() })
    .setProtectedHeader({ alg: 'HS256' })
    .setJti(randomUUID())
    .setIssuedAt(times.iat)
    .setExpirationTime(times.exp)
    .sign(randomBytes(32))
}

/** SDK credentials in the current camelCase format, with a live refresh token. */
export async function sdkCredentials(
  aimUrl = 'http://127.0.0.1:9',
  times = {
    iat: Math.floor(Date.now() / 1000) - 3600,
    exp: Math.floor(Date.now() / 1000) + 86_400,
  },
): Promise<Record<string, unknown>> {
  return {
    schemaVersion: '1.0',
    type: 'sdk_oauth',
    aimUrl,
    refreshToken: await makeToken('sdk', times),
    sdkTokenId: randomUUID(),
    userId: randomUUID(),
    email: 'ada@example.com',
    accessToken: await makeToken('access', { iat: times.iat, exp: times.iat + 7200 }),
  }
}

/** Agent credentials as the Python SDK writes them (snake_case). */
export function agentCredentials(name: string): Record<string, unknown> {
  return {
    schemaVersion: '1.0',
    type: 'agent',
    name,
    agent_id: randomUUID(),
    public_key: randomBytes(32).toString('base64'),
    private_key: randomBytes(64).toString('base64'),
    aim_url: 'http://127.0.0.1:9',
    status: 'verified',
    trust_score: 0.9,
  }
}

/** A secure storage at `path` (the plaintext path) under the world's keyring service. */
export function secureAt(world: CliWorld, path: string): SecureCredentialStorage {
  return new SecureCredentialStorage({ path, keyringService: world.service })
}

/** Every string value of the given credentials that is a secret. */
export function secretsOf(...records: Record<string, unknown>[]): string[] {
  const names = ['refreshToken', 'accessToken', 'refresh_token', 'access_token', 'private_key']
  return records.flatMap((record) =>
    names.map((name) => record[name]).filter((value): value is string => typeof value === 'string'),
  )
}

/** Asserts that no secret (and no part of a JWT's signature) appears in any output. */
export function expectNoSecrets(outputs: ChildResult[], secrets: string[]): void {
  const text = outputs.map((each) => `${each.stdout}\n${each.stderr}`).join('\n')
  for (const secret of secrets) {
    expect(secret.length).toBeGreaterThan(20)
    expect(text).not.toContain(secret)
    const signature = secret.split('.').at(-1)!
    if (signature.length > 20) expect(text).not.toContain(signature)
  }
}
