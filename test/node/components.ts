// Test components that may be missing from a machine (Chromium, Python packages, a keyring).
// Outside CI a missing component skips its tests with the reason; under CI=true it fails them.

import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'

import { it } from 'vitest'

/** A program or package some tests need, and how to get it. */
export interface Component {
  name: string
  available: boolean
  remedy: string
}

/** Returns `it` when the component is present, else a test that skips or (under CI) fails. */
export function itWith(component: Component): typeof it {
  if (component.available) return it

  const missing = `${component.name} is missing (${component.remedy})`
  const stand = ((name: string) => {
    if (process.env.CI === 'true') {
      it(name, () => {
        throw new Error(`${missing}; CI must provide it`)
      })
    } else {
      it.skip(`${name} [skipped: ${missing}]`)
    }
  }) as typeof it
  return stand
}

/** The Python with Debian's `cryptography` and `keyring`; override with AIM_TEST_PYTHON. */
export const PYTHON = process.env.AIM_TEST_PYTHON ?? '/usr/bin/python3'

function pythonHas(module: string): boolean {
  if (!existsSync(PYTHON) && !process.env.AIM_TEST_PYTHON) return false
  return spawnSync(PYTHON, ['-c', `import ${module}`], { stdio: 'ignore' }).status === 0
}

export const pythonCryptography: Component = {
  name: 'Python cryptography',
  available: pythonHas('cryptography.fernet'),
  remedy: 'apt-get install python3-cryptography',
}

export const pythonKeyring: Component = {
  name: 'Python keyring',
  available: pythonHas('keyring') && pythonHas('cryptography.fernet'),
  remedy: 'apt-get install python3-keyring python3-cryptography',
}

/** Debian's Chromium, driven by Playwright; override the path with AIM_TEST_CHROMIUM. */
export const CHROMIUM = process.env.AIM_TEST_CHROMIUM ?? '/usr/bin/chromium'

export const chromiumBrowser: Component = {
  name: 'Chromium',
  available: existsSync(CHROMIUM),
  remedy: 'apt-get install chromium',
}
