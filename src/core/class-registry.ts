// Values kept per class and found along the prototype chain. This is how an entry gives its
// subclass a runtime's part (node:crypto primitives, a signer, a default storage) without adding
// a public member: both entries' classes keep exactly one public shape.

/** A value per class, inherited by subclasses. Internal: not public API. */
export interface ClassRegistry<T> {
  /** Gives `subclass` (and its own subclasses) `value`. */
  register(subclass: object, value: T): void
  /** The value of `constructor` or of its nearest ancestor, if any. */
  lookup(constructor: object): T | undefined
}

/** Makes an empty registry. */
export function classRegistry<T>(): ClassRegistry<T> {
  const values = new WeakMap<object, T>()

  return {
    register(subclass, value) {
      values.set(subclass, value)
    },
    lookup(constructor) {
      for (
        let current: object | null = constructor;
        current;
        current = Object.getPrototypeOf(current)
      ) {
        const value = values.get(current)
        if (value !== undefined) return value
      }
      return undefined
    },
  }
}
