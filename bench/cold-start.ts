// Cold start: the wall time of a fresh process that loads and decrypts the stored credentials
// (runtime start, import, keyring lookup, file read, decryption), here (Node importing
// dist/node/index.js) and in Python doing the same with `keyring` + `cryptography`. Needs a Secret
// Service: run inside `dbus-run-session -- bash scripts/with-keyring.sh …`.
// Alone: `npx tsx bench/cold-start.ts` prints one line.

import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const PYTHON = process.env.AIM_TEST_PYTHON ?? '/usr/bin/python3'
const RUNS = Number(process.env.BENCH_COLD_RUNS ?? 9)
const ENTRY = pathToFileURL(fileURLToPath(new URL('../dist/node/index.js', import.meta.url))).href

/** One benchmark row: median wall times in milliseconds. */
export interface ColdStartRow {
  name: string
  ours: number
  python: number
}

const OURS_SCRIPT = `
import { SecureCredentialStorage } from ${JSON.stringify(ENTRY)}
const [path, keyringService] = process.argv.slice(2)
const credentials = await new SecureCredentialStorage({ path, keyringService }).loadCredentials()
if (typeof credentials?.refreshToken !== 'string') process.exit(1)
`

const PYTHON_SCRIPT = `
import json, sys
import keyring
from cryptography.fernet import Fernet
path, service = sys.argv[1], sys.argv[2]
key = keyring.get_password(service, "encryption-key")
with open(path[: -len(".json")] + ".encrypted", "rb") as file:
    credentials = json.loads(Fernet(key.encode()).decrypt(file.read()))
if not isinstance(credentials.get("refreshToken"), str):
    sys.exit(1)
`

function wallTime(file: string, args: string[], env: NodeJS.ProcessEnv): number {
  const started = performance.now()
  const result = spawnSync(file, args, { env, stdio: ['ignore', 'ignore', 'pipe'] })
  const elapsed = performance.now() - started
  if (result.status !== 0) throw new Error(`${file} failed: ${result.stderr.toString()}`)
  return elapsed
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

/**
 * Measures the median cold start of both, over `BENCH_COLD_RUNS` (default 9) fresh processes
 * each, alternating so that both see the same machine load.
 */
export async function benchColdStart(): Promise<ColdStartRow[]> {
  if (!process.env.DBUS_SESSION_BUS_ADDRESS) {
    throw new Error(
      'the cold-start benchmark needs a Secret Service: run it inside ' +
        '`dbus-run-session -- bash scripts/with-keyring.sh …`',
    )
  }
  const { SecureCredentialStorage } = (await import(ENTRY)) as typeof import('../src/node/index.ts')

  const home = mkdtempSync(join(tmpdir(), 'aim-bench-cold-'))
  const keyringService = `aim-bench-cold-${process.pid}`
  const path = join(home, '.aim', 'credentials.json')
  const env = { ...process.env, HOME: home }
  const previousHome = process.env.HOME
  try {
    process.env.HOME = home
    await new SecureCredentialStorage({ path, keyringService }).saveCredentials({
      aimUrl: 'http://localhost:8080',
      refreshToken: 'eyJhbGciOiJIUzI1NiJ9.e30.signature',
      sdkTokenId: 'jti',
      userId: 'user',
    })
    writeFileSync(join(home, 'ours.mjs'), OURS_SCRIPT)
    writeFileSync(join(home, 'python.py'), PYTHON_SCRIPT)

    const ours: number[] = []
    const python: number[] = []
    for (let run = 0; run < RUNS + 1; run++) {
      const oursTime = wallTime(
        process.execPath,
        [join(home, 'ours.mjs'), path, keyringService],
        env,
      )
      const pythonTime = wallTime(PYTHON, [join(home, 'python.py'), path, keyringService], env)
      // The first run of each warms the page cache and is not counted.
      if (run === 0) continue
      ours.push(oursTime)
      python.push(pythonTime)
    }
    return [
      {
        name: 'cold start: load + decrypt via the keyring',
        ours: median(ours),
        python: median(python),
      },
    ]
  } finally {
    process.env.HOME = previousHome
    spawnSync('secret-tool', ['clear', 'service', keyringService, 'username', 'encryption-key'])
    rmSync(home, { recursive: true, force: true })
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const row of await benchColdStart()) {
    const ratio = row.ours / row.python
    console.log(
      `${row.name}: ours ${row.ours.toFixed(0)} ms, Python ${row.python.toFixed(0)} ms, ` +
        `${ratio.toFixed(2)}× of Python's time (target ≤ 0.5×) ${ratio <= 0.5 ? 'ok' : 'MISSED'}`,
    )
  }
}
