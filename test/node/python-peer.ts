// Drives a long-lived Python process that answers JSON-line requests, so interop tests pay for
// Python's start-up once rather than per case.

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { createInterface } from 'node:readline'

import { PYTHON } from './components.ts'

/** A Python script answering one JSON line per request line. */
export class PythonPeer {
  readonly #process: ChildProcessWithoutNullStreams
  readonly #waiting: Array<(line: string) => void> = []

  constructor(script: string) {
    this.#process = spawn(PYTHON, ['-u', script], { stdio: 'pipe' })
    createInterface({ input: this.#process.stdout }).on('line', (line) => {
      this.#waiting.shift()?.(line)
    })
  }

  /** Sends one request and resolves with the parsed answer. */
  request<T>(message: unknown): Promise<T> {
    return new Promise((resolve) => {
      this.#waiting.push((line) => resolve(JSON.parse(line) as T))
      this.#process.stdin.write(JSON.stringify(message) + '\n')
    })
  }

  close(): void {
    this.#process.stdin.end()
  }
}
