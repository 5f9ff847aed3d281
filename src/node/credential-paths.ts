// Where credentials live on disk, as the Python SDK lays them out: ~/.aim/credentials.json and its
// encrypted twin, the newer sdk_credentials.json, one file per agent under agents/, and the same
// names under ./.aim/ inside a downloaded SDK.

import type { Stats } from 'node:fs'
import { lstat, readdir } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'

import type { PlaintextSearchOptions } from '../core/storage.ts'
import { isMissing, storageError } from './files.ts'

/** The default plaintext credentials path, `~/.aim/credentials.json`. */
export function defaultCredentialsPath(): string {
  return join(homedir(), '.aim', 'credentials.json')
}

/** The encrypted twin of a plaintext path: `.json` replaced by `.encrypted` (or appended). */
export function encryptedPathOf(plaintextPath: string): string {
  const base = plaintextPath.endsWith('.json')
    ? plaintextPath.slice(0, -'.json'.length)
    : plaintextPath
  return `${base}.encrypted`
}

const SDK_FILE_NAMES = ['credentials.json', 'sdk_credentials.json']

/**
 * Lists every plaintext credentials file the Python SDK may have left: `credentials.json`,
 * `sdk_credentials.json` and `agents/*.json` under `~/.aim/` and under `./.aim/`. Symbolic links
 * are listed too (the storage refuses to use them, so the caller should see them).
 *
 * @param options.home - the home folder, default the user's.
 * @param options.cwd - the working folder, default the process's.
 * @returns absolute paths, home first, without duplicates.
 * @throws {AimCredentialsError} `ERR_STORAGE_FAILED` when a folder exists but cannot be read.
 *
 * @example
 * ```ts
 * for (const path of await findPlaintextCredentialFiles()) {
 *   await new SecureCredentialStorage({ path }).migrateToEncrypted()
 * }
 * ```
 */
export async function findPlaintextCredentialFiles(
  options?: PlaintextSearchOptions,
): Promise<string[]> {
  const folders = new Set([
    resolve(options?.home ?? homedir(), '.aim'),
    resolve(options?.cwd ?? process.cwd(), '.aim'),
  ])

  const found: string[] = []
  for (const folder of folders) {
    for (const name of SDK_FILE_NAMES) {
      if (await isFileOrLink(join(folder, name))) found.push(join(folder, name))
    }

    const agents = join(folder, 'agents')
    for (const name of (await listFolder(agents)).sort()) {
      if (name.endsWith('.json') && (await isFileOrLink(join(agents, name)))) {
        found.push(join(agents, name))
      }
    }
  }
  return found
}

async function isFileOrLink(path: string): Promise<boolean> {
  const stats = await lstatIfPresent(path)
  return stats !== undefined && (stats.isFile() || stats.isSymbolicLink())
}

/**
 * The `lstat` of a path, or `undefined` when it (or a folder on the way) does not exist.
 *
 * @throws {AimCredentialsError} `ERR_STORAGE_FAILED` for any other failure.
 */
export async function lstatIfPresent(path: string): Promise<Stats | undefined> {
  try {
    return await lstat(path)
  } catch (error) {
    if (isMissing(error) || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined
    throw storageError('check', path, error)
  }
}

/**
 * The names in a folder, or none when it does not exist.
 *
 * @throws {AimCredentialsError} `ERR_STORAGE_FAILED` when it exists but cannot be read.
 */
export async function listFolder(folder: string): Promise<string[]> {
  try {
    return await readdir(folder)
  } catch (error) {
    if (isMissing(error) || (error as NodeJS.ErrnoException).code === 'ENOTDIR') return []
    throw storageError('list', folder, error)
  }
}
