// Agent signatures on node:crypto. WebCrypto in Node costs a thread-pool round trip per call;
// node:crypto signs synchronously with the same (even non-extractable) key through
// `KeyObject.from`. Ed25519 is deterministic, so both paths give identical signatures.

import { createPrivateKey, KeyObject, sign } from 'node:crypto'

import { AgentIdentity as WebAgentIdentity, useAgentSigner } from '../core/agent-identity.ts'
import { seedToPkcs8, type AgentSignerFactory } from '../core/agent-key.ts'

const nodeSigner: AgentSignerFactory = (key) => {
  const privateKey =
    key.kind === 'cryptokey'
      ? KeyObject.from(key.privateKey)
      : createPrivateKey({ key: Buffer.from(seedToPkcs8(key.seed)), format: 'der', type: 'pkcs8' })

  // Buffer's native base64 is several times faster than the portable encoder.
  return async (message) => sign(null, message, privateKey).toString('base64')
}

/**
 * An agent's Ed25519 identity for Node: the same class and signatures as everywhere else, signed
 * with node:crypto.
 * {@inheritDoc WebAgentIdentity}
 */
export class AgentIdentity extends WebAgentIdentity {}

useAgentSigner(AgentIdentity, nodeSigner)
