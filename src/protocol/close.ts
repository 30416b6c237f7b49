/**
 * Close frame rules (RFC 6455 §5.5.1, §7.1.5, §7.4): which codes may appear
 * on the wire, which the application may send (WHATWG: 1000 or 3000-4999),
 * and payload encoding. The rule for what an application may send lives in
 * ./input.ts (`checkClose`), shared with connect() and the WebSocket. A
 * server may send any code valid on the wire (`serverClosePayload`: 1001
 * going away, 1011, 1012 service restart, 1013 try again later ...).
 * Imports errors and input only.
 */
import { ErrorCodes } from './errors.js';
import { checkClose, checkCloseReason, invalid } from './input.js';

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

const encoder = new TextEncoder();

/**
 * Checks an application close request by the browsers' rules (`checkClose`)
 * and returns the close payload. With a reason but no code, the code is
 * 1000 (WHATWG close() step 7).
 */
export function appClosePayload(code?: number, reason?: string): Uint8Array {
  // The converted values (a code of 1000.5 is 1000, as in browsers), not the given ones.
  const checked = checkClose(code, reason);
  const reasonBytes = checked.reason === undefined || checked.reason === '' ? new Uint8Array(0) : encoder.encode(checked.reason);
  if (checked.code === undefined && reasonBytes.length === 0) return new Uint8Array(0);
  return closePayload(checked.code ?? 1000, reasonBytes);
}

/** `code` (big-endian) followed by `reason`. */
export function closePayload(code: number, reason: Uint8Array = new Uint8Array(0)): Uint8Array {
  const out = new Uint8Array(2 + reason.length);
  out[0] = code >>> 8;
  out[1] = code & 0xff;
  out.set(reason, 2);
  return out;
}

/**
 * The close payload a server sends (the server role of the core): any code
 * valid on the wire (`isValidWireCloseCode`; a `RangeError` with
 * WS_ERR_INVALID_CLOSE_CODE otherwise), a reason of at most 123 UTF-8 bytes
 * (WS_ERR_CLOSE_REASON_TOO_LONG). With a reason but no code, the code is 1000.
 */
export function serverClosePayload(code?: number, reason?: string): Uint8Array {
  if (code !== undefined && !(Number.isInteger(code) && isValidWireCloseCode(code))) {
    throw invalid('RangeError', ErrorCodes.INVALID_CLOSE_CODE, 'a close code', '1000-1003, 1007-1014 or 3000-4999', code);
  }
  if (reason !== undefined) checkCloseReason('RangeError', reason);
  const reasonBytes = reason === undefined || reason === '' ? new Uint8Array(0) : encoder.encode(reason);
  if (code === undefined && reasonBytes.length === 0) return new Uint8Array(0);
  return closePayload(code ?? 1000, reasonBytes);
}
