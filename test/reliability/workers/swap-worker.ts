// Replaces a credentials file over and over, as an attacker racing the storage between its checks
// and its use would. Usage: swap-worker.ts <symlink|mode> <json options>
//   symlink  the path is, in turn, a regular file holding `content` and a link to `victim`
//   mode     the path is, in turn, a 0600 file holding `content` and a 0644 file holding `exposed`
// Each swap is one rename, so the path always exists. Prints `swapping` once, then runs until
// killed.

import { chmod, rename, symlink, unlink, writeFile } from 'node:fs/promises'

interface SwapOptions {
  path: string
  content: string
  victim?: string
  exposed?: string
}

const [mode, json] = process.argv.slice(2)
const options = JSON.parse(json ?? '{}') as SwapOptions
const regular = `${options.path}.swap-regular`
const other = `${options.path}.swap-other`

for (let round = 0; ; round++) {
  await writeFile(regular, options.content, { mode: 0o600 })
  await chmod(regular, 0o600)
  await rename(regular, options.path)

  await unlink(other).catch(() => undefined)
  if (mode === 'symlink') {
    await symlink(options.victim!, other)
  } else {
    await writeFile(other, options.exposed!, { mode: 0o644 })
    await chmod(other, 0o644)
  }
  await rename(other, options.path)
  if (round === 0) console.log('swapping')
}
