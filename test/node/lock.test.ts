// The cross-process lock and the atomic writes under kill -9: a lock whose holder was killed is
// recovered, two live holders never meet, and a write killed at any moment leaves the old or the
// new credentials. The key comes from AIM_ENCRYPTION_KEY: no keyring is needed here.

import { spawn, type ChildProcess } from 'node:child_process'
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'

import { afterEach, beforeEach, describe, expect, it } from 'vitest'

import { Fernet, SecureCredentialStorage } from '../../src/node/index.ts'
import { ROOT, WORKERS, temporaryHome } from './storage-fixtures.ts'

const KEY = Fernet.generateKey()

let home: string
let removeHome: () => Promise<void>
const children: ChildProcess[] = []

beforeEach(async () => {
  ;({ home, remove: removeHome } = await temporaryHome())
})
afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL')
  await removeHome()
})

/** A worker whose output lines can be awaited while it runs. */
function startWorker(mode: string, options: object) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(WORKERS, 'storage-worker.ts'), mode, JSON.stringify(options)],
    { cwd: ROOT, env: { ...process.env, HOME: home, AIM_ENCRYPTION_KEY: KEY } },
  )
  children.push(child)
  const lines: string[] = []
  let pending = ''
  child.stdout.on('data', (chunk: Buffer) => {
    pending += chunk.toString()
    const parts = pending.split('\n')
    pending = parts.pop()!
    lines.push(...parts)
  })
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))

  async function waitForLines(count: number): Promise<void> {
    while (lines.length < count) {
      if (child.exitCode !== null) throw new Error(`worker exited early: ${lines.join(' | ')}`)
      await sleep(10)
    }
  }
  return { child, lines, exited, waitForLines }
}

describe('the cross-process lock', () => {
  it('is recovered from a holder killed with kill -9 while holding it', async () => {
    const lockPath = join(home, 'credentials.encrypted.lock')
    const holder = startWorker('hold-lock', { lockPath, times: 1, holdMs: 60_000 })
    await holder.waitForLines(1)
    holder.child.kill('SIGKILL')
    await holder.exited
    expect((await stat(lockPath)).isFile()).toBe(true)

    const next = startWorker('hold-lock', { lockPath, times: 1, holdMs: 10 })
    expect(await next.exited).toBe(0)
    expect(next.lines).toEqual(['held'])
    await expect(stat(lockPath)).rejects.toMatchObject({ code: 'ENOENT' })
  })

  it('never lets two live holders in, while holders are being killed', async () => {
    const lockPath = join(home, 'credentials.encrypted.lock')
    const workers = Array.from({ length: 4 }, () =>
      startWorker('hold-lock', { lockPath, times: 8, holdMs: 10 }),
    )
    const victims = Array.from({ length: 2 }, () =>
      startWorker('hold-lock', { lockPath, holdMs: 10 }),
    )

    // Kill each victim at some point after it has held the lock a few times, likely inside it.
    for (const victim of victims) {
      await victim.waitForLines(2 + Math.floor(Math.random() * 3))
      await sleep(Math.random() * 15)
      victim.child.kill('SIGKILL')
    }

    const codes = await Promise.all(workers.map((worker) => worker.exited))
    expect(codes).toEqual([0, 0, 0, 0])
    for (const worker of [...workers, ...victims]) {
      expect(worker.lines.filter((line) => line !== 'held')).toEqual([])
    }
    for (const worker of workers) expect(worker.lines).toHaveLength(8)
  })
})

describe('atomic writes', () => {
  it('leave the old or the new credentials when the writer is killed at any moment', async () => {
    const path = join(home, '.aim', 'credentials.json')
    const storage = new SecureCredentialStorage({ path, key: KEY })

    for (let round = 0; round < 4; round++) {
      const writer = startWorker('save-loop', { path })
      await writer.waitForLines(3 + Math.floor(Math.random() * 20))
      await sleep(Math.random() * 20)
      writer.child.kill('SIGKILL')
      await writer.exited

      // The last printed counter was saved; the one after it may have been in flight.
      const last = Number(writer.lines.at(-1))
      const loaded = await storage.loadCredentials()
      expect([last, last + 1]).toContain(loaded?.counter)
    }

    // Temporary files of killed writers are cleared by the next write.
    await storage.saveCredentials({ counter: 0 })
    expect(await readdir(join(home, '.aim'))).toEqual(['credentials.encrypted'])
    expect(await storage.loadCredentials()).toEqual({ counter: 0 })
  })
})
