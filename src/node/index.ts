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
