// The size budget of browser storage: an app that imports only `SecureCredentialStorage` from the
// web entry, minified and gzipped with its dependencies, stays within 12 kB, and tree-shaking
// keeps the token manager and agent signing out of it.

import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'

import { beforeAll, describe, expect, it } from 'vitest'

import { bundleApp, ROOT, WEB_ENTRY } from './web-bundle.ts'

/** The budget for storage alone, in bytes of gzip (12 kB). */
const STORAGE_BUDGET = 12_000

/** Modules an app using only storage must not carry: the token manager and agent signing. */
const UNRELATED_MODULES = (await readdir(join(ROOT, 'src/core')))
  .filter((file) => file === 'token-manager.ts' || /^agent.*\.ts$/.test(file))
  .map((file) => `src/core/${file}`)

const STORAGE_APP = `import { SecureCredentialStorage } from ${JSON.stringify(WEB_ENTRY)}
globalThis.storage = new SecureCredentialStorage()
`
const EVERYTHING_APP = `import * as everything from ${JSON.stringify(WEB_ENTRY)}
globalThis.everything = everything
`

/** Long string literals of a source file: text that survives minification unchanged. */
async function literalsOf(path: string): Promise<string[]> {
  const source = await readFile(join(ROOT, path), 'utf8')
  const literals = source.match(/'[^'\\\n]{16,}'/g) ?? []
  return literals.map((literal) => literal.slice(1, -1))
}

/** The text of every other source file: a literal found there is not a marker. */
async function otherSources(): Promise<string> {
  const files = await readdir(join(ROOT, 'src'), { recursive: true })
  const others = files.filter(
    (file) => file.endsWith('.ts') && !UNRELATED_MODULES.includes(`src/${file}`),
  )
  const texts = await Promise.all(others.map((file) => readFile(join(ROOT, 'src', file), 'utf8')))
  return texts.join('\n')
}

let storageBundle = ''
let everythingBundle = ''

beforeAll(async () => {
  storageBundle = await bundleApp(STORAGE_APP)
  everythingBundle = await bundleApp(EVERYTHING_APP)
}, 120_000)

describe('the size of browser storage', () => {
  it(`stays within ${STORAGE_BUDGET} bytes minified and gzipped`, () => {
    const gzipped = gzipSync(storageBundle, { level: 9 }).length
    console.info(
      `SecureCredentialStorage alone: ${storageBundle.length} B minified, ${gzipped} B gzipped ` +
        `(whole web entry: ${gzipSync(everythingBundle, { level: 9 }).length} B gzipped)`,
    )
    expect(gzipped).toBeLessThanOrEqual(STORAGE_BUDGET)
  })

  it('leaves the token manager and agent signing out of an app that only stores', async () => {
    const elsewhere = await otherSources()
    const markers: string[] = []
    for (const module of UNRELATED_MODULES) {
      const own = (await literalsOf(module)).filter((text) => !elsewhere.includes(text))
      markers.push(...own.filter((text) => everythingBundle.includes(text)))
    }

    // The markers are real: the whole entry carries them, so their absence below means something.
    expect(markers.length).toBeGreaterThan(3)
    expect(markers.filter((marker) => storageBundle.includes(marker))).toEqual([])
    expect(storageBundle.length).toBeLessThan(everythingBundle.length / 2)
  })
})
