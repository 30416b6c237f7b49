/**
 * Close frame rules (RFC 6455 §5.5.1, §7.1.5, §7.4): which codes may appear
 * on the wire, which the application may send (WHATWG: 1000 or 3000-4999),
 * and payload encoding/decoding. Imports errors and utf8 only.
 */
import { ErrorCodes } from './errors.js';

/** No status code was present in the peer's close frame (§7.1.5); never sent. */
export const CLOSE_NO_STATUS = 1005;
/** The connection closed without a close frame (§7.1.5); never sent. */
export const CLOSE_ABNORMAL = 1006;

/**
 * True when a peer may send `code` in a close frame: 1000-1003, 1007-1014
 * (1012-1014 registered after RFC 6455), 3000-4999. 1004-1006, 1015, and
 * everything else below 3000 or above 4999 fail with 1002.
 */
export function isValidWireCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

/** True when the application may send `code` (WHATWG WebSocket close(): 1000 or 3000-4999). */
export function isValidAppCloseCode(code: number): boolean {
  return code === 1000 || (Number.isInteger(code) && code >= 3000 && code <= 4999);
}

const encoder = new TextEncoder();

/**
 * Validates an application close request the way browsers do and returns
 * the close payload. Throws `RangeError` (WS_ERR_INVALID_CLOSE_CODE; browsers
 * throw InvalidAccessError) or `SyntaxError` (WS_ERR_CLOSE_REASON_TOO_LONG).
 * With a reason but no code, the code is 1000 (WHATWG close() step 7).
 */
export function appClosePayload(code?: number, reason?: string): Uint8Array {
  if (code !== undefined && !isValidAppCloseCode(code)) {
    throw Object.assign(new RangeError(`The close code must be 1000 or in 3000-4999, got ${String(code)}`), {
      code: ErrorCodes.INVALID_CLOSE_CODE,
    });
  }
  const reasonBytes = reason === undefined || reason === '' ? new Uint8Array(0) : encoder.encode(reason);
  if (reasonBytes.length > 123) {
    throw Object.assign(new SyntaxError(`The close reason must be at most 123 bytes of UTF-8, got ${reasonBytes.length}`), {
      code: ErrorCodes.CLOSE_REASON_TOO_LONG,
    });
  }
  if (code === undefined && reasonBytes.length === 0) return new Uint8Array(0);
  return closePayload(code ?? 1000, reasonBytes);
}

/** `code` (big-endian) followed by `reason`. */
export function closePayload(code: number, reason: Uint8Array = new Uint8Array(0)): Uint8Array {
  const out = new Uint8Array(2 + reason.length);
  out[0] = code >>> 8;
  out[1] = code & 0xff;
  out.set(reason, 2);
  return out;
}
