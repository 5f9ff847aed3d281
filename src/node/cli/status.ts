// `aim-credentials status`: where the credentials are, which key source and keyring backend, file
// and folder modes, token expiry and last rotation, and the agents stored. Never a secret.

import type { KeySourceDescription } from '../../core/storage.ts'
import { SecureCredentialStorage } from '../secure-storage.ts'
import type { Command, CommandContext } from './command.ts'
import { summarizeFile, type FileSummary, type TokenTimes } from './credential-summary.ts'
import { EXIT_OK, type ExitCode } from './exit-codes.ts'
import { readKeyState, type KeyState } from './key-state.ts'
import {
  findCredentialFiles,
  formatMode,
  type CredentialFile,
  type CredentialFolder,
} from './locations.ts'
import type { Output } from './output.ts'

/** The `status --json` document. */
export interface StatusReport {
  home: string
  cwd: string
  keyringService: string
  keySource: KeySourceDescription
  keys: KeyState
  folders: { path: string; exists: boolean; mode?: string; symlink: boolean }[]
  credentials: (FileEntry & Pick<FileSummary, 'sdk'>)[]
  agents: (FileEntry & Pick<FileSummary, 'agent'>)[]
}

interface FileEntry {
  path: string
  format: CredentialFile['format']
  place: CredentialFile['place']
  mode: string
  symlink: boolean
  error?: FileSummary['error']
}

const HELP = `Usage: aim-credentials status [--json]

Shows where the credentials are (encrypted and plaintext, SDK and agent files, in ~/.aim and
./.aim), the key source and keyring backend, file and folder modes, the refresh token's expiry and
last rotation, and the agents stored. Never prints a key, token or credential value.

Options:
  --json                  print a JSON document for scripts instead of text`

/** The `status` command. */
export const statusCommand: Command = {
  name: 'status',
  summary: 'show where the credentials are, the key source, modes and token expiry',
  help: HELP,
  options: { json: { type: 'boolean' } },
  run: runStatus,
}

async function runStatus({ values, settings, output }: CommandContext): Promise<ExitCode> {
  const report = await output.progress('reading credentials…', async () => {
    const inventory = await findCredentialFiles(settings)
    const storage = new SecureCredentialStorage({ keyringService: settings.keyringService })

    const credentials: StatusReport['credentials'] = []
    const agents: StatusReport['agents'] = []
    for (const file of inventory.files) {
      const summary = await summarizeFile(file, settings)
      const entry = { ...fileEntry(file), ...summary }
      if (file.kind === 'sdk') credentials.push(entry)
      else agents.push(entry)
    }

    return {
      home: settings.home,
      cwd: settings.cwd,
      keyringService: settings.keyringService,
      keySource: await storage.describeKeySource(),
      keys: await readKeyState(settings),
      folders: inventory.folders.map(folderEntry),
      credentials,
      agents,
    } satisfies StatusReport
  })

  if (values.json === true) output.json(report)
  else printStatus(report, output)
  return EXIT_OK
}

function fileEntry(file: CredentialFile): FileEntry {
  return {
    path: file.path,
    format: file.format,
    place: file.place,
    mode: formatMode(file.mode),
    symlink: file.symlink,
  }
}

function folderEntry(folder: CredentialFolder): StatusReport['folders'][number] {
  const entry: StatusReport['folders'][number] = {
    path: folder.path,
    exists: folder.exists,
    symlink: folder.symlink,
  }
  if (folder.mode !== undefined) entry.mode = formatMode(folder.mode)
  return entry
}

function printStatus(report: StatusReport, output: Output): void {
  const { bold, dim, warn, bad } = output.style

  output.line(bold('Credentials'))
  if (report.credentials.length === 0) output.line(`  ${dim('none found in ~/.aim or ./.aim')}`)
  for (const entry of report.credentials) {
    output.line(`  ${entry.path}  ${formatLabel(entry, output)}  mode ${entry.mode}`)
    if (entry.error) output.line(`    ${bad(entry.error.code)}: ${entry.error.message}`)
    const sdk = entry.sdk
    if (!sdk) continue
    if (sdk.server) output.line(`    server         ${sdk.server}`)
    if (sdk.email ?? sdk.userId) output.line(`    user           ${sdk.email ?? sdk.userId}`)
    output.line(`    refresh token  ${describeTimes(sdk.refreshToken, output)}`)
    if (sdk.refreshToken?.issuedAt) {
      output.line(`    last rotation  ${sdk.refreshToken.issuedAt}`)
    }
    if (sdk.accessToken) output.line(`    access token   ${describeTimes(sdk.accessToken, output)}`)
  }

  output.line()
  output.line(bold('Agents'))
  if (report.agents.length === 0) output.line(`  ${dim('none stored')}`)
  for (const entry of report.agents) {
    const agent = entry.agent
    const who = agent ? `${agent.name ?? '?'} (id ${agent.agentId ?? '?'})` : ''
    const state = agent?.status ? `  ${agent.status}` : ''
    output.line(
      `  ${who}${state}  ${entry.path}  ${formatLabel(entry, output)}  mode ${entry.mode}`,
    )
    if (entry.error) output.line(`    ${bad(entry.error.code)}: ${entry.error.message}`)
  }

  output.line()
  output.line(bold('Key'))
  const { source, backend } = report.keySource
  output.line(`  source         ${source}${backend ? ` (${backend})` : ''}`)
  if (source === 'keyring') output.line(`  keyring item   service ${report.keyringService}`)
  output.line(`  key            ${describeKey(report.keys)}`)
  if (report.keys.pendingKey) {
    output.line(
      `  ${warn('pending key    an interrupted rotation; run `aim-credentials rotate-key`')}`,
    )
  }
  if (report.keys.error)
    output.line(`  ${bad(report.keys.error.code)}: ${report.keys.error.message}`)

  output.line()
  output.line(bold('Folders'))
  for (const folder of report.folders) {
    const state = folder.exists
      ? `mode ${folder.mode}${folder.symlink ? ' (symlink)' : ''}`
      : dim('absent')
    output.line(`  ${folder.path}  ${state}`)
  }
}

function formatLabel(entry: FileEntry, output: Output): string {
  const link = entry.symlink ? ' (symlink)' : ''
  if (entry.format === 'encrypted') return `encrypted${link}`
  return output.style.warn(`plaintext${link}`)
}

function describeTimes(times: TokenTimes | undefined, output: Output): string {
  if (!times?.expiresAt) return output.style.dim('no expiry readable')
  const when = relativeTime(times.expiresAt)
  return times.expired
    ? output.style.bad(`expired ${times.expiresAt} (${when})`)
    : `expires ${times.expiresAt} (${when})`
}

function describeKey(state: KeyState): string {
  switch (state.key) {
    case 'present':
      return 'stored'
    case 'missing':
      return 'not stored yet (created on first save)'
    case 'environment':
      return 'from AIM_ENCRYPTION_KEY (the keyring is not used)'
    case 'unreadable':
      return 'could not be read'
  }
}

function relativeTime(iso: string): string {
  const seconds = Math.round((Date.parse(iso) - Date.now()) / 1000)
  const magnitude = Math.abs(seconds)
  const amount =
    magnitude >= 86_400
      ? `${Math.floor(magnitude / 86_400)} d`
      : magnitude >= 3600
        ? `${Math.floor(magnitude / 3600)} h`
        : magnitude >= 60
          ? `${Math.floor(magnitude / 60)} min`
          : `${magnitude} s`
  return seconds >= 0 ? `in ${amount}` : `${amount} ago`
}
