// Asking the browser to keep this origin's storage: without it, browsers may evict IndexedDB
// under storage pressure (and Safari after 7 days without a visit), taking the key with it.

/**
 * Calls `navigator.storage.persist()` where it exists. Resolves `true` when the origin's storage
 * is (now) persistent, `false` when the API is missing, the browser declines, or it fails.
 */
export async function requestStoragePersistence(): Promise<boolean> {
  const storage = (globalThis.navigator as Navigator | undefined)?.storage
  if (typeof storage?.persist !== 'function') return false

  try {
    if (typeof storage.persisted === 'function' && (await storage.persisted())) return true
    return await storage.persist()
  } catch {
    // Some browsers reject in private modes or insecure contexts: the answer is simply "no".
    return false
  }
}
