// The shared token-manager suite under Node, through both entries.

import { describe, it } from 'vitest'

import * as node from '../../src/node/index.ts'
import * as web from '../../src/web/index.ts'
import { tokenManagerSuite } from '../suite/token-manager.suite.ts'

for (const [name, entry] of [
  ['node', node],
  ['web', web],
] as const) {
  describe(`TokenManager through the ${name} entry`, () => {
    for (const testCase of tokenManagerSuite(entry)) {
      it(testCase.name, testCase.run, 60_000)
    }
  })
}
