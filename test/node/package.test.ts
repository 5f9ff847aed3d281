// Checks of the built package as users receive it: which file each export condition selects, and
// that nothing the web entry loads imports a Node built-in module.

import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

import { describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('../..', import.meta.url))
const dist = resolve(root, 'dist')

function resolveWithCondition(condition: string | undefined, specifier: string): string {
  const args = condition ? [`--conditions=${condition}`] : []
  const script = `process.stdout.write(import.meta.resolve(${JSON.stringify(specifier)}))`
  const url = execFileSync(process.execPath, [...args, '--input-type=module', '-e', script], {
    cwd: root,
    encoding: 'utf8',
  })
  return fileURLToPath(url).slice(root.length)
}

const IMPORT = /(?:\bfrom\s*|\bimport\s*\(?\s*)["']([^"']+)["']/g

/** Every module specifier the file and the local files it imports load, transitively. */
function importedSpecifiers(entry: string): Set<string> {
  const seen = new Set<string>()
  const specifiers = new Set<string>()
  const pending = [entry]
  for (let file = pending.pop(); file; file = pending.pop()) {
    if (seen.has(file)) continue
    seen.add(file)
    for (const [, specifier] of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      if (specifier!.startsWith('.')) pending.push(resolve(dirname(file), specifier!))
      else specifiers.add(specifier!)
    }
  }
  return specifiers
}

describe('the built package', () => {
  it('has been built (npm test builds it first)', () => {
    expect(existsSync(resolve(dist, 'web/index.js')), 'run `npm run build`').toBe(true)
  })

  it('gives Node the Node entry and every other runtime the web entry', () => {
    expect(resolveWithCondition(undefined, 'aim-credentials')).toBe('dist/node/index.js')
    for (const condition of ['deno', 'bun', 'browser', 'worker']) {
      expect(resolveWithCondition(condition, 'aim-credentials'), condition).toBe(
        'dist/web/index.js',
      )
    }
    expect(resolveWithCondition(undefined, 'aim-credentials/core')).toBe('dist/core/index.js')
  })

  it('declares one set of types for both entries', () => {
    const manifest = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8'))
    expect(manifest.exports['.'].types).toBe('./dist/web/index.d.ts')
    expect(Object.keys(manifest.exports['.']).indexOf('node')).toBeGreaterThan(
      Object.keys(manifest.exports['.']).indexOf('worker'),
    )
  })

  it('loads no Node built-in module from the web entry or the core', () => {
    const builtins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]))
    for (const entry of ['web/index.js', 'core/index.js']) {
      const imported = [...importedSpecifiers(resolve(dist, entry))]
      const fromNode = imported.filter(
        (specifier) => builtins.has(specifier) || specifier.startsWith('node:'),
      )
      expect(fromNode, entry).toEqual([])
    }
  })

  it('the check above does notice a Node import (it reads the Node entry)', () => {
    expect([...importedSpecifiers(resolve(dist, 'node/index.js'))]).toContain('node:crypto')
  })
})
