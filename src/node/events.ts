// Delivers security events to the caller's listener. A listener that throws must never break, or
// change the outcome of, the operation that reported the event.

import type { SecurityEvent, SecurityEventListener } from '../core/storage.ts'

/** The event fields a storage fills in; `time` is added on delivery. */
export type EventDetails = Omit<SecurityEvent, 'time'>

/** Calls `listener` with the event stamped with the current time, ignoring what it throws. */
export function emitEvent(
  listener: SecurityEventListener | undefined,
  details: EventDetails,
): void {
  if (!listener) return
  try {
    listener({ ...details, time: new Date().toISOString() })
  } catch {
    // The listener's failure is the caller's business: the credentials operation already happened
    // and must report its own result, not the listener's.
  }
}
