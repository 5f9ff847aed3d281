// Runs the Deno and Bun adapters of the shared suites, each against the built package imported by
// name, so that the `deno` and `bun` export conditions are exercised by the real runtimes.

import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

import { describe, expect } from 'vitest'

import { itWith } from './components.ts'

const root = fileURLToPath(new URL('../..', import.meta.url))
const bin = (name: string) =>
  fileURLToPath(new URL(`../../node_modules/.bin/${name}`, import.meta.url))

function runtime(name: string) {
  const path = bin(name)
  const available = existsSync(path) && spawnSync(path, ['--version']).status === 0
  return { name, path, available, remedy: `npm ci installs the npm package "${name}"` }
}

const deno = runtime('deno')
const bun = runtime('bun')

function run(command: string, args: string[]) {
  const result = spawnSync(command, args, {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
    timeout: 240_000,
  })
  return { status: result.status, output: `${result.stdout}\n${result.stderr}` }
}

describe('other runtimes', () => {
  itWith(deno)(
    'Deno passes the shared suites through the deno export condition',
    () => {
      const { status, output } = run(deno.path, [
        'test',
        '--no-check',
        '-A',
        'test/runtimes/deno.test.ts',
      ])
      expect(output).toMatch(/ok \| \d+ passed \| 0 failed/)
      expect(status, output).toBe(0)
    },
    300_000,
  )

  itWith(bun)(
    'Bun passes the shared suites through the bun export condition',
    () => {
      const { status, output } = run(bun.path, ['test', './test/runtimes/bun.test.ts'])
      expect(output).toMatch(/\b0 fail\b/)
      expect(status, output).toBe(0)
    },
    300_000,
  )
})
