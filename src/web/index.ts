// The entry for browsers, workers, Deno and Bun: the core on WebCrypto, plus storage in IndexedDB.

export {
  AimCredentialsError,
  Fernet,
  FernetInvalidKeyError,
  FernetInvalidTokenError,
  MultiFernet,
  SessionRevokedError,
  TokenError,
  TokenManager,
  type ErrorCode,
  type ErrorOptions,
  type FernetDecryptOptions,
  type FernetEncryptOptions,
  type FernetKeyOptions,
  type LogoutResult,
  type TokenErrorCode,
  type TokenManagerOptions,
} from '../core/index.ts'
export { findPlaintextCredentialFiles, PlaintextCredentialStorage } from './plaintext-storage.ts'
export { SecureCredentialStorage } from './secure-storage.ts'
export { actionSignatureMessage, type AgentAction } from '../core/action-message.ts'
export {
  AgentIdentity,
  type AgentKeyOptions,
  type AgentRequest,
  type AgentRequestHeaders,
} from '../core/agent-identity.ts'
export type {
  ActionOutcome,
  ActionRequest,
  ActionVerification,
  AgentRegistration,
  AimClientOptions,
  AuditLogEntry,
  AuthorizedFetcher,
  RegisteredAgent,
} from '../core/aim-client.ts'
export { AimClient } from './aim-client-web.ts'
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
