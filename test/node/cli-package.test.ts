// The built `aim-credentials` program as npm installs it: the package's `bin` names a file in
// dist that starts with a Node shebang, is executable, and runs. Needs `dist/` (npm test builds
// it first; alone, build under the lock: flock /tmp/aim-build.lock npx tsdown).

import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

import { describe, expect } from 'vitest'

import { itWith } from './components.ts'

const root = fileURLToPath(new URL('../..', import.meta.url))

const it = itWith({
  name: 'the built package (dist/node/cli.js)',
  available: existsSync(resolve(root, 'dist/node/cli.js')),
  remedy: 'build first: flock /tmp/aim-build.lock npx tsdown',
})

describe('the aim-credentials bin', () => {
  it('is an executable Node script in dist that prints its help', () => {
    const manifest = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8'))
    const bin = resolve(root, manifest.bin['aim-credentials'])

    expect(bin).toBe(resolve(root, 'dist/node/cli.js'))
    expect(readFileSync(bin, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node')
    expect(statSync(bin).mode & 0o111).toBe(0o111)

    const help = execFileSync(bin, ['--help'], { encoding: 'utf8', env: { ...process.env } })
    expect(help).toContain('Usage: aim-credentials <command> [options]')
    for (const command of ['status', 'migrate', 'rotate-key', 'logout', 'doctor']) {
      expect(help).toContain(`  ${command}`)
    }
  })
})
