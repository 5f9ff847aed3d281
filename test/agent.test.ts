// The shared agent-identity suite against the web entry, in every Vitest project: Node,
// happy-dom and real Chromium.

import { describe, it } from 'vitest'

import * as web from '../src/web/index.ts'
import { agentSuite } from './suite/agent.suite.ts'

describe('AgentIdentity through the web entry', () => {
  for (const testCase of agentSuite(web)) {
    it(testCase.name, testCase.run, 60_000)
  }
})
