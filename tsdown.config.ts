// Builds the three entries as ESM with type declarations. Shared code lands in shared chunks, so
// a Fernet made through one entry is the same class everywhere in a process.

import { defineConfig } from 'tsdown'

export default defineConfig({
  entry: {
    'node/index': 'src/node/index.ts',
    'web/index': 'src/web/index.ts',
    'core/index': 'src/core/index.ts',
    'node/cli': 'src/node/cli/main.ts',
  },
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  dts: true,
  sourcemap: true,
  clean: true,
  outDir: 'dist',
  // Runtime modules and dependencies are imported, never bundled.
  deps: { neverBundle: [/^node:/] },
})
