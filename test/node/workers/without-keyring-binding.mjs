// Preloaded with `node --import` to make `@napi-rs/keyring` fail to load, as it does on a platform
// without a prebuilt binary or after an install that skipped optional dependencies.

import { register } from 'node:module'

// The binding is loaded with require, which Node 20's module hooks do not see: point napi-rs's
// loader at a binary that does not exist, as on a platform without a prebuilt one.
process.env.NAPI_RS_NATIVE_LIBRARY_PATH = '/nonexistent/keyring.node'

const hooks = `
export async function resolve(specifier, context, next) {
  if (specifier === '@napi-rs/keyring') {
    const error = new Error('Cannot find native binding for @napi-rs/keyring (simulated)')
    error.code = 'ERR_MODULE_NOT_FOUND'
    throw error
  }
  return next(specifier, context)
}
`
register(`data:text/javascript,${encodeURIComponent(hooks)}`)
