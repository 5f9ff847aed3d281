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
