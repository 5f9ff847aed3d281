// Bundles a small app against the web entry's sources with Vite (rolldown), as a browser app's
// build would: for the size check, and to serve the entry to real Chromium pages.

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

import { build } from 'vite'

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url))

/** The web entry's source, for apps to import by absolute path. */
export const WEB_ENTRY = join(ROOT, 'src/web/index.ts')

/** Options for {@link bundleApp}. */
export interface BundleOptions {
  minify?: boolean
}

/**
 * Builds `source` (an ES module that may import {@link WEB_ENTRY}) into one ES module, modules
 * loaded on demand included, and returns its code. Dependencies such as idb-keyval are bundled in, as they would be in an app.
 */
export async function bundleApp(source: string, options: BundleOptions = {}): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'aim-bundle-'))
  try {
    const entry = join(folder, 'app.js')
    await writeFile(entry, source)

    await build({
      configFile: false,
      root: ROOT,
      publicDir: false,
      logLevel: 'silent',
      build: {
        outDir: join(folder, 'out'),
        emptyOutDir: true,
        target: 'es2022',
        minify: options.minify ?? true,
        sourcemap: false,
        lib: { entry, formats: ['es'], fileName: () => 'app.js' },
        // One file, as the pages serving it expect: modules loaded on demand (noble) inlined.
        rollupOptions: { output: { inlineDynamicImports: true } },
      },
    })
    return await readFile(join(folder, 'out', 'app.js'), 'utf8')
  } finally {
    await rm(folder, { recursive: true, force: true })
  }
}

declare global {
  interface Window {
    /** The web entry, as the pages of {@link serveWebEntry} load it. */
    aim: typeof import('../../src/web/index.ts')
    aimReady?: boolean
  }
}

const ENTRY_PAGE = `<!doctype html><meta charset="utf-8"><title>aim-credentials</title>
<script type="module">import * as aim from '/aim.js'; window.aim = aim; window.aimReady = true</script>`

/** A page server on 127.0.0.1, a secure context like HTTPS, for Playwright tests. */
export interface EntryPageServer {
  /** e.g. `http://127.0.0.1:41234`: its page sets `window.aim` and then `window.aimReady`. */
  origin: string
  close(): Promise<void>
}

/** Serves a page that loads the whole web entry (bundled from the sources) as `window.aim`. */
export async function serveWebEntry(): Promise<EntryPageServer> {
  const bundle = await bundleApp(`export * from ${JSON.stringify(WEB_ENTRY)}`, { minify: false })
  const server = createServer((request, response) => {
    const script = request.url === '/aim.js'
    response.writeHead(200, {
      'content-type': script ? 'text/javascript' : 'text/html',
      'cache-control': 'no-store',
    })
    response.end(script ? bundle : ENTRY_PAGE)
  })
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening))

  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((closed) => server.close(() => closed())),
  }
}
