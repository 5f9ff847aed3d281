// `npm run bench`: every benchmark, each measured beside its reference in this same run, printed
// as ratios against the targets. Run it on an otherwise idle machine.

import * as entry from '../dist/node/index.js'
import { benchFernet } from './fernet.ts'
import { verdict } from './measure.ts'

const seconds = Number(process.env.BENCH_SECONDS ?? 1)

function kib(size: number): string {
  return `${size / 1024} KiB`
}

function rate(value: number): string {
  return `${Math.round(value).toLocaleString('en-US')} ops/s`
}

console.log('Fernet through the Node entry (ops/s; ratios against references measured now)\n')
for (const row of await benchFernet(entry, seconds)) {
  console.log(`${row.operation} ${kib(row.size)}: ${rate(row.ours)}`)
  console.log(
    `  vs Python cryptography (${rate(row.python)}): ${verdict(row.ours / row.python, 1.5)}`,
  )
  console.log(`  vs npm fernet (${rate(row.npmFernet)}): ${verdict(row.ours / row.npmFernet, 20)}`)
  console.log(`  vs raw node:crypto (${rate(row.raw)}): ${verdict(row.ours / row.raw, 0.7)}`)
}
