// The checks `aim-credentials doctor` runs. Each returns results that say what was found and, for
// a problem, the command or step that fixes it. No check prints, and none shows a secret.

import { randomBytes } from 'node:crypto'

import { parseServerUrl } from '../../core/server-url.ts'
import { Fernet } from '../fernet-node.ts'
import { keyringBackend, deleteKeyringKey, readKeyringKey, storeKeyringKey } from '../keyring.ts'
import { failureOf, summarizeFile, type FileSummary } from './credential-summary.ts'
import { readKeyState } from './key-state.ts'
import { formatMode, type CredentialFile, type CredentialInventory } from './locations.ts'
import { keyFromEnvironment, mainKeyItem, type CliSettings } from './settings.ts'

/** One thing doctor looked at. */
export interface CheckResult {
  /** The area: `keyring`, `key`, `file`, `folder`, `plaintext`, `token`, `server`, `clock`. */
  check: string
  ok: boolean
  message: string
  /** For a problem: what to run or do. */
  fix?: string
}

/** Clock skew beyond this many seconds is a problem: signed agent requests allow ±30 s. */
export const MAX_CLOCK_SKEW_SECONDS = 10

const SERVER_TIMEOUT_MS = 5_000

/** Writes, reads and deletes a throwaway entry in the keyring, under a unique account. */
export async function checkKeyring(settings: CliSettings): Promise<CheckResult[]> {
  const backend = keyringBackend()
  if (keyFromEnvironment(settings)) {
    try {
      await Fernet.fromKey((settings.env.AIM_ENCRYPTION_KEY ?? '').trim())
      return [ok('key', 'AIM_ENCRYPTION_KEY holds a valid Fernet key; the keyring is not used')]
    } catch {
      // The value is secret: say only that it is malformed.
      return [
        problem(
          'key',
          'AIM_ENCRYPTION_KEY is set but is not a Fernet key (44 characters of URL-safe base64)',
          'set it to a key made by Fernet.generateKey(), or unset it to use the OS keyring',
        ),
      ]
    }
  }

  const probe = {
    ...mainKeyItem(settings),
    account: `doctor-probe-${process.pid}-${randomBytes(6).toString('hex')}`,
  }
  const value = randomBytes(16).toString('hex')
  try {
    await storeKeyringKey(probe, value)
    const back = await readKeyringKey(probe)
    await deleteKeyringKey(probe)
    if (back !== value) {
      return [
        problem(
          'keyring',
          `the ${backend} keyring did not return the entry just stored`,
          'restart the keyring service (e.g. gnome-keyring-daemon), or set AIM_ENCRYPTION_KEY',
        ),
      ]
    }
  } catch (error) {
    const failure = failureOf(error)
    return [problem('keyring', `${failure.code}: ${failure.message}`, keyringRemedy(failure.code))]
  }

  const results = [ok('keyring', `${backend} stores, returns and deletes entries`)]
  const keys = await readKeyState(settings)
  if (keys.pendingKey) {
    results.push(
      problem(
        'key',
        'a rotation was interrupted: a pending key is stored next to the main one',
        'run `aim-credentials rotate-key` to finish it',
      ),
    )
  }
  return results
}

function keyringRemedy(code: string): string {
  if (code === 'ERR_KEYRING_LOCKED') return 'unlock the login keyring, then run doctor again'
  if (code === 'ERR_KEYRING_BINDING_MISSING') {
    return 'reinstall with optional dependencies (npm install --include=optional)'
  }
  return (
    'start a Secret Service in this session (gnome-keyring or KeePassXC; on a server: ' +
    '`dbus-run-session -- gnome-keyring-daemon --unlock`), or set AIM_ENCRYPTION_KEY from your ' +
    'secret manager'
  )
}

/** Checks that files are 0600, folders 0700, and nothing is a symbolic link. */
export function checkModes(inventory: CredentialInventory): CheckResult[] {
  const results: CheckResult[] = []
  if (process.platform === 'win32') return results

  for (const folder of inventory.folders) {
    if (!folder.exists || folder.mode === undefined) continue
    if (folder.symlink) {
      results.push(
        problem('folder', `${folder.path} is a symbolic link`, 'replace it with a folder'),
      )
    } else if ((folder.mode & 0o077) !== 0) {
      results.push(
        problem(
          'folder',
          `${folder.path} is mode ${formatMode(folder.mode)}: other users can look inside`,
          `chmod 700 ${folder.path}`,
        ),
      )
    }
  }

  for (const file of inventory.files) {
    if (file.symlink) {
      results.push(
        problem('file', `${file.path} is a symbolic link`, 'replace it with a regular file'),
      )
    } else if ((file.mode & 0o077) !== 0) {
      results.push(
        problem(
          'file',
          `${file.path} is mode ${formatMode(file.mode)}: other users can read it`,
          `chmod 600 ${file.path}`,
        ),
      )
    }
  }

  if (results.length === 0) results.push(ok('modes', 'files are 0600 and folders 0700'))
  return results
}

/** Flags plaintext credentials files left behind. */
export function checkPlaintext(inventory: CredentialInventory): CheckResult[] {
  const plaintext = inventory.files.filter((file) => file.format === 'plaintext')
  if (plaintext.length === 0) return [ok('plaintext', 'no plaintext credentials files')]
  return plaintext.map((file) =>
    problem('plaintext', `${file.path} holds credentials in plaintext`, 'aim-credentials migrate'),
  )
}

/** Reads every file (encrypted ones with the stored key) and flags expired refresh tokens. */
export async function checkFiles(
  files: CredentialFile[],
  settings: CliSettings,
): Promise<{ results: CheckResult[]; summaries: FileSummary[] }> {
  const results: CheckResult[] = []
  const summaries: FileSummary[] = []

  for (const file of files) {
    const summary = await summarizeFile(file, settings)
    summaries.push(summary)
    if (summary.error && summary.error.code !== 'ERR_INSECURE_PERMISSIONS') {
      results.push(problem('file', `${file.path}: ${summary.error.code}`, summary.error.message))
    }
    if (summary.sdk?.refreshToken?.expired) {
      results.push(
        problem(
          'token',
          `the refresh token in ${file.path} expired at ${summary.sdk.refreshToken.expiresAt}`,
          'sign in again: download new SDK credentials from the AIM dashboard and save them',
        ),
      )
    }
  }
  if (files.length > 0 && results.length === 0) {
    results.push(ok('files', `${files.length} credentials file(s) open and hold live tokens`))
  }
  return { results, summaries }
}

/**
 * Asks the server for its time (the HTTP `Date` header of any answer) and compares it with this
 * machine's clock.
 */
export async function checkServer(url: string, now = () => Date.now()): Promise<CheckResult[]> {
  let server: URL
  try {
    server = parseServerUrl(url)
  } catch (error) {
    return [problem('server', failureOf(error).message, 'store credentials for an HTTPS server')]
  }

  const sent = now()
  let response: Response
  try {
    response = await fetch(server, {
      method: 'GET',
      redirect: 'manual',
      signal: AbortSignal.timeout(SERVER_TIMEOUT_MS),
    })
    await response.body?.cancel()
  } catch (error) {
    const reason = error instanceof Error && error.name === 'TimeoutError' ? 'timed out' : 'refused'
    return [
      problem(
        'server',
        `${server.origin} cannot be reached (${reason})`,
        'check the URL in the credentials, the network and any proxy, or that the server runs',
      ),
    ]
  }
  const received = now()

  const results = [ok('server', `${server.origin} answers (HTTP ${response.status})`)]
  const date = response.headers.get('date')
  const serverTime = date ? Date.parse(date) : Number.NaN
  if (Number.isNaN(serverTime)) {
    results.push(ok('clock', `${server.origin} sent no Date header; clock skew not measured`))
    return results
  }

  // The Date header has one-second resolution: compare with the middle of the round trip.
  const skew = Math.round((serverTime - (sent + received) / 2) / 1000)
  if (Math.abs(skew) > MAX_CLOCK_SKEW_SECONDS) {
    const direction = skew > 0 ? 'behind' : 'ahead of'
    results.push(
      problem(
        'clock',
        `this machine's clock is ${Math.abs(skew)} s ${direction} ${server.origin}'s (signed ` +
          `requests allow ±30 s, token refresh 60 s)`,
        'turn on time synchronisation (`timedatectl set-ntp true`, or your OS date settings)',
      ),
    )
  } else {
    results.push(ok('clock', `clock within ${MAX_CLOCK_SKEW_SECONDS} s of ${server.origin}'s`))
  }
  return results
}

function ok(check: string, message: string): CheckResult {
  return { check, ok: true, message }
}

function problem(check: string, message: string, fix: string): CheckResult {
  return { check, ok: false, message, fix }
}
