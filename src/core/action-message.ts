// The exact text an agent signs to have an action verified: the AIM server rebuilds it from the
// request and checks the Ed25519 signature over it, so one differing byte fails the verification.
//
// The server's rule (shared/AIM-API.md, "Action verification"): an object with `action_type`,
// `agent_id`, `context` (`{}` when empty), `resource` (`null` when empty) and `timestamp`,
// serialised by Go's `encoding/json` with HTML escaping off — keys sorted at every depth, raw
// UTF-8, U+2028 and U+2029 escaped, numbers as float64 in their shortest round-trip form — and
// then one space after every `:` and `,` outside a string. This file writes that text directly.

import { AimCredentialsError } from './errors.ts'

/** An action an agent asks the AIM server to verify, as `signAction` and the client take it. */
export interface AgentAction {
  /** The agent's id, as issued at registration. */
  agentId: string
  /** What the agent wants to do, e.g. `read_database`. */
  actionType: string
  /** What it acts on; empty or missing is signed as `null`. */
  resource?: string
  /**
   * Details of the action. Only JSON values: plain objects, arrays, strings, finite numbers,
   * booleans and `null`. Empty or missing is signed as `{}`.
   */
  context?: Record<string, unknown>
  /** When the action is requested: an ISO-8601 UTC string ending in `Z`. */
  timestamp: string
}

/**
 * Builds the message the AIM server rebuilds and verifies for an action, byte for byte.
 *
 * Unlike the Python SDK's `json.dumps`, which escapes non-ASCII characters and so fails the
 * server's check for such contexts, this follows the server's own serialiser, so non-ASCII text,
 * nested objects, arrays and numbers all verify.
 *
 * @param action The action to sign.
 * @returns The message text; sign its UTF-8 bytes.
 * @throws {AimCredentialsError} `ERR_UNSERIALIZABLE_ACTION` when the context holds something that
 *   cannot reach the server unchanged: `undefined`, a function, a symbol, a bigint, a non-finite
 *   number, a string with a lone surrogate, a cycle, a sparse array, nesting deeper than 1000
 *   levels, or an object that is not a plain object or array (a `Date`, a `Map`: convert it to a
 *   string or plain object first).
 * @throws {TypeError} when `agentId`, `actionType` or `timestamp` is not a string.
 *
 * @example
 * ```ts
 * actionSignatureMessage({
 *   agentId: 'a1',
 *   actionType: 'read',
 *   context: { b: 1, a: 'é' },
 *   timestamp: '2026-01-01T00:00:00Z',
 * })
 * // '{"action_type": "read", "agent_id": "a1", "context": {"a": "é", "b": 1}, "resource": null, …'
 * ```
 */
export function actionSignatureMessage(action: AgentAction): string {
  for (const field of ['agentId', 'actionType', 'timestamp'] as const) {
    if (typeof action?.[field] !== 'string') throw new TypeError(`${field} must be a string`)
  }
  if (action.resource !== undefined && action.resource !== null) {
    if (typeof action.resource !== 'string') throw new TypeError('resource must be a string')
  }

  const context = action.context ?? {}
  if (typeof context !== 'object' || Array.isArray(context)) {
    throw unserializable('action.context', 'not an object (the server reads it as a JSON object)')
  }
  const resource = action.resource ? action.resource : null

  // The top level's keys are fixed and already in sorted order.
  const writer = new MessageWriter()
  return (
    `{"action_type": ${writer.string(action.actionType, 'actionType')}, ` +
    `"agent_id": ${writer.string(action.agentId, 'agentId')}, ` +
    `"context": ${writer.value(context, 'context')}, ` +
    `"resource": ${resource === null ? 'null' : writer.string(resource, 'resource')}, ` +
    `"timestamp": ${writer.string(action.timestamp, 'timestamp')}}`
  )
}

function unserializable(path: string, what: string): AimCredentialsError {
  return new AimCredentialsError(
    'ERR_UNSERIALIZABLE_ACTION',
    `The action cannot be signed: ${path} is ${what}, which the AIM server cannot receive ` +
      'unchanged. Use only plain objects, arrays, strings, finite numbers, booleans and null.',
  )
}

// Deeper contexts are refused rather than risk the call stack: a context parsed from untrusted
// JSON can nest far deeper than the stack allows. Go's decoder stops at 10 000; real contexts
// nest a handful of levels.
const MAX_DEPTH = 1000

/**
 * Writes JSON values in the server's form. It keeps the path from the action to the value being
 * written (for error messages only) and the containers being written (to detect cycles).
 */
class MessageWriter {
  readonly #trail: Array<string | number> = []
  readonly #open: object[] = []

  value(value: unknown, step: string | number): string {
    this.#trail.push(step)
    const text = this.#write(value)
    this.#trail.pop()
    return text
  }

  string(text: string, step: string | number): string {
    if (!SPECIAL.test(text)) return `"${text}"`

    this.#trail.push(step)
    const escaped = writeString(text, this)
    this.#trail.pop()
    return escaped
  }

  fail(what: string): AimCredentialsError {
    const path = this.#trail
      .map((step) => (typeof step === 'number' ? `[${step}]` : `.${step}`))
      .join('')
    return unserializable(`action${path}`, what)
  }

  #write(value: unknown): string {
    switch (typeof value) {
      case 'string':
        return SPECIAL.test(value) ? writeString(value, this) : `"${value}"`
      case 'boolean':
        return value ? 'true' : 'false'
      case 'number':
        if (!Number.isFinite(value)) throw this.fail(String(value))
        // ECMAScript prints float64 in the same shortest form as Go's encoder, exponent
        // thresholds included (1e-7, 1e+21). JSON carries -0 as 0, so the server sees 0.
        return Object.is(value, -0) ? '0' : String(value)
      case 'object':
        if (value === null) return 'null'
        return this.#writeContainer(value)
      default:
        throw this.fail(`a value of type ${typeof value}`)
    }
  }

  #writeContainer(value: object): string {
    if (this.#open.length >= MAX_DEPTH) throw this.fail(`nested deeper than ${MAX_DEPTH} levels`)
    if (this.#open.includes(value)) throw this.fail('a reference cycle')
    this.#open.push(value)

    let text: string
    if (Array.isArray(value)) {
      text = this.#writeArray(value)
    } else {
      const prototype = Object.getPrototypeOf(value)
      if (prototype !== Object.prototype && prototype !== null) {
        throw this.fail(`an instance of ${prototype?.constructor?.name ?? 'a class'}`)
      }
      text = this.#writeObject(value as Record<string, unknown>)
    }

    this.#open.pop()
    return text
  }

  #writeArray(array: unknown[]): string {
    let text = '['
    for (let index = 0; index < array.length; index++) {
      if (!(index in array)) {
        this.#trail.push(index)
        throw this.fail('a hole in a sparse array')
      }
      text += (index === 0 ? '' : ', ') + this.value(array[index], index)
    }
    return text + ']'
  }

  #writeObject(object: Record<string, unknown>): string {
    if (Object.getOwnPropertySymbols(object).length > 0) {
      throw this.fail('an object with symbol keys')
    }

    // Go sorts map keys by their UTF-8 bytes, which is code point order; JavaScript's default
    // sort compares UTF-16 units, which differs for characters above U+FFFF.
    const keys = Object.keys(object).sort(compareCodePoints)
    let text = '{'
    for (let index = 0; index < keys.length; index++) {
      const key = keys[index]!
      const member = `${this.string(key, key)}: ${this.value(object[key], key)}`
      text += (index === 0 ? '' : ', ') + member
    }
    return text + '}'
  }
}

function compareCodePoints(left: string, right: string): number {
  const length = Math.min(left.length, right.length)
  for (let index = 0; index < length; index++) {
    const leftUnit = left.charCodeAt(index)
    const rightUnit = right.charCodeAt(index)
    if (leftUnit !== rightUnit) return codePointRank(leftUnit) - codePointRank(rightUnit)
  }
  return left.length - right.length
}

// At the first differing UTF-16 unit, code point order differs from unit order only between a
// surrogate (a character above U+FFFF) and a unit from U+E000 to U+FFFF: move surrogates last.
function codePointRank(unit: number): number {
  if (unit >= 0xd800 && unit <= 0xdfff) return unit + 0x2000
  if (unit >= 0xe000) return unit - 0x800
  return unit
}

const SHORT_ESCAPES: Record<string, string> = {
  '"': '\\"',
  '\\': '\\\\',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
  // Go 1.22 and later; older servers wrote \u0008 and \u000c.
  '\b': '\\b',
  '\f': '\\f',
}

// Everything Go escapes with HTML escaping off: quote, backslash, controls, U+2028, U+2029.
const NEEDS_ESCAPE = /["\\\u0000-\u001f\u2028\u2029]/g
// With the `u` flag a surrogate pair is one code point, so this matches only unpaired halves.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u

// Anything that needs a closer look: a character to escape, or half of a surrogate pair.
const SPECIAL = /["\\\u0000-\u001f\u2028\u2029\uD800-\uDFFF]/

function writeString(text: string, writer: MessageWriter): string {
  // A lone surrogate reaches Go as U+FFFD, so the server would sign different text.
  if (LONE_SURROGATE.test(text)) throw writer.fail('a string with a lone surrogate')

  const escaped = text.replace(NEEDS_ESCAPE, (char) => {
    const short = SHORT_ESCAPES[char]
    if (short) return short
    return `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`
  })
  return `"${escaped}"`
}
