// The shared suites under Bun, against the built package imported by name: Bun matches the `bun`
// export condition, which must lead to the web entry.

// @ts-expect-error bun:test exists only under Bun.
import { test } from 'bun:test'
import * as api from 'aim-credentials'

import { Fernet, encryptWithIv } from '../../src/core/fernet.ts'
import { fernetSuite } from '../suite/fernet.suite.ts'

test('aim-credentials resolves to the web entry', () => {
  const resolved = import.meta.resolve('aim-credentials')
  if (!resolved.endsWith('/dist/web/index.js')) throw new Error(`resolved ${resolved}`)
})

for (const testCase of fernetSuite(api, { Fernet, encryptWithIv })) {
  test(testCase.name, testCase.run, 60_000)
}
