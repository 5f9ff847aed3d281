// Starts the demo: the local AIM-compatible server and the browser agent console (a Vite dev
// server) on 127.0.0.1. The console talks to the AIM server through Vite's proxy, so the
// credentials it downloads name the console's own origin as their AIM URL.

import { fileURLToPath } from 'node:url'

import { createServer, type Plugin, type ViteDevServer } from 'vite'

import { startAimServer, type AimServer } from './server/index.ts'

/** Options of {@link startDemo}. */
export interface DemoOptions {
  /** Console port on 127.0.0.1; 0 picks a free one. Default 5173. */
  port?: number
  /** Access-token lifetime in seconds; short, so rotations happen while one watches. */
  accessTokenTtlSeconds?: number
}

/** A running demo. */
export interface Demo {
  /** The console's URL. */
  url: string
  aim: AimServer
  console: ViteDevServer
  close(): Promise<void>
}

/** Serves a freshly minted SDK credentials file, as the AIM dashboard's download does. */
function credentialsDownload(aim: AimServer): Plugin {
  return {
    name: 'aim-demo-credentials-download',
    configureServer(server) {
      server.middlewares.use('/demo/sdk_credentials.json', (request, response, next) => {
        aim.issueSdkCredentials().then((credentials) => {
          const file = { ...credentials, aimUrl: `http://${request.headers.host}` }
          response.setHeader('content-type', 'application/json')
          response.setHeader('content-disposition', 'attachment; filename="sdk_credentials.json"')
          response.end(JSON.stringify(file, null, 2))
        }, next)
      })
    },
  }
}

/** Starts the AIM server and the console; `close()` stops both. */
export async function startDemo(options: DemoOptions = {}): Promise<Demo> {
  const aim = await startAimServer({ accessTokenTtlSeconds: options.accessTokenTtlSeconds ?? 20 })
  const consoleServer = await createServer({
    configFile: false,
    root: fileURLToPath(new URL('./console', import.meta.url)),
    logLevel: 'warn',
    server: {
      host: '127.0.0.1',
      port: options.port ?? 5173,
      strictPort: false,
      proxy: { '/api': { target: aim.url, changeOrigin: true } },
    },
    resolve: {
      alias: { 'aim-credentials': fileURLToPath(new URL('../src/web/index.ts', import.meta.url)) },
    },
    // Bundled at start-up rather than discovered during the first page load, which would make
    // Vite reload the page under the user.
    optimizeDeps: { include: ['idb-keyval', 'jose', '@noble/ed25519', '@noble/hashes/sha2.js'] },
    plugins: [credentialsDownload(aim)],
  })
  await consoleServer.listen()

  const address = consoleServer.httpServer?.address()
  const port = typeof address === 'object' && address ? address.port : options.port
  return {
    url: `http://127.0.0.1:${port}/`,
    aim,
    console: consoleServer,
    async close() {
      await Promise.all([consoleServer.close(), aim.close()])
    },
  }
}
