// The runtime-free core: everything here runs on any runtime with WebCrypto.

export {
  AimCredentialsError,
  FernetInvalidKeyError,
  FernetInvalidTokenError,
  type ErrorCode,
  type ErrorOptions,
} from './errors.ts'
export {
  Fernet,
  type FernetDecryptOptions,
  type FernetEncryptOptions,
  type FernetKeyOptions,
} from './fernet.ts'
export { MultiFernet } from './multi-fernet.ts'
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
} from './storage.ts'
