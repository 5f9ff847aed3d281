// The browser agent console: imports a credentials file into encrypted IndexedDB storage, keeps the
// session fresh against the local AIM server, registers an agent, signs and verifies actions, and
// shows every security event and the server's audit log.

import { createStore, get } from 'idb-keyval'

import {
  AgentIdentity,
  AimClient,
  AimCredentialsError,
  SecureCredentialStorage,
  TokenManager,
  actionSignatureMessage,
  type SecurityEvent,
} from 'aim-credentials'

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T

const REFRESH_SKEW_SECONDS = 5

function describeError(error: unknown): string {
  if (error instanceof AimCredentialsError) return `${error.code}: ${error.message}`
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error)
}

function setStatus(text: string, state: 'idle' | 'ok' | 'error' = 'idle'): void {
  const line = $('status-line')
  line.textContent = text
  line.dataset.state = state
}

function showResult(id: string, text: string, tone: 'ok' | 'bad'): void {
  const result = $(id)
  result.hidden = false
  result.textContent = text
  result.dataset.tone = tone
}

/** Runs a button's action, reporting failures in the status line instead of losing them. */
function onClick(id: string, action: () => Promise<void>): void {
  const button = $<HTMLButtonElement>(id)
  button.addEventListener('click', async () => {
    button.disabled = true
    try {
      await action()
    } catch (error) {
      setStatus(describeError(error), 'error')
    } finally {
      button.disabled = false
    }
  })
}

// Security events

let refreshes = 0

function recordEvent(event: SecurityEvent): void {
  const item = document.createElement('li')
  const where = event.detail ? ` — ${event.detail}` : ''
  item.textContent = `${event.time.slice(11, 19)}  ${event.type}${where}`
  item.dataset.type = event.type
  $('events').prepend(item)

  if (event.type === 'token.refreshed') {
    refreshes++
    $('refresh-count').textContent = String(refreshes)
    $('last-rotation').textContent = new Date(event.time).toLocaleTimeString()
  }
}

const storage = new SecureCredentialStorage({ onEvent: recordEvent })
const tokens = new TokenManager({
  storage,
  refreshSkewSeconds: REFRESH_SKEW_SECONDS,
  onEvent: recordEvent,
})
const client = new AimClient({ tokens })

// 1. Credentials

async function showStoredState(): Promise<void> {
  const credentials = await storage.loadCredentials()
  const source = await storage.describeKeySource()
  $('stored-state').textContent = credentials
    ? `encrypted in IndexedDB (database "aim-sdk"), for ${String(credentials.userEmail ?? credentials.email ?? 'a user')}`
    : 'nothing yet: import a credentials file'
  $('key-state').textContent = `${source.source}: two non-extractable WebCrypto keys`
}

$<HTMLInputElement>('import-file').addEventListener('change', async (event) => {
  const input = event.target as HTMLInputElement
  const file = input.files?.[0]
  if (!file) return
  try {
    await storage.importCredentials(await file.text())
    await storage.requestPersistence()
    setStatus(`Imported ${file.name}: stored encrypted, the plaintext was not kept.`, 'ok')
    await showStoredState()
  } catch (error) {
    setStatus(describeError(error), 'error')
  } finally {
    input.value = ''
  }
})

onClick('export-key', async () => {
  // Read the stored CryptoKeys exactly as the library keeps them, and ask WebCrypto for the bytes.
  const record = await get<{ signingKey: CryptoKey; encryptionKey: CryptoKey }>(
    'fernet-key',
    createStore('aim-sdk', 'credentials'),
  )
  if (!record) {
    showResult('export-result', 'No key stored yet: import a credentials file first.', 'bad')
    return
  }
  try {
    await crypto.subtle.exportKey('raw', record.encryptionKey)
    showResult('export-result', 'The key was exported: it should not have been!', 'bad')
  } catch (error) {
    showResult(
      'export-result',
      `Refused, as intended: ${describeError(error)} (extractable: ${record.encryptionKey.extractable})`,
      'ok',
    )
  }
})

onClick('logout', async () => {
  const { revoked } = await tokens.logout()
  setStatus(revoked ? 'Signed out: the server revoked the session.' : 'Signed out locally.', 'ok')
  await showStoredState()
})

// 2. Session

let accessTokenExpiry: number | undefined
let keepFresh: ReturnType<typeof setInterval> | undefined

function expiryOf(accessToken: string): number | undefined {
  const payload = accessToken.split('.')[1]
  if (!payload) return undefined
  const claims = JSON.parse(atob(payload.replaceAll('-', '+').replaceAll('_', '/')))
  return typeof claims.exp === 'number' ? claims.exp : undefined
}

async function useAccessToken(forced: boolean): Promise<void> {
  const accessToken = forced ? await tokens.refresh() : await tokens.getAccessToken()
  accessTokenExpiry = expiryOf(accessToken)
  setStatus('Session active.', 'ok')
}

setInterval(() => {
  if (accessTokenExpiry === undefined) return
  const left = Math.round(accessTokenExpiry - Date.now() / 1000)
  $('token-expiry').textContent = left > 0 ? `valid for ${left} s more` : 'expired'
}, 250)

onClick('force-refresh', () => useAccessToken(true))

$('auto-refresh').addEventListener('click', () => {
  const button = $('auto-refresh')
  if (keepFresh) {
    clearInterval(keepFresh)
    keepFresh = undefined
    button.setAttribute('aria-pressed', 'false')
    return
  }
  button.setAttribute('aria-pressed', 'true')
  const tick = () =>
    useAccessToken(false).catch((error) => setStatus(describeError(error), 'error'))
  void tick()
  keepFresh = setInterval(tick, 1000)
})

// 3. Agent

let agent: { id: string; identity: AgentIdentity } | undefined

onClick('register-agent', async () => {
  const name = $<HTMLInputElement>('agent-name').value.trim() || 'demo-agent'
  const registered = await client.registerAgent({ name, agentType: 'custom' })
  agent = { id: registered.agentId, identity: registered.identity }
  $('agent-id').textContent = registered.agentId
  $('agent-public-key').textContent = registered.identity.publicKey
  setStatus(`Registered ${name}; its private key never left this page.`, 'ok')
})

// 4. Actions

onClick('verify-action', async () => {
  if (!agent) throw new Error('Register an agent first (card 3).')
  const action = {
    agentId: agent.id,
    actionType: $<HTMLSelectElement>('action-type').value,
    resource: $<HTMLInputElement>('action-resource').value,
    context: JSON.parse($<HTMLTextAreaElement>('action-context').value || '{}'),
    timestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
  }

  const message = $('action-message')
  message.hidden = false
  message.textContent = `Signed message:\n${actionSignatureMessage(action)}`

  const verification = await client.verifyAction(agent.identity, action)
  const approved = verification.status === 'approved'
  const reason = verification.denialReason ? ` (${verification.denialReason})` : ''
  showResult('action-result', `${verification.status}${reason}`, approved ? 'ok' : 'bad')
  if (approved) await client.reportActionResult(verification.id, { result: 'success' })
})

// Audit log

onClick('load-audit', async () => {
  const rows = await client.listAuditLogs()
  const list = $('audit')
  list.replaceChildren(
    ...rows.map((row) => {
      const item = document.createElement('li')
      item.textContent = `${row.action}${row.actor ? ` by ${row.actor}` : ''}${row.detail ? ` — ${row.detail}` : ''}`
      return item
    }),
  )
})

showStoredState().then(
  () => setStatus('Ready.'),
  (error) => setStatus(describeError(error), 'error'),
)
