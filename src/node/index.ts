// The entry for Node: the core with Fernet on node:crypto, plus the OS keyring and files.

export {
  AimCredentialsError,
  FernetInvalidKeyError,
  FernetInvalidTokenError,
  MultiFernet,
  type ErrorCode,
  type ErrorOptions,
  type FernetDecryptOptions,
  type FernetEncryptOptions,
  type FernetKeyOptions,
} from '../core/index.ts'
export { Fernet } from './fernet-node.ts'
export { findPlaintextCredentialFiles } from './credential-paths.ts'
export { PlaintextCredentialStorage } from './plaintext-storage.ts'
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
