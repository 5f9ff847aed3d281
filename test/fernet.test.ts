// The shared Fernet suite against the web entry, in every Vitest project: Node, happy-dom and
// real Chromium.

import { describe, it } from 'vitest'

import * as web from '../src/web/index.ts'
import { encryptWithIv } from '../src/core/fernet.ts'
import { fernetSuite } from './suite/fernet.suite.ts'

describe('Fernet through the web entry', () => {
  for (const testCase of fernetSuite(web, { Fernet: web.Fernet, encryptWithIv })) {
    it(testCase.name, testCase.run, 60_000)
  }
})
