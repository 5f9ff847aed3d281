// What every command needs to know about where it works: the home and current folders, and the
// keyring service that holds the key. Read once from the options and the environment.

import { homedir } from 'node:os'
import { resolve } from 'node:path'

import { DEFAULT_KEYRING_SERVICE, DEFAULT_KEYRING_TIMEOUT_MS, KEYRING_ACCOUNT } from '../keyring.ts'
import type { KeyringItem } from '../keyring.ts'
import type { OptionValues } from './arguments.ts'

/** Where a command works. */
export interface CliSettings {
  /** The user's home folder; credentials live in its `.aim` folder. */
  home: string
  /** The current folder; a downloaded SDK keeps credentials in its `.aim` folder. */
  cwd: string
  /** More project folders whose `.aim` folders to include (rotate-key's `--include`). */
  include: string[]
  /** The OS keyring service that holds the key. */
  keyringService: string
  /** The bound on one keyring call, in milliseconds. */
  keyringTimeoutMs: number
  /** The environment the command runs in. */
  env: Record<string, string | undefined>
}

/** The environment variable that chooses the keyring service for the CLI. */
export const KEYRING_SERVICE_VARIABLE = 'AIM_KEYRING_SERVICE'

/** Reads the settings from the parsed options and the environment. */
export function readSettings(
  values: OptionValues,
  env: Record<string, string | undefined>,
): CliSettings {
  const fromOption = values['keyring-service']
  const service =
    typeof fromOption === 'string' && fromOption !== ''
      ? fromOption
      : env[KEYRING_SERVICE_VARIABLE] || DEFAULT_KEYRING_SERVICE

  return {
    home: homedir(),
    cwd: resolve(process.cwd()),
    include: [],
    keyringService: service,
    keyringTimeoutMs: DEFAULT_KEYRING_TIMEOUT_MS,
    env,
  }
}

/** The keyring item of the main key. */
export function mainKeyItem(settings: CliSettings): KeyringItem {
  return {
    service: settings.keyringService,
    account: KEYRING_ACCOUNT,
    timeoutMs: settings.keyringTimeoutMs,
  }
}

/** Whether the key comes from AIM_ENCRYPTION_KEY rather than the keyring. */
export function keyFromEnvironment(settings: CliSettings): boolean {
  return settings.env.AIM_ENCRYPTION_KEY !== undefined
}
