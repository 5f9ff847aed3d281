// Placeholder for the agent routes (issue 6 replaces this file): answers no route yet.

import type { ServerContext, ServerRequest, ServerResponse } from './types.ts'

/**
 * Handles an agent route, or resolves `undefined` when `request` is not one.
 *
 * @param request The parsed request.
 * @param context The server's helpers (token verification, audit, API keys, clock).
 */
export async function handleAgentRoute(
  request: ServerRequest,
  context: ServerContext,
): Promise<ServerResponse | undefined> {
  void request
  void context
  return undefined
}
