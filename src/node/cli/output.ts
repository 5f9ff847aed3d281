// Everything `aim-credentials` prints goes through here: results on stdout, errors and progress on
// stderr, colour only when the stream is a terminal and NO_COLOR is not set, progress only on a
// terminal (a script or a log file gets clean lines).

/** The part of a process stream the output needs. */
export interface OutputStream {
  write(text: string): unknown
  isTTY?: boolean
}

/** Where the output goes and what decides colour. */
export interface OutputTarget {
  stdout: OutputStream
  stderr: OutputStream
  env: Record<string, string | undefined>
}

/** Styles text for one stream; each is the identity when colour is off. */
export interface Palette {
  good(text: string): string
  warn(text: string): string
  bad(text: string): string
  dim(text: string): string
  bold(text: string): string
}

const SPINNER_FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏']

// Work that ends sooner than this shows no progress at all, so quick commands do not flicker.
const PROGRESS_DELAY_MS = 250

/**
 * Colour follows https://no-color.org: never when NO_COLOR is set to anything non-empty, never
 * when the stream is not a terminal or TERM is `dumb`.
 */
export function colourEnabled(stream: OutputStream, env: OutputTarget['env']): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false
  if (env.TERM === 'dumb') return false
  return stream.isTTY === true
}

function paletteFor(enabled: boolean): Palette {
  const wrap = (open: number, close: number) => (text: string) =>
    enabled ? `\u001b[${open}m${text}\u001b[${close}m` : text
  return {
    good: wrap(32, 39),
    warn: wrap(33, 39),
    bad: wrap(31, 39),
    dim: wrap(2, 22),
    bold: wrap(1, 22),
  }
}

/** The CLI's printer. The library never prints; only this does. */
export class Output {
  /** Styles for stdout. */
  readonly style: Palette
  /** Styles for stderr. */
  readonly errorStyle: Palette
  readonly #target: OutputTarget
  readonly #progressEnabled: boolean
  #progressVisible = false

  constructor(target: OutputTarget) {
    this.#target = target
    this.style = paletteFor(colourEnabled(target.stdout, target.env))
    this.errorStyle = paletteFor(colourEnabled(target.stderr, target.env))
    this.#progressEnabled = target.stderr.isTTY === true && target.env.TERM !== 'dumb'
  }

  /** Prints one line of results on stdout. */
  line(text = ''): void {
    this.#clearProgress()
    this.#target.stdout.write(`${text}\n`)
  }

  /** Prints a value as indented JSON on stdout, for scripts. */
  json(value: unknown): void {
    this.line(JSON.stringify(value, null, 2))
  }

  /** Prints an error sentence on stderr, prefixed so that it stands out in a log. */
  error(text: string): void {
    this.#clearProgress()
    this.#target.stderr.write(`${this.errorStyle.bad('error:')} ${text}\n`)
  }

  /** Prints a hint on stderr (what to do instead, or where to read more). */
  hint(text: string): void {
    this.#clearProgress()
    this.#target.stderr.write(`${text}\n`)
  }

  /**
   * Runs `action` while a spinner with `label` turns on stderr (terminals only, and only once the
   * action has taken longer than a moment). `action` may change the label as it goes.
   */
  async progress<T>(
    label: string,
    action: (relabel: (label: string) => void) => Promise<T>,
  ): Promise<T> {
    let current = label
    const relabel = (next: string) => {
      current = next
    }
    if (!this.#progressEnabled) return action(relabel)

    let frame = 0
    const draw = () => {
      const spinner = SPINNER_FRAMES[frame++ % SPINNER_FRAMES.length]
      this.#target.stderr.write(`\r\u001b[2K${spinner} ${current}`)
      this.#progressVisible = true
    }
    let ticker: NodeJS.Timeout | undefined
    const starter = setTimeout(() => {
      draw()
      ticker = setInterval(draw, 80)
    }, PROGRESS_DELAY_MS)

    try {
      return await action(relabel)
    } finally {
      clearTimeout(starter)
      clearInterval(ticker)
      this.#clearProgress()
    }
  }

  #clearProgress(): void {
    if (!this.#progressVisible) return
    this.#target.stderr.write('\r\u001b[2K')
    this.#progressVisible = false
  }
}
