// Base64 in both alphabets, in plain JavaScript for WebCrypto runtimes that lack Node's buffers.
//
// Decoding is strict: only the alphabet's characters, padding to a multiple of four, and no
// leftover bits. Fernet tokens and keys are always canonical, so anything else is rejected rather
// than "repaired" the way lenient decoders do.

const STANDARD = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
const URL_SAFE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

function decodingTable(alphabet: string): Int16Array {
  const table = new Int16Array(128).fill(-1)
  for (let index = 0; index < alphabet.length; index++) table[alphabet.charCodeAt(index)] = index
  return table
}

const STANDARD_TABLE = decodingTable(STANDARD)
const URL_SAFE_TABLE = decodingTable(URL_SAFE)

function encode(bytes: Uint8Array, alphabet: string): string {
  const parts: string[] = []
  let chunk = ''
  const whole = bytes.length - (bytes.length % 3)

  for (let index = 0; index < whole; index += 3) {
    const triple = (bytes[index]! << 16) | (bytes[index + 1]! << 8) | bytes[index + 2]!
    chunk +=
      alphabet[triple >> 18]! +
      alphabet[(triple >> 12) & 63]! +
      alphabet[(triple >> 6) & 63]! +
      alphabet[triple & 63]!
    // Flush now and then: one huge string built by `+=` is slow to flatten in some engines.
    if (chunk.length >= 8192) {
      parts.push(chunk)
      chunk = ''
    }
  }

  const rest = bytes.length - whole
  if (rest === 1) {
    const value = bytes[whole]! << 16
    chunk += alphabet[value >> 18]! + alphabet[(value >> 12) & 63]! + '=='
  } else if (rest === 2) {
    const value = (bytes[whole]! << 16) | (bytes[whole + 1]! << 8)
    chunk += alphabet[value >> 18]! + alphabet[(value >> 12) & 63]! + alphabet[(value >> 6) & 63]!
    chunk += '='
  }

  parts.push(chunk)
  return parts.join('')
}

function decode(text: string, table: Int16Array): Uint8Array<ArrayBuffer> | undefined {
  if (text.length % 4 !== 0) return undefined

  let padding = 0
  if (text.endsWith('==')) padding = 2
  else if (text.endsWith('=')) padding = 1

  const output = new Uint8Array((text.length / 4) * 3 - padding)
  let written = 0
  for (let index = 0; index < text.length; index += 4) {
    const last = index + 4 === text.length
    let quad = 0
    for (let offset = 0; offset < 4; offset++) {
      const code = text.charCodeAt(index + offset)
      const isPadding = last && code === 61 && offset >= 4 - padding
      const value = isPadding ? 0 : code < 128 ? table[code]! : -1
      if (value < 0) return undefined
      quad = (quad << 6) | value
    }

    if (last && padding === 2) {
      if ((quad & 0xffff) !== 0) return undefined
      output[written++] = quad >> 16
    } else if (last && padding === 1) {
      if ((quad & 0xff) !== 0) return undefined
      output[written++] = quad >> 16
      output[written++] = (quad >> 8) & 0xff
    } else {
      output[written++] = quad >> 16
      output[written++] = (quad >> 8) & 0xff
      output[written++] = quad & 0xff
    }
  }

  return output
}

/** Encodes bytes as URL-safe base64 with `=` padding, the form Fernet tokens and keys use. */
export function encodeBase64Url(bytes: Uint8Array): string {
  return encode(bytes, URL_SAFE)
}

/** Decodes padded URL-safe base64, or returns `undefined` for anything not canonical. */
export function decodeBase64Url(text: string): Uint8Array<ArrayBuffer> | undefined {
  return decode(text, URL_SAFE_TABLE)
}

/** Encodes bytes as standard base64 with padding, the form AIM uses for Ed25519 keys. */
export function encodeBase64(bytes: Uint8Array): string {
  return encode(bytes, STANDARD)
}

/** Decodes padded standard base64, or returns `undefined` for anything not canonical. */
export function decodeBase64(text: string): Uint8Array<ArrayBuffer> | undefined {
  return decode(text, STANDARD_TABLE)
}
