// `npm run demo`: starts the local AIM server and the browser agent console, and says where to
// open it. Options: --port (default 5173, or $PORT), --ttl access-token seconds (default 20).

import { parseArgs } from 'node:util'

import { startDemo } from './start.ts'

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.PORT ?? '5173' },
    ttl: { type: 'string', default: process.env.AIM_DEMO_TTL ?? '20' },
  },
})

const demo = await startDemo({
  port: Number(values.port),
  accessTokenTtlSeconds: Number(values.ttl),
})
const bold = (text: string) => (process.stdout.isTTY ? `\x1b[1m${text}\x1b[0m` : text)

console.log(`
${bold('AIM agent console')}  ${demo.url}

  Local AIM server   ${demo.aim.url}  (access tokens live ${values.ttl} s)
  Demo API key       ${demo.aim.apiKeys[0]}

  Open the console, download a credentials file, import it, and follow the numbered cards.
  The Node agent example: npm run demo:agent
  Press Ctrl-C to stop.
`)

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    void demo.close().then(() => process.exit(0))
  })
}
