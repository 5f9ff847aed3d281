// The entry for Node: the core with Fernet on node:crypto, plus the OS keyring and files.

export {
  AimCredentialsError,
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
export { Fernet } from './fernet-node.ts'
export { actionSignatureMessage, type AgentAction } from '../core/action-message.ts'
export type { AgentKeyOptions, AgentRequest, AgentRequestHeaders } from '../core/agent-identity.ts'
export { AgentIdentity } from './agent-identity-node.ts'
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
export { AimClient } from './aim-client-node.ts'
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
