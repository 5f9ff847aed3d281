// The runtime-free core: everything here runs on any runtime with WebCrypto.

export {
  AimCredentialsError,
  FernetInvalidKeyError,
  FernetInvalidTokenError,
  SessionRevokedError,
  TokenError,
  type ErrorCode,
  type ErrorOptions,
  type TokenErrorCode,
} from './errors.ts'
export {
  Fernet,
  type FernetDecryptOptions,
  type FernetEncryptOptions,
  type FernetKeyOptions,
} from './fernet.ts'
export { MultiFernet } from './multi-fernet.ts'
export { actionSignatureMessage, type AgentAction } from './action-message.ts'
export {
  AimClient,
  type ActionOutcome,
  type ActionRequest,
  type ActionVerification,
  type AgentRegistration,
  type AimClientOptions,
  type AuditLogEntry,
  type AuthorizedFetcher,
  type RegisteredAgent,
} from './aim-client.ts'
export {
  AgentIdentity,
  type AgentKeyOptions,
  type AgentRequest,
  type AgentRequestHeaders,
} from './agent-identity.ts'
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
export { TokenManager, type LogoutResult, type TokenManagerOptions } from './token-manager.ts'
