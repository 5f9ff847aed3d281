// The small key-value interface browser storage writes through, and its in-memory implementation.
// IndexedDB implements it too (indexeddb.ts); both make each `change` atomic, which is what keeps
// key creation and credential updates safe when several tabs write at once.

/** What a `change` decides after seeing the current value: write, remove, or leave it. */
export interface RecordChange<T> {
  /** The value to store; leave out (and `remove` unset) to keep the current one. */
  value?: unknown
  /** Remove the record. */
  remove?: boolean
  /** What `change` resolves with once the change is durable. */
  result: T
}

/** A store of named records, kept by structured clone. */
export interface RecordStore {
  /** Where the records live, for messages and events: the database name. */
  readonly name: string
  /** Reads one record; `undefined` when it does not exist. */
  read(name: string): Promise<unknown>
  /**
   * Reads one record, lets `decide` (synchronous) choose what to write, and writes it, all in one
   * atomic step: no other change to the store can come in between.
   */
  change<T>(name: string, decide: (current: unknown) => RecordChange<T>): Promise<T>
}

/**
 * Records kept in this object only: gone when the page (or process) ends, shared with no other
 * tab. Values are copied in and out by structured clone, as IndexedDB does.
 */
export class MemoryRecords implements RecordStore {
  readonly name: string
  readonly #records = new Map<string, unknown>()

  /** @param name - a label for messages and events. */
  constructor(name: string) {
    this.name = name
  }

  async read(name: string): Promise<unknown> {
    return this.#copy(name)
  }

  async change<T>(name: string, decide: (current: unknown) => RecordChange<T>): Promise<T> {
    // Read, decide and write without an await in between: that is what makes it atomic.
    const outcome = decide(this.#copy(name))

    if (outcome.remove) this.#records.delete(name)
    else if ('value' in outcome) this.#records.set(name, structuredClone(outcome.value))
    return outcome.result
  }

  #copy(name: string): unknown {
    const value = this.#records.get(name)
    return value === undefined ? undefined : structuredClone(value)
  }
}

/**
 * IndexedDB records that switch to memory for good the first time IndexedDB turns out to be
 * missing or refused (`ERR_STORAGE_UNAVAILABLE`). Used only when the caller passed an explicit
 * key and did not ask for IndexedDB: the key then lives with the caller, and only the encrypted
 * credentials lose their persistence.
 */
export class RecordsWithMemoryFallback implements RecordStore {
  readonly name: string
  #current: RecordStore

  constructor(preferred: RecordStore) {
    this.name = preferred.name
    this.#current = preferred
  }

  read(name: string): Promise<unknown> {
    return this.#attempt((records) => records.read(name))
  }

  change<T>(name: string, decide: (current: unknown) => RecordChange<T>): Promise<T> {
    return this.#attempt((records) => records.change(name, decide))
  }

  async #attempt<T>(operation: (records: RecordStore) => Promise<T>): Promise<T> {
    try {
      return await operation(this.#current)
    } catch (error) {
      const unavailable = (error as { code?: unknown })?.code === 'ERR_STORAGE_UNAVAILABLE'
      if (!unavailable || this.#current instanceof MemoryRecords) throw error

      this.#current = new MemoryRecords(this.name)
      return operation(this.#current)
    }
  }
}
