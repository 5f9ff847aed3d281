// Decides whether an AIM server URL may receive tokens: HTTPS everywhere, plain HTTP only on the
// loopback interface (development servers on this machine).

import { TokenError } from './errors.ts'

const LOOPBACK_HOSTNAMES = new Set(['localhost', '[::1]'])

function isLoopback(hostname: string): boolean {
  const name = hostname.toLowerCase()
  if (LOOPBACK_HOSTNAMES.has(name) || name.endsWith('.localhost')) return true

  // 127.0.0.0/8; URL parsing has already normalised forms such as `127.1` to dotted quads.
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name)
}

/**
 * Parses the server URL from stored credentials and checks that tokens may be sent to it.
 *
 * @param url The `aimUrl` / `aim_url` value, e.g. `https://aim.example.com`.
 * @returns The parsed URL, without query or fragment.
 * @throws {TokenError} `ERR_INSECURE_URL` when the URL is not HTTPS and not a loopback HTTP URL,
 *   or is not a URL at all.
 *
 * > [!WARNING]
 * > Plain HTTP is accepted for `localhost`, `*.localhost`, `127.0.0.0/8` and `[::1]` only, for
 * > development servers on the same machine.
 */
export function parseServerUrl(url: unknown): URL {
  if (typeof url !== 'string' || !URL.canParse(url)) {
    throw new TokenError(
      'ERR_INSECURE_URL',
      'The stored AIM server URL (aimUrl) is missing or not a URL; save credentials that name ' +
        'the server, e.g. "https://aim.example.com"',
    )
  }

  const parsed = new URL(url)
  const secure = parsed.protocol === 'https:'
  const loopbackHttp = parsed.protocol === 'http:' && isLoopback(parsed.hostname)
  if (!secure && !loopbackHttp) {
    throw new TokenError(
      'ERR_INSECURE_URL',
      `Refusing to send tokens to ${parsed.protocol}//${parsed.host}: the AIM server must use ` +
        'HTTPS (plain HTTP is allowed only on localhost for development)',
    )
  }
  if (parsed.username || parsed.password) {
    throw new TokenError(
      'ERR_INSECURE_URL',
      'The stored AIM server URL must not contain a user name or password',
    )
  }

  parsed.search = ''
  parsed.hash = ''
  return parsed
}

/**
 * Joins an API path to the server URL, keeping any path prefix the server URL has.
 *
 * @param server A URL returned by `parseServerUrl`.
 * @param path An absolute API path such as `/api/v1/auth/refresh`.
 */
export function serverEndpoint(server: URL, path: string): string {
  return `${server.origin}${server.pathname.replace(/\/+$/, '')}${path}`
}
