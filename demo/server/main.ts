// Runs the demo AIM server alone:
//   npx tsx demo/server/main.ts [--port PORT] [--ttl SECONDS] [--no-rotation] [--snake-case]
//                               [--write-credentials PATH]
// Prints its URL and a test API key; with --write-credentials it also writes fresh SDK
// credentials (mode 0600) to PATH, as the dashboard's download would.

import { writeFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'

import { startAimServer } from './index.ts'

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    ttl: { type: 'string', default: '7200' },
    'no-rotation': { type: 'boolean', default: false },
    'snake-case': { type: 'boolean', default: false },
    'write-credentials': { type: 'string' },
  },
})

const server = await startAimServer({
  port: Number(values.port),
  accessTokenTtlSeconds: Number(values.ttl),
  rotate: !values['no-rotation'],
  spelling: values['snake-case'] ? 'snake_case' : 'camelCase',
})

console.log(server.url)
console.log(`API key: ${server.apiKeys[0]}`)
const credentialsPath = values['write-credentials']
if (credentialsPath) {
  const credentials = await server.issueSdkCredentials({
    spelling: values['snake-case'] ? 'snake_case' : 'camelCase',
  })
  await writeFile(credentialsPath, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 })
  console.log(`SDK credentials written to ${credentialsPath}`)
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    void server.close().then(() => process.exit(0))
  })
}
