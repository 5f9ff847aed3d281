// The shared token-manager suite in real Chromium (Vitest browser mode), through the web entry:
// the browser's own fetch, Request, AbortController and WebCrypto.

import { describe, it } from 'vitest'

import * as web from '../../src/web/index.ts'
import { tokenManagerSuite } from '../suite/token-manager.suite.ts'

describe('TokenManager in Chromium', () => {
  for (const testCase of tokenManagerSuite(web)) {
    it(testCase.name, testCase.run, 60_000)
  }
})
