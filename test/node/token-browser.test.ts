// Three Chromium pages of one origin share SDK credentials through the web entry's
// SecureCredentialStorage (IndexedDB and Web Locks) and talk to the demo AIM server with a
// seconds-long access-token lifetime: one refresh per expiry, no reuse, every call served.

import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect } from 'vitest'

import { CHROMIUM_ARGS } from '../../vite.config.ts'
import { startAimServer, type AimServer } from '../../demo/server/index.ts'
import { itWith, CHROMIUM, chromiumBrowser } from './components.ts'
import { serveWebEntry, type EntryPageServer } from './web-bundle.ts'

declare global {
  interface Window {
    tokens?: import('../../src/web/index.ts').TokenManager
  }
}

interface TabRound {
  tokens: string[]
  calls: number
  errors: string[]
}

const withChromium = itWith(chromiumBrowser)

const PAGES = 3
const ROUNDS = 3
const CALLS_PER_PAGE = 25
// As in the multi-process test: tokens live 4 s, refreshed 1 s early, rounds 4 s apart.
const TTL_SECONDS = 4
const PERIOD_MS = 4_000
const DATABASE = 'aim-token-tabs'

let pageServer: EntryPageServer | undefined
let aimServer: AimServer | undefined
let browser: Browser | undefined
let origin = ''

beforeAll(async () => {
  if (!chromiumBrowser.available) return

  pageServer = await serveWebEntry()
  origin = pageServer.origin

  aimServer = await startAimServer({ accessTokenTtlSeconds: TTL_SECONDS })
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
}, 120_000)

afterAll(async () => {
  await browser?.close()
  await aimServer?.close()
  await pageServer?.close()
})

async function openPage(context: Awaited<ReturnType<Browser['newContext']>>): Promise<Page> {
  const page = await context.newPage()
  await page.goto(origin)
  await page.waitForFunction(() => window.aimReady === true)
  return page
}

async function isAccepted(token: string): Promise<boolean> {
  const response = await fetch(`${aimServer!.url}/api/v1/audit-logs`, {
    headers: { authorization: `Bearer ${token}` },
  })
  await response.body?.cancel()
  return response.status === 200
}

describe('TokenManager across Chromium pages of one origin', () => {
  withChromium(
    `${PAGES} pages × ${CALLS_PER_PAGE} calls over ${ROUNDS} expiries: one refresh per expiry, no reuse`,
    async () => {
      const context = await browser!.newContext()
      const pages: Page[] = []
      for (let index = 0; index < PAGES; index += 1) pages.push(await openPage(context))

      const credentials = await aimServer!.issueSdkCredentials()
      await pages[0]!.evaluate(
        ([database, credentials]) =>
          new window.aim.SecureCredentialStorage({ database }).saveCredentials(credentials),
        [DATABASE, credentials] as const,
      )
      for (const page of pages) {
        await page.evaluate((database) => {
          const storage = new window.aim.SecureCredentialStorage({ database })
          window.tokens = new window.aim.TokenManager({ storage, refreshSkewSeconds: 1 })
        }, DATABASE)
      }

      const startAt = Date.now() + 200
      const rounds: TabRound[][] = []
      const accepted: boolean[] = []
      for (let round = 0; round < ROUNDS; round += 1) {
        const wait = startAt + round * PERIOD_MS - Date.now()
        if (wait > 0) await new Promise((wake) => setTimeout(wake, wait))

        rounds.push(
          await Promise.all(
            pages.map((page) =>
              page.evaluate(async (calls) => {
                const outcomes = await Promise.allSettled(
                  Array.from({ length: calls }, () => window.tokens!.getAccessToken()),
                )
                const tokens = outcomes.flatMap((outcome) =>
                  outcome.status === 'fulfilled' ? [outcome.value] : [],
                )
                const errors = outcomes.flatMap((outcome) =>
                  outcome.status === 'rejected'
                    ? [String((outcome.reason as { code?: string }).code)]
                    : [],
                )
                return { tokens: [...new Set(tokens)], calls: outcomes.length, errors }
              }, CALLS_PER_PAGE),
            ),
          ),
        )
        // Checked within the round, while the token must still be valid.
        accepted.push(
          ...(await Promise.all(rounds.at(-1)!.flatMap((result) => result.tokens.map(isAccepted)))),
        )
      }
      await context.close()

      expect(aimServer!.stats()).toMatchObject({ refreshes: ROUNDS, reuseDetections: 0 })
      for (const results of rounds) {
        for (const result of results) {
          expect(result.errors).toEqual([])
          expect(result.calls).toBe(CALLS_PER_PAGE)
        }
        const tokens = new Set(results.flatMap((result) => result.tokens))
        expect(tokens.size).toBe(1)
      }
      expect(accepted).toEqual(Array(PAGES * ROUNDS).fill(true))
    },
    90_000,
  )
})
