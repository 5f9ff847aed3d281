// The shared suites under Deno, against the built package imported by name: Deno matches the
// `deno` export condition, which must lead to the web entry.

import * as api from 'aim-credentials'

import { Fernet, encryptWithIv } from '../../src/core/fernet.ts'
import { agentSuite, type AgentApi } from '../suite/agent.suite.ts'
import { fernetSuite, type Api } from '../suite/fernet.suite.ts'
import { webStorageSuite, type StorageApi } from '../suite/web-storage.suite.ts'
import { tokenManagerSuite, type TokenApi } from '../suite/token-manager.suite.ts'

declare const Deno: { test(name: string, run: () => unknown): void }

Deno.test('aim-credentials resolves to the web entry', () => {
  const resolved = import.meta.resolve('aim-credentials')
  if (!resolved.endsWith('/dist/web/index.js')) throw new Error(`resolved ${resolved}`)
})

// The built declarations and the sources declare the same classes twice; TypeScript treats their
// private fields as distinct, so the built entry is typed through the suite's view of it.
const built = api as unknown as Api

for (const testCase of fernetSuite(built, { Fernet, encryptWithIv })) {
  Deno.test(testCase.name, testCase.run)
}

// Storage with an explicit key or memory persistence, and the typed refusal without IndexedDB.
const storageSetup = {
  persistence: 'memory',
  indexedDb: typeof indexedDB !== 'undefined',
  newDatabase: () => `aim-deno-${crypto.randomUUID()}`,
} as const
for (const testCase of webStorageSuite(api as unknown as StorageApi, storageSetup)) {
  Deno.test(`web storage: ${testCase.name}`, testCase.run)
}

// Refresh, single flight, recovery and hostile answers, with a store in memory and a scripted server.
for (const testCase of tokenManagerSuite(api as unknown as TokenApi)) {
  Deno.test(`token manager: ${testCase.name}`, testCase.run)
}

// Agent keys, signed requests and the action-signature message.
for (const testCase of agentSuite(api as unknown as AgentApi)) {
  Deno.test(`agent identity: ${testCase.name}`, testCase.run)
}
