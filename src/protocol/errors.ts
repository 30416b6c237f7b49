/**
 * Every error lifeline raises carries a stable string `code` (listed in
 * README.md, "Error codes") and, where the wire has one, the close code it maps to.
 * Peer violations become `ProtocolError`s that the core reports and closes on;
 * they are never thrown to the transport. Misuse of the API throws at once
 * with the built-in TypeError/RangeError/SyntaxError (as browsers do) or a
 * `LifelineError` with a code.
 *
 * This module owns the code table. It imports nothing.
 */
export const ErrorCodes = {
  // Framing, RFC 6455 §5.2 — close 1002 unless noted.
  RSV_NOT_NEGOTIATED: 'WS_ERR_UNEXPECTED_RSV',
  INVALID_OPCODE: 'WS_ERR_INVALID_OPCODE',
  MASKED_FRAME: 'WS_ERR_UNEXPECTED_MASK',
  /** Server role: a client frame without a mask (§5.1). */
  UNMASKED_FRAME: 'WS_ERR_EXPECTED_MASK',
  CONTROL_TOO_LONG: 'WS_ERR_CONTROL_PAYLOAD_TOO_LONG',
  CONTROL_FRAGMENTED: 'WS_ERR_FRAGMENTED_CONTROL',
  UNEXPECTED_CONTINUATION: 'WS_ERR_UNEXPECTED_CONTINUATION',
  EXPECTED_CONTINUATION: 'WS_ERR_EXPECTED_CONTINUATION',
  INVALID_LENGTH: 'WS_ERR_INVALID_LENGTH',
  // Close frames, RFC 6455 §5.5.1 / §7.4.
  INVALID_CLOSE_CODE: 'WS_ERR_INVALID_CLOSE_CODE',
  INVALID_CLOSE_PAYLOAD: 'WS_ERR_INVALID_CLOSE_PAYLOAD',
  // Data — close 1007.
  INVALID_UTF8: 'WS_ERR_INVALID_UTF8',
  // Limits — close 1009.
  MESSAGE_TOO_BIG: 'WS_ERR_MESSAGE_TOO_BIG',
  FRAME_TOO_BIG: 'WS_ERR_FRAME_TOO_BIG',
  // Extensions (RFC 7692) — close 1002 / 1007 / 1009 / 1010.
  INFLATE_FAILED: 'WS_ERR_INFLATE_FAILED',
  // Connection-level.
  UNEXPECTED_EOF: 'WS_ERR_UNEXPECTED_EOF',
  /** An unexpected exception while handling received bytes; close 1011 (the exception is the `cause`). */
  INTERNAL: 'WS_ERR_INTERNAL',
  CLOSE_TIMEOUT: 'WS_ERR_CLOSE_TIMEOUT',
  // Resilient client (src/client): why a send() was rejected or a connection dropped.
  QUEUE_FULL: 'WS_ERR_QUEUE_FULL',
  SEND_DROPPED: 'WS_ERR_SEND_DROPPED',
  SEND_EXPIRED: 'WS_ERR_SEND_EXPIRED',
  CLIENT_CLOSED: 'WS_ERR_CLIENT_CLOSED',
  CONNECT_TIMEOUT: 'WS_ERR_CONNECT_TIMEOUT',
  /** Browsers: an attempt failed before it opened; the browser does not say why (refused, DNS, TLS or an HTTP status). */
  CONNECT_FAILED: 'WS_ERR_CONNECT_FAILED',
  /** A Blob given to send() could not be read. */
  BLOB_UNREADABLE: 'WS_ERR_BLOB_UNREADABLE',
  HEARTBEAT_TIMEOUT: 'WS_ERR_HEARTBEAT_TIMEOUT',
  /** Node: more pings waited for their pong than the transport keeps; the oldest was given up. */
  PING_UNANSWERED: 'WS_ERR_PING_UNANSWERED',
  // Opening handshake, RFC 6455 §4.1 / §4.2.2.
  HANDSHAKE_STATUS: 'WS_ERR_HANDSHAKE_STATUS',
  HANDSHAKE_UPGRADE: 'WS_ERR_HANDSHAKE_UPGRADE',
  HANDSHAKE_CONNECTION: 'WS_ERR_HANDSHAKE_CONNECTION',
  HANDSHAKE_ACCEPT: 'WS_ERR_HANDSHAKE_ACCEPT',
  HANDSHAKE_PROTOCOL: 'WS_ERR_HANDSHAKE_PROTOCOL',
  HANDSHAKE_EXTENSION: 'WS_ERR_HANDSHAKE_EXTENSION',
  HANDSHAKE_MALFORMED: 'WS_ERR_HANDSHAKE_MALFORMED',
  HANDSHAKE_TOO_LARGE: 'WS_ERR_HANDSHAKE_TOO_LARGE',
  HANDSHAKE_TIMEOUT: 'WS_ERR_HANDSHAKE_TIMEOUT',
  HANDSHAKE_EOF: 'WS_ERR_HANDSHAKE_EOF',
  // Server role, RFC 6455 §4.2.1: what a client's upgrade request got wrong (refused with the status on the error).
  HANDSHAKE_METHOD: 'WS_ERR_HANDSHAKE_METHOD',
  HANDSHAKE_KEY: 'WS_ERR_HANDSHAKE_KEY',
  HANDSHAKE_VERSION: 'WS_ERR_HANDSHAKE_VERSION',
  // Node transport: the CONNECT proxy refused or failed; too many 3xx hops; a wss: to ws: redirect refused.
  PROXY_FAILED: 'WS_ERR_PROXY',
  TOO_MANY_REDIRECTS: 'WS_ERR_HANDSHAKE_REDIRECTS',
  REDIRECT_DOWNGRADE: 'WS_ERR_HANDSHAKE_DOWNGRADE',
  // Caller errors that are not plain TypeErrors.
  INVALID_URL: 'WS_ERR_INVALID_URL',
  /** A proxy URL (the `proxy` option, HTTPS_PROXY or HTTP_PROXY) that is not an http:// URL lifeline can use. */
  INVALID_PROXY: 'WS_ERR_INVALID_PROXY',
  INVALID_OPTION: 'WS_ERR_INVALID_OPTION',
  /** send() was given something a WebSocket cannot send (or a codec refused it). */
  INVALID_DATA: 'WS_ERR_INVALID_DATA',
  INVALID_HEADER: 'WS_ERR_INVALID_HEADER',
  INVALID_STATE: 'WS_ERR_INVALID_STATE',
  /** The platform cannot do what was asked (a protocol ping in a browser). */
  UNSUPPORTED: 'WS_ERR_UNSUPPORTED',
  INVALID_SUBPROTOCOL: 'WS_ERR_INVALID_SUBPROTOCOL',
  CLOSE_REASON_TOO_LONG: 'WS_ERR_CLOSE_REASON_TOO_LONG',
  NO_RANDOM_SOURCE: 'WS_ERR_NO_RANDOM_SOURCE',
} as const;

/**
 * The reliable session's codes (src/session/PROTOCOL.md), in a table of
 * their own so that a browser bundle without the session carries none.
 */
export const SessionErrorCodes = {
  /** The server no longer has the session (restarted, expired, closed it): unacknowledged messages are rejected with it. */
  SESSION_LOST: 'WS_ERR_SESSION_LOST',
  /** The server does not speak the session protocol and the session was `required`. */
  SESSION_UNSUPPORTED: 'WS_ERR_SESSION_UNSUPPORTED',
  /** The peer broke the session protocol (a malformed or impossible frame): close 1002. */
  SESSION_PROTOCOL: 'WS_ERR_SESSION_PROTOCOL',
} as const;

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
    details: { status?: number; headers?: Record<string, string>; body?: Uint8Array } = {},
  ) {
    super(code, message);
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
