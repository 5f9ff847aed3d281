// Finds every credentials file the commands deal with, encrypted or plaintext, SDK or agent, in
// `~/.aim` and `./.aim`, with its mode: what `status`, `doctor` and `rotate-key` look at.

import { join, resolve } from 'node:path'

import { listFolder, lstatIfPresent } from '../credential-paths.ts'
import type { CliSettings } from './settings.ts'

/** Which `.aim` folder a file is in. */
export type Place = 'home' | 'cwd' | 'included'

/** One credentials file found on disk. */
export interface CredentialFile {
  path: string
  kind: 'sdk' | 'agent'
  format: 'encrypted' | 'plaintext'
  place: Place
  /** Permission bits, e.g. `0o600`. */
  mode: number
  symlink: boolean
}

/** One folder that holds (or would hold) credentials. */
export interface CredentialFolder {
  path: string
  place: Place
  exists: boolean
  mode: number | undefined
  symlink: boolean
}

/** Everything found. */
export interface CredentialInventory {
  folders: CredentialFolder[]
  files: CredentialFile[]
}

/** The SDK credentials file names, plaintext first, as the Python SDK has used them. */
export const SDK_FILE_NAMES = [
  'credentials.json',
  'credentials.encrypted',
  'sdk_credentials.json',
  'sdk_credentials.encrypted',
]

/**
 * The `.aim` folders to look in: home first, then the current folder, then any included ones,
 * each once.
 */
export function aimFolders(settings: CliSettings): { path: string; place: Place }[] {
  const candidates: { path: string; place: Place }[] = [
    { path: resolve(settings.home, '.aim'), place: 'home' },
    { path: resolve(settings.cwd, '.aim'), place: 'cwd' },
    ...settings.include.map((folder) => ({
      path: resolve(folder, '.aim'),
      place: 'included' as const,
    })),
  ]
  const seen = new Set<string>()
  return candidates.filter(({ path }) => !seen.has(path) && seen.add(path))
}

/**
 * Lists the credentials files and their folders. A folder that does not exist is listed with
 * `exists: false`; its files are simply absent.
 *
 * @throws {AimCredentialsError} `ERR_STORAGE_FAILED` when a folder exists but cannot be read.
 */
export async function findCredentialFiles(settings: CliSettings): Promise<CredentialInventory> {
  const inventory: CredentialInventory = { folders: [], files: [] }

  for (const { path: folder, place } of aimFolders(settings)) {
    const agents = join(folder, 'agents')
    for (const path of [folder, agents]) {
      const stats = await lstatIfPresent(path)
      inventory.folders.push({
        path,
        place,
        exists: stats !== undefined,
        mode: stats ? stats.mode & 0o777 : undefined,
        symlink: stats?.isSymbolicLink() ?? false,
      })
    }

    for (const name of SDK_FILE_NAMES) {
      const file = await describeFile(join(folder, name), 'sdk', place)
      if (file) inventory.files.push(file)
    }
    for (const name of (await listFolder(agents)).sort()) {
      if (!name.endsWith('.json') && !name.endsWith('.encrypted')) continue
      const file = await describeFile(join(agents, name), 'agent', place)
      if (file) inventory.files.push(file)
    }
  }
  return inventory
}

async function describeFile(
  path: string,
  kind: CredentialFile['kind'],
  place: Place,
): Promise<CredentialFile | undefined> {
  const stats = await lstatIfPresent(path)
  if (!stats || !(stats.isFile() || stats.isSymbolicLink())) return undefined
  return {
    path,
    kind,
    format: path.endsWith('.encrypted') ? 'encrypted' : 'plaintext',
    place,
    mode: stats.mode & 0o777,
    symlink: stats.isSymbolicLink(),
  }
}

/** A mode as the four octal digits `chmod` takes, e.g. `0600`. */
export function formatMode(mode: number): string {
  return `0${mode.toString(8).padStart(3, '0')}`
}

/** The plaintext path a storage is built on, for an encrypted or plaintext file. */
export function storagePathOf(file: CredentialFile): string {
  return file.format === 'encrypted' ? file.path.replace(/\.encrypted$/, '.json') : file.path
}
