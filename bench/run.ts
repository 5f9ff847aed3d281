// `npm run bench`: every benchmark, each measured beside its reference in this same run, printed
// as ratios against the targets. Run it on an otherwise idle machine; `BENCH_SECONDS` scales the
// measuring time (default 1).

import * as entry from '../dist/node/index.js'
import { benchColdStart } from './cold-start.ts'
import { benchFernet } from './fernet.ts'
import { verdict } from './measure.ts'
import { benchSignatures, reportSignatures } from './signatures.ts'

const seconds = Number(process.env.BENCH_SECONDS ?? 1)

function rate(value: number): string {
  return `${Math.round(value).toLocaleString('en-US')} ops/s`
}

console.log('Fernet through the Node entry (ops/s; references measured in the same run)')
for (const row of await benchFernet(entry, seconds)) {
  console.log(`  ${row.operation} ${row.size / 1024} KiB: ${rate(row.ours)}`)
  console.log(
    `    vs Python cryptography (${rate(row.python)}): ${verdict(row.ours / row.python, 1.5)}`,
  )
  console.log(
    `    vs npm fernet (${rate(row.npmFernet)}): ${verdict(row.ours / row.npmFernet, 20)}`,
  )
  console.log(`    vs raw node:crypto (${rate(row.raw)}): ${verdict(row.ours / row.raw, 0.7)}`)
}

console.log()
for (const line of reportSignatures(await benchSignatures(entry, seconds))) console.log(line)

console.log('\nCold start: a fresh process loads and decrypts the credentials through the keyring')
if (process.env.DBUS_SESSION_BUS_ADDRESS) {
  for (const row of await benchColdStart()) {
    const ratio = row.ours / row.python
    const mark = ratio <= 0.5 ? 'ok' : 'MISSED'
    console.log(
      `  ours ${row.ours.toFixed(0)} ms, Python keyring + cryptography ${row.python.toFixed(0)} ms: ` +
        `${ratio.toFixed(2)}× of Python's time (target ≤ 0.5×) ${mark}`,
    )
  }
} else {
  console.log(
    '  skipped: no D-Bus session with a Secret Service (npm run bench starts one when it can)',
  )
}
