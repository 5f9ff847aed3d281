// The entry for browsers, workers, Deno and Bun: the core on WebCrypto, plus storage in IndexedDB.

export {
  AimCredentialsError,
  Fernet,
  FernetInvalidKeyError,
  FernetInvalidTokenError,
  MultiFernet,
  type ErrorCode,
  type ErrorOptions,
  type FernetDecryptOptions,
  type FernetEncryptOptions,
  type FernetKeyOptions,
} from '../core/index.ts'
export { findPlaintextCredentialFiles, PlaintextCredentialStorage } from './plaintext-storage.ts'
export { SecureCredentialStorage } from './secure-storage.ts'
export type {
  Credentials,
  CredentialsUpdate,
  CredentialStore,
  KeySource,
  KeySourceDescription,
  PlaintextCredentialStorageOptions,
  PlaintextSearchOptions,
  SecureCredentialStorageOptions,
  SecureCredentialStore,
  SecurityEvent,
  SecurityEventListener,
  SecurityEventType,
} from '../core/storage.ts'
