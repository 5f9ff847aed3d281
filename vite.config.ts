// Builds the demo console and runs the tests: Node, happy-dom and real Chromium.

import { existsSync } from 'node:fs'

import { playwright } from '@vitest/browser-playwright'
import { defineConfig, type TestProjectConfiguration } from 'vitest/config'

const CHROMIUM = process.env.AIM_TEST_CHROMIUM ?? '/usr/bin/chromium'

// Chromium as root in a sandboxed, offline machine: no sandbox, and no background traffic.
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

function chromiumProject(): TestProjectConfiguration[] {
  if (!existsSync(CHROMIUM)) {
    const reason = `Chromium not found at ${CHROMIUM} (apt-get install chromium)`
    if (process.env.CI === 'true') throw new Error(`${reason}; CI must provide it`)
    console.warn(`Skipping the Chromium project: ${reason}`)
    return []
  }

  return [
    {
      extends: true,
      test: {
        name: 'chromium',
        include: ['test/*.test.ts', 'test/browser/**/*.test.ts'],
        browser: {
          enabled: true,
          headless: true,
          provider: playwright({
            launchOptions: { executablePath: CHROMIUM, args: CHROMIUM_ARGS },
          }),
          instances: [{ browser: 'chromium' }],
        },
      },
    },
  ]
}

export default defineConfig({
  test: {
    testTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          environment: 'node',
          include: ['test/*.test.ts', 'test/node/**/*.test.ts', 'test/reliability/**/*.test.ts'],
        },
      },
      {
        extends: true,
        test: { name: 'happy-dom', environment: 'happy-dom', include: ['test/*.test.ts'] },
      },
      ...chromiumProject(),
    ],
  },
})
