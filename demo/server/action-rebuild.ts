// The demo server's rebuild of a signed action message, written the way the AIM server does it
// (and independently of the client's `actionSignatureMessage`): marshal compactly as Go's
// encoding/json with HTML escaping off, then insert one space after every `:` and `,` outside a
// string (shared/AIM-API.md, "Action verification").

/** Go's float64 encoding: shortest digits, 'e' form below 1e-6 and from 1e21, `e-07` → `e-7`. */
function goFloat(value: number): string {
  if (value === 0) return Object.is(value, -0) ? '-0' : '0'

  // toExponential() without digits gives the shortest digits that round-trip.
  const [mantissa, exponentText] = Math.abs(value).toExponential().split('e') as [string, string]
  const digits = mantissa.replace('.', '')
  const exponent = Number(exponentText)
  const sign = value < 0 ? '-' : ''
  const magnitude = Math.abs(value)

  if (magnitude < 1e-6 || magnitude >= 1e21) {
    const twoDigits = String(Math.abs(exponent)).padStart(2, '0')
    let text = `${mantissa}e${exponent < 0 ? '-' : '+'}${twoDigits}`
    text = text.replace(/e-0(\d)$/, 'e-$1')
    return sign + text
  }

  const point = exponent + 1 // digits before the decimal point
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`
  if (point >= digits.length) return sign + digits + '0'.repeat(point - digits.length)
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`
}

function goString(text: string): string {
  let out = '"'
  for (const char of text) {
    const code = char.codePointAt(0)!
    if (char === '"') out += '\\"'
    else if (char === '\\') out += '\\\\'
    else if (char === '\n') out += '\\n'
    else if (char === '\r') out += '\\r'
    else if (char === '\t') out += '\\t'
    else if (char === '\b') out += '\\b'
    else if (char === '\f') out += '\\f'
    else if (code < 0x20 || code === 0x2028 || code === 0x2029) {
      out += '\\u' + code.toString(16).padStart(4, '0')
    } else if (code >= 0xd800 && code <= 0xdfff)
      out += '\ufffd' // Go holds no lone surrogates
    else out += char
  }
  return out + '"'
}

function goMarshal(value: unknown): string {
  if (value === null) return 'null'
  if (value === true) return 'true'
  if (value === false) return 'false'
  if (typeof value === 'number') return goFloat(value)
  if (typeof value === 'string') return goString(value)
  if (Array.isArray(value)) return `[${value.map(goMarshal).join(',')}]`

  const object = value as Record<string, unknown>
  const keys = Object.keys(object).sort((left, right) =>
    Buffer.compare(Buffer.from(left, 'utf8'), Buffer.from(right, 'utf8')),
  )
  return `{${keys.map((key) => `${goString(key)}:${goMarshal(object[key])}`).join(',')}}`
}

function addSpaces(compact: string): string {
  let out = ''
  let inString = false
  let escaped = false
  for (const char of compact) {
    out += char
    if (inString) {
      if (escaped) escaped = false
      else if (char === '\\') escaped = true
      else if (char === '"') inString = false
    } else if (char === '"') {
      inString = true
    } else if (char === ':' || char === ',') {
      out += ' '
    }
  }
  return out
}

/** The verification request fields the signature covers. */
export interface SignedActionFields {
  agent_id: string
  action_type: string
  resource?: unknown
  context?: unknown
  timestamp: string
}

/** Rebuilds the message the agent must have signed for a verification request. */
export function rebuildActionMessage(body: SignedActionFields): string {
  const context =
    body.context && typeof body.context === 'object' && Object.keys(body.context).length > 0
      ? body.context
      : {}
  const resource = typeof body.resource === 'string' && body.resource !== '' ? body.resource : null
  const signed = {
    action_type: body.action_type,
    agent_id: body.agent_id,
    context,
    resource,
    timestamp: body.timestamp,
  }
  return addSpaces(goMarshal(signed))
}
