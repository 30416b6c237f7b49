/**
 * The reliable session's codes (src/session/PROTOCOL.md), in a module of
 * their own: ./errors.ts re-exports them as the `SessionErrorCodes`
 * namespace. Imports nothing.
 */

/** The server no longer has the session (restarted, expired, closed it): unacknowledged messages are rejected with it. */
export const SESSION_LOST = 'WS_ERR_SESSION_LOST';
/** The server does not speak the session protocol and the session was `required`. */
export const SESSION_UNSUPPORTED = 'WS_ERR_SESSION_UNSUPPORTED';
/** The peer broke the session protocol (a malformed or impossible frame): close 1002. */
export const SESSION_PROTOCOL = 'WS_ERR_SESSION_PROTOCOL';
