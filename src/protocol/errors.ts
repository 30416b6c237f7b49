/**
 * Every error lifeline raises carries a stable string `code` (listed in
 * README.md, "Error codes") and, where the wire has one, the close code it maps to.
 * Peer violations become `ProtocolError`s that the core reports and closes on;
 * they are never thrown to the transport. Misuse of the API throws at once
 * with the built-in TypeError/RangeError/SyntaxError (as browsers do) or a
 * `LifelineError` with a code.
 *
 * Owns: the error classes. The codes themselves are constants in
 * ./error-codes.ts and ./session-error-codes.ts (one each, so bundles carry
 * only those they raise); this module re-exports them as the `ErrorCodes`
 * and `SessionErrorCodes` namespaces. Imports only those two.
 */
import * as ErrorCodes from './error-codes.js';
import * as SessionErrorCodes from './session-error-codes.js';

export { ErrorCodes, SessionErrorCodes };

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes] | (typeof SessionErrorCodes)[keyof typeof SessionErrorCodes];

/** Base class: a stable `code`, and the close code that goes on the wire where one applies. */
export class LifelineError extends Error {
  override name = 'LifelineError';
  readonly code: string;
  readonly closeCode: number | undefined;
  constructor(code: string, message: string, closeCode?: number, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.closeCode = closeCode;
  }
}

/** A violation by the peer; the core has queued a close with `closeCode`. */
export class ProtocolError extends LifelineError {
  override name = 'ProtocolError';
  declare readonly closeCode: number;
  constructor(code: ErrorCode, message: string, closeCode: number, options?: { cause?: unknown }) {
    super(code, message, closeCode, options);
  }
}

/** The opening handshake failed. For a non-101 answer, `status`, `headers` and a bounded `body` slice say why. */
export class HandshakeError extends LifelineError {
  override name = 'HandshakeError';
  readonly status: number | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array | undefined;
  constructor(
    code: ErrorCode,
    message: string,
    details: { status?: number; headers?: Record<string, string>; body?: Uint8Array; cause?: unknown } = {},
  ) {
    super(code, message, undefined, 'cause' in details ? { cause: details.cause } : undefined);
    this.status = details.status;
    this.headers = details.headers ?? {};
    this.body = details.body;
  }
  /** The server's Retry-After value (RFC 9110 §10.2.3: seconds or an HTTP-date), as sent; transports convert it to ms. */
  get retryAfter(): string | undefined {
    return this.headers['retry-after'];
  }
  /** The body slice as text (lossy), for messages and logs. */
  get bodyText(): string {
    return this.body ? new TextDecoder().decode(this.body) : '';
  }
}
