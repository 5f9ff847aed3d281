// The leak test's record: every secret the workload created (with the other forms it could leak
// in) and every text it produced, and the search of one in the other.

import { inspect } from 'node:util'

/** A Fernet token: the only place a file may hold a secret. */
export const FERNET_TOKEN = /gAAAAA[A-Za-z0-9_-]+=*/g

/** Everything the workload produced that a secret must not appear in, by where it came from. */
export class Evidence {
  readonly secrets = new Map<string, string>()
  readonly texts: Array<{ where: string; text: string }> = []

  /** Records a secret and the forms it could leak in (a JWT's signature, a key's other base64). */
  secret(kind: string, value: unknown): void {
    if (typeof value !== 'string' || value.length < 16) return
    this.secrets.set(value, kind)

    const parts = value.split('.')
    if (parts.length === 3 && parts[2]!.length >= 16)
      this.secrets.set(parts[2]!, `${kind} (signature)`)
    const bytes = Buffer.from(
      value,
      value.includes('-') || value.includes('_') ? 'base64url' : 'base64',
    )
    if (bytes.length === 32) this.secrets.set(bytes.toString('base64'), `${kind} (standard base64)`)
    if (bytes.length === 64)
      this.secrets.set(bytes.subarray(0, 32).toString('base64'), `${kind} (seed)`)
  }

  text(where: string, text: string): void {
    this.texts.push({ where, text })
  }

  error(where: string, error: unknown): void {
    this.text(`${where}: String`, String(error))
    this.text(`${where}: stack`, (error as Error)?.stack ?? '')
    this.text(`${where}: inspect`, inspect(error, { depth: 10 }))
    this.text(`${where}: JSON`, JSON.stringify(error) ?? '')
  }

  /** String, JSON and util.inspect forms of an object that holds secrets. */
  forms(where: string, value: unknown): void {
    this.text(`${where}: String`, String(value))
    this.text(`${where}: JSON`, JSON.stringify(value) ?? '')
    this.text(`${where}: inspect`, inspect(value, { depth: 10, showHidden: true }))
  }

  leaks(): string[] {
    const found: string[] = []
    for (const { where, text } of this.texts) {
      for (const [secret, kind] of this.secrets) {
        // Report the kind and the place, never the secret itself.
        if (text.includes(secret)) found.push(`${kind} in ${where}`)
      }
    }
    return found
  }
}
