// The Node agent example end to end, as a user runs it: with the OS keyring it goes through the
// whole path with no reused refresh token; without one it explains the remedies and writes nothing.

import { existsSync } from 'node:fs'
import { join } from 'node:path'

import { describe, expect } from 'vitest'

import { itWith } from './components.ts'
import { ROOT, runChild, secretService, temporaryHome } from './storage-fixtures.ts'

const demo = ['--import', 'tsx', join(ROOT, 'demo/agent.ts')]

describe('npm run demo:agent', () => {
  itWith(secretService)(
    'runs the whole agent path with the key in the keyring',
    async () => {
      const { home, remove } = await temporaryHome()
      try {
        const result = await runChild(process.execPath, demo, { ...process.env, HOME: home })
        expect(result.stderr).toBe('')
        expect(result.code).toBe(0)
        expect(result.stdout).toMatch(/"source":"keyring","backend":"secret-service"/)
        expect(result.stdout).toMatch(/read_database: approved/)
        expect(result.stdout).toMatch(/deny_delete_database: denied/)
        expect(result.stdout).toMatch(/\d+ refreshes, 0 reused refresh tokens/)
        expect(existsSync(join(home, '.aim-credentials-demo')), 'cleaned up').toBe(false)
      } finally {
        await remove()
      }
    },
    60_000,
  )

  itWith(secretService)(
    'without a keyring, explains the remedies and writes nothing',
    async () => {
      const { home, remove } = await temporaryHome()
      try {
        const env = { ...process.env, HOME: home, DBUS_SESSION_BUS_ADDRESS: '' }
        const result = await runChild(process.execPath, demo, env)
        expect(result.code).toBe(1)
        expect(result.stderr).toMatch(/^ERR_KEYRING_UNAVAILABLE/m)
        expect(result.stderr).toMatch(/AIM_ENCRYPTION_KEY=/)
        expect(result.stderr).toMatch(/--plaintext/)
        expect(existsSync(join(home, '.aim-credentials-demo', 'credentials.encrypted'))).toBe(false)
      } finally {
        await remove()
      }
    },
    60_000,
  )
})
