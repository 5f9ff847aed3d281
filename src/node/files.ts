// Careful file access for credentials: atomic writes of 0600 files into 0700 folders, reads that
// refuse symlinks and (for plaintext) files that others can read, and a best-effort overwrite
// before a plaintext file is removed.

import { randomBytes } from 'node:crypto'
import { constants } from 'node:fs'
import { lstat, mkdir, open, readdir, rename, unlink } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'

import { AimCredentialsError } from '../core/errors.ts'

const IS_WINDOWS = process.platform === 'win32'

// O_NOFOLLOW makes the kernel refuse a symlink at the last path component even if one appears
// between our lstat and our open. Windows has no such flag (and no POSIX symlinks by default).
const NO_FOLLOW = constants.O_NOFOLLOW ?? 0

/** Whether a path exists, without following a symlink at it. */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await lstat(path)
    return true
  } catch (error) {
    if (isMissing(error)) return false
    throw storageError('check', path, error)
  }
}

/** Whether `error` says that a file or folder does not exist. */
export function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT'
}

/**
 * Reads a credentials file as UTF-8 text, or returns `undefined` when it does not exist.
 *
 * @param options.private - also refuse a file that group or others may read (plaintext files).
 * @throws {AimCredentialsError} `ERR_SYMLINK_REFUSED`, `ERR_INSECURE_PERMISSIONS`,
 *   `ERR_STORAGE_FAILED`.
 */
export async function readCredentialFile(
  path: string,
  options: { private: boolean },
): Promise<string | undefined> {
  await refuseSymlink(path)

  let handle
  try {
    handle = await open(path, constants.O_RDONLY | NO_FOLLOW)
  } catch (error) {
    if (isMissing(error)) return undefined
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') throw symlinkRefused(path)
    throw storageError('read', path, error)
  }

  try {
    const stats = await handle.stat()
    if (options.private && !IS_WINDOWS && (stats.mode & 0o077) !== 0) {
      throw new AimCredentialsError(
        'ERR_INSECURE_PERMISSIONS',
        `${path} holds plaintext credentials that other users can access ` +
          `(mode ${(stats.mode & 0o777).toString(8)}); run \`chmod 600 ${path}\` and try again`,
      )
    }
    return await handle.readFile({ encoding: 'utf8' })
  } catch (error) {
    if (error instanceof AimCredentialsError) throw error
    throw storageError('read', path, error)
  } finally {
    await handle.close()
  }
}

/**
 * Replaces a file atomically: the text goes into a temporary 0600 file in the same folder (created
 * with that mode, never widened), which is flushed and renamed over the target; then the folder is
 * flushed. A crash at any point leaves the old content or the new one, never a mix. Missing folders
 * are created with mode 0700.
 *
 * @throws {AimCredentialsError} `ERR_SYMLINK_REFUSED`, `ERR_STORAGE_FAILED`.
 */
export async function writeFileAtomically(path: string, text: string): Promise<void> {
  const folder = dirname(path)
  try {
    await mkdir(folder, { recursive: true, mode: 0o700 })
  } catch (error) {
    throw storageError('create the folder of', path, error)
  }
  await refuseSymlink(path)
  await removeAbandonedTemporaryFiles(path)

  const temporary = join(folder, `${temporaryPrefix(path)}${process.pid}.${randomHex()}.tmp`)
  try {
    const handle = await open(temporary, 'wx', 0o600)
    try {
      await handle.writeFile(text, { encoding: 'utf8' })
      await handle.sync()
    } finally {
      await handle.close()
    }
    await rename(temporary, path)
  } catch (error) {
    await unlink(temporary).catch(() => {
      // The temporary file may never have been created; either way the target is untouched.
    })
    throw storageError('write', path, error)
  }

  await syncFolder(folder)
}

/**
 * Overwrites a file's bytes with zeros, flushes, and removes it. Returns whether a file was there.
 *
 * > [!WARNING]
 * > On SSDs (wear levelling), copy-on-write file systems (btrfs, ZFS, APFS), journaling with data
 * > mode, snapshots and backups, the old bytes may survive elsewhere on the device. The overwrite
 * > only removes the copy the file system still points at.
 *
 * @throws {AimCredentialsError} `ERR_SYMLINK_REFUSED`, `ERR_STORAGE_FAILED`.
 */
export async function overwriteAndRemove(path: string): Promise<boolean> {
  await refuseSymlink(path)

  let handle
  try {
    handle = await open(path, constants.O_RDWR | NO_FOLLOW)
  } catch (error) {
    if (isMissing(error)) return false
    throw storageError('remove', path, error)
  }

  try {
    const { size } = await handle.stat()
    if (size > 0) await handle.write(new Uint8Array(size), 0, size, 0)
    await handle.sync()
  } catch (error) {
    throw storageError('overwrite', path, error)
  } finally {
    await handle.close()
  }

  await removeFile(path)
  return true
}

/**
 * Removes a file if it is there; returns whether it was. Refuses a path whose folder is a link,
 * which would remove a file elsewhere, and a link at the path itself, like every other access.
 *
 * @throws {AimCredentialsError} `ERR_SYMLINK_REFUSED`, `ERR_STORAGE_FAILED`.
 */
export async function removeFile(path: string): Promise<boolean> {
  await refuseSymlink(path)

  try {
    await unlink(path)
  } catch (error) {
    if (isMissing(error)) return false
    throw storageError('remove', path, error)
  }
  await syncFolder(dirname(path))
  return true
}

/**
 * Throws `ERR_SYMLINK_REFUSED` when the path, or the folder that holds it, is a symbolic link: a
 * link there would send credentials to (or read them from) wherever it points.
 *
 * > [!WARNING]
 * > The folder is checked just before use, not atomically with it (Node has no `openat`): a folder
 * > replaced by a link in between is not caught. The file itself is also opened with O_NOFOLLOW.
 */
export async function refuseSymlink(path: string): Promise<void> {
  for (const each of [dirname(path), path]) {
    let isLink = false
    try {
      isLink = (await lstat(each)).isSymbolicLink()
    } catch (error) {
      if (isMissing(error)) continue
      throw storageError('check', each, error)
    }
    if (isLink) throw symlinkRefused(each)
  }
}

function symlinkRefused(path: string): AimCredentialsError {
  return new AimCredentialsError(
    'ERR_SYMLINK_REFUSED',
    `${path} is a symbolic link; credentials are never read or written through a link. ` +
      'Replace it with a regular file or folder (or remove it) and try again',
  )
}

/** A storage failure naming the path and the operation, with the system error as its cause. */
export function storageError(operation: string, path: string, cause: unknown): AimCredentialsError {
  const reason = (cause as NodeJS.ErrnoException | undefined)?.code ?? 'unknown error'
  return new AimCredentialsError(
    'ERR_STORAGE_FAILED',
    `Could not ${operation} ${path} (${reason}); check that the folder exists, is writable by ` +
      'this user and has free space',
    { cause },
  )
}

// Temporary files are named after their target and their writer's pid, so that one left by a
// process killed mid-write can be recognised and removed by the next writer.
function temporaryPrefix(path: string): string {
  return `.${basename(path)}.`
}

async function removeAbandonedTemporaryFiles(path: string): Promise<void> {
  const prefix = temporaryPrefix(path)
  let names: string[]
  try {
    names = await readdir(dirname(path))
  } catch {
    // Cleaning up is a courtesy; the write itself will report a folder it cannot use.
    return
  }

  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue
    const pid = Number(name.slice(prefix.length).split('.')[0])
    if (!Number.isSafeInteger(pid) || pid === process.pid || isProcessAlive(pid)) continue
    await unlink(join(dirname(path), name)).catch(() => {
      // Another writer removed it first, which is just as good.
    })
  }
}

/** Whether a process with this pid runs on this machine (a pid we may not signal counts). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

async function syncFolder(folder: string): Promise<void> {
  // Windows cannot open a folder for flushing; NTFS makes the rename durable on its own.
  if (IS_WINDOWS) return
  try {
    const handle = await open(folder, 'r')
    try {
      await handle.sync()
    } finally {
      await handle.close()
    }
  } catch (error) {
    throw storageError('flush the folder of', folder, error)
  }
}

function randomHex(): string {
  return randomBytes(6).toString('hex')
}
