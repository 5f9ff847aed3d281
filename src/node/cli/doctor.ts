// `aim-credentials doctor`: checks the keyring with a throwaway entry, file and folder modes,
// plaintext leftovers, that the credentials open, and the server's reachability and clock skew;
// says how to fix each finding, and exits 1 when something needs fixing.

import type { Command, CommandContext } from './command.ts'
import {
  checkFiles,
  checkKeyring,
  checkModes,
  checkPlaintext,
  checkServer,
  type CheckResult,
} from './doctor-checks.ts'
import { EXIT_ACTION_NEEDED, EXIT_OK, type ExitCode } from './exit-codes.ts'
import { findCredentialFiles } from './locations.ts'
import type { Output } from './output.ts'

const HELP = `Usage: aim-credentials doctor [--server URL] [--json]

Checks that the OS keyring stores, returns and deletes a throwaway entry; that credentials files
are mode 0600 and their folders 0700; that no plaintext credentials are left; that every file
opens with the stored key and holds an unexpired refresh token; and that the AIM server named in
the credentials answers, with a clock within 10 s of this machine's. Prints how to fix each
finding.

Options:
  --server URL            check this AIM server instead of the one in the credentials
  --json                  print the results as JSON`

/** The `doctor` command. */
export const doctorCommand: Command = {
  name: 'doctor',
  summary: 'check keyring, modes, plaintext leftovers, server and clock; say how to fix',
  help: HELP,
  options: { server: { type: 'string' }, json: { type: 'boolean' } },
  run: runDoctor,
}

async function runDoctor({ values, settings, output }: CommandContext): Promise<ExitCode> {
  const results = await output.progress('checking…', async (relabel) => {
    const inventory = await findCredentialFiles(settings)
    const all: CheckResult[] = []

    relabel('checking the OS keyring…')
    all.push(...(await checkKeyring(settings)))
    all.push(...checkModes(inventory))
    all.push(...checkPlaintext(inventory))

    relabel('opening the credentials…')
    const files = await checkFiles(inventory.files, settings)
    all.push(...files.results)

    const servers = new Set<string>()
    if (typeof values.server === 'string') servers.add(values.server)
    else
      for (const summary of files.summaries)
        if (summary.sdk?.server) servers.add(summary.sdk.server)
    if (servers.size === 0) {
      all.push({ check: 'server', ok: true, message: 'no stored server URL; server not checked' })
    }
    for (const server of servers) {
      relabel(`asking ${server} for the time…`)
      all.push(...(await checkServer(server)))
    }
    return all
  })

  const problems = results.filter((result) => !result.ok).length
  if (values.json === true) output.json({ ok: problems === 0, results })
  else printResults(results, problems, output)
  return problems === 0 ? EXIT_OK : EXIT_ACTION_NEEDED
}

function printResults(results: CheckResult[], problems: number, output: Output): void {
  const { good, bad, bold } = output.style
  for (const result of results) {
    const mark = result.ok ? good('ok     ') : bad('problem')
    output.line(`${mark}  ${result.check.padEnd(9)} ${result.message}`)
    if (result.fix) output.line(`         ${bold('fix:')}      ${result.fix}`)
  }
  output.line()
  output.line(
    problems === 0
      ? good('Everything looks right.')
      : bad(`${problems} finding(s) need attention; each line above says how to fix it.`),
  )
}
