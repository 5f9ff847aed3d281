// End to end: the demo's agent console in real Chromium, through the whole path a user takes —
// download and import credentials, the refused key export, live rotations, agent registration,
// approved and denied actions, events and the server's audit log. Screenshots of each step are
// saved under test-results/demo-console/.

import { mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect } from 'vitest'

import { startDemo, type Demo } from '../../demo/start.ts'
import { CHROMIUM_ARGS } from '../../vite.config.ts'
import { CHROMIUM, chromiumBrowser, itWith } from './components.ts'

const it = itWith(chromiumBrowser)
const screenshots = fileURLToPath(new URL('../../test-results/demo-console/', import.meta.url))
const ACCESS_TOKEN_SECONDS = 8

let demo: Demo | undefined
let browser: Browser | undefined
let page: Page

async function snapshot(name: string): Promise<void> {
  await page.screenshot({ path: `${screenshots}${name}.png`, fullPage: true })
}

beforeAll(async () => {
  if (!chromiumBrowser.available) return
  mkdirSync(screenshots, { recursive: true })
  demo = await startDemo({ port: 0, accessTokenTtlSeconds: ACCESS_TOKEN_SECONDS })
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })
  page = await (await browser.newContext({ acceptDownloads: true })).newPage()
  await page.goto(demo.url)
  await page.waitForFunction(
    () => document.getElementById('status-line')?.textContent === 'Ready.',
    undefined,
    { timeout: 60_000 },
  )
}, 90_000)

afterAll(async () => {
  await browser?.close()
  await demo?.close()
})

describe('the demo agent console', () => {
  it('imports a downloaded credentials file into encrypted storage', async () => {
    const download = page.waitForEvent('download')
    await page.click('#download-link')
    const file = await (await download).path()

    await page.setInputFiles('#import-file', file)
    await expect.poll(() => page.textContent('#status-line')).toMatch(/^Imported .*not kept/)
    expect(await page.textContent('#stored-state')).toMatch(/encrypted in IndexedDB/)
    expect(await page.textContent('#events')).toContain('credentials.imported')
    await snapshot('1-imported')
  })

  it('cannot export the stored key', async () => {
    await page.click('#export-key')
    await expect.poll(() => page.textContent('#export-result')).toMatch(/^Refused, as intended/)
    expect(await page.textContent('#export-result')).toContain('extractable: false')
    await snapshot('2-export-refused')
  })

  it('keeps the session fresh across rotations with no reuse', async () => {
    await page.click('#auto-refresh')
    await expect
      .poll(async () => Number(await page.textContent('#refresh-count')), { timeout: 40_000 })
      .toBeGreaterThanOrEqual(3)
    await page.click('#auto-refresh')

    expect(await page.textContent('#token-expiry')).toMatch(/valid for \d+ s more/)
    expect(demo!.aim.stats().reuseDetections).toBe(0)
    await snapshot('3-rotations')
  }, 60_000)

  it('registers an agent whose key stays in the page', async () => {
    await page.click('#register-agent')
    await expect.poll(() => page.textContent('#agent-id')).not.toBe('—')
    expect(await page.textContent('#agent-public-key')).toMatch(/^[A-Za-z0-9+/]{43}=$/)
    await snapshot('4-agent')
  })

  it('signs actions the server approves and denies', async () => {
    await page.selectOption('#action-type', 'read_database')
    await page.click('#verify-action')
    await expect.poll(() => page.textContent('#action-result')).toMatch(/^approved/)
    expect(await page.textContent('#action-message')).toContain(
      '"context": {"reason": "nightly report ✓"',
    )
    await snapshot('5-approved')

    await page.selectOption('#action-type', 'deny_delete_database')
    await page.click('#verify-action')
    await expect.poll(() => page.textContent('#action-result')).toMatch(/^denied/)
    await snapshot('6-denied')
  })

  it('shows the server audit log', async () => {
    await page.click('#load-audit')
    await expect.poll(() => page.locator('#audit li').count()).toBeGreaterThan(3)
    const audit = await page.textContent('#audit')
    expect(audit).toMatch(/refresh/)
    expect(audit).toMatch(/agent/)
    expect(audit).toMatch(/verif/)
    await snapshot('7-audit')
  })
})
