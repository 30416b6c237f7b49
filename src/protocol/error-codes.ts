/**
 * The stable `code` of every error lifeline raises (listed in README.md,
 * "Error codes"), one exported constant each, so that a bundle carries only
 * the codes its code can raise: ./errors.ts re-exports them all as the
 * `ErrorCodes` namespace, and modules read them as `ErrorCodes.NAME`, which
 * bundlers resolve to the one constant. A browser bundle of `connect()`
 * carries about 20 of them instead of the whole table.
 *
 * Imports nothing.
 */

// Framing, RFC 6455 §5.2 — close 1002 unless noted.
export const RSV_NOT_NEGOTIATED = 'WS_ERR_UNEXPECTED_RSV';
export const INVALID_OPCODE = 'WS_ERR_INVALID_OPCODE';
export const MASKED_FRAME = 'WS_ERR_UNEXPECTED_MASK';
/** Server role: a client frame without a mask (§5.1). */
export const UNMASKED_FRAME = 'WS_ERR_EXPECTED_MASK';
export const CONTROL_TOO_LONG = 'WS_ERR_CONTROL_PAYLOAD_TOO_LONG';
export const CONTROL_FRAGMENTED = 'WS_ERR_FRAGMENTED_CONTROL';
export const UNEXPECTED_CONTINUATION = 'WS_ERR_UNEXPECTED_CONTINUATION';
export const EXPECTED_CONTINUATION = 'WS_ERR_EXPECTED_CONTINUATION';
export const INVALID_LENGTH = 'WS_ERR_INVALID_LENGTH';

// Close frames, RFC 6455 §5.5.1 / §7.4.
export const INVALID_CLOSE_CODE = 'WS_ERR_INVALID_CLOSE_CODE';
export const INVALID_CLOSE_PAYLOAD = 'WS_ERR_INVALID_CLOSE_PAYLOAD';

// Data — close 1007.
export const INVALID_UTF8 = 'WS_ERR_INVALID_UTF8';

// Limits — close 1009.
export const MESSAGE_TOO_BIG = 'WS_ERR_MESSAGE_TOO_BIG';
export const FRAME_TOO_BIG = 'WS_ERR_FRAME_TOO_BIG';

// Extensions (RFC 7692) — close 1002 / 1007 / 1009 / 1010.
export const INFLATE_FAILED = 'WS_ERR_INFLATE_FAILED';

// Connection-level.
export const UNEXPECTED_EOF = 'WS_ERR_UNEXPECTED_EOF';
/** An unexpected exception while handling received bytes; close 1011 (the exception is the `cause`). */
export const INTERNAL = 'WS_ERR_INTERNAL';
export const CLOSE_TIMEOUT = 'WS_ERR_CLOSE_TIMEOUT';

// Resilient client (src/client): why a send() was rejected or a connection dropped.
export const QUEUE_FULL = 'WS_ERR_QUEUE_FULL';
export const SEND_DROPPED = 'WS_ERR_SEND_DROPPED';
export const SEND_EXPIRED = 'WS_ERR_SEND_EXPIRED';
export const CLIENT_CLOSED = 'WS_ERR_CLIENT_CLOSED';
/** A codec's decode() threw for a received message (the codec's error is the `cause`); the message is skipped. */
export const DECODE_FAILED = 'WS_ERR_DECODE_FAILED';
export const CONNECT_TIMEOUT = 'WS_ERR_CONNECT_TIMEOUT';
/** Browsers: an attempt failed before it opened; the browser does not say why (refused, DNS, TLS or an HTTP status). */
export const CONNECT_FAILED = 'WS_ERR_CONNECT_FAILED';
/** A Blob given to send() could not be read. */
export const BLOB_UNREADABLE = 'WS_ERR_BLOB_UNREADABLE';
export const HEARTBEAT_TIMEOUT = 'WS_ERR_HEARTBEAT_TIMEOUT';
/** Node: more pings waited for their pong than the transport keeps; the oldest was given up. */
export const PING_UNANSWERED = 'WS_ERR_PING_UNANSWERED';

// Opening handshake, RFC 6455 §4.1 / §4.2.2.
export const HANDSHAKE_STATUS = 'WS_ERR_HANDSHAKE_STATUS';
export const HANDSHAKE_UPGRADE = 'WS_ERR_HANDSHAKE_UPGRADE';
export const HANDSHAKE_CONNECTION = 'WS_ERR_HANDSHAKE_CONNECTION';
export const HANDSHAKE_ACCEPT = 'WS_ERR_HANDSHAKE_ACCEPT';
export const HANDSHAKE_PROTOCOL = 'WS_ERR_HANDSHAKE_PROTOCOL';
export const HANDSHAKE_EXTENSION = 'WS_ERR_HANDSHAKE_EXTENSION';
export const HANDSHAKE_MALFORMED = 'WS_ERR_HANDSHAKE_MALFORMED';
export const HANDSHAKE_TOO_LARGE = 'WS_ERR_HANDSHAKE_TOO_LARGE';
export const HANDSHAKE_TIMEOUT = 'WS_ERR_HANDSHAKE_TIMEOUT';
export const HANDSHAKE_EOF = 'WS_ERR_HANDSHAKE_EOF';

// Server role, RFC 6455 §4.2.1: what a client's upgrade request got wrong (refused with the status on the error).
export const HANDSHAKE_METHOD = 'WS_ERR_HANDSHAKE_METHOD';
export const HANDSHAKE_KEY = 'WS_ERR_HANDSHAKE_KEY';
export const HANDSHAKE_VERSION = 'WS_ERR_HANDSHAKE_VERSION';

// Node transport: the CONNECT proxy refused or failed; too many 3xx hops; a wss: to ws: redirect refused.
export const PROXY_FAILED = 'WS_ERR_PROXY';
export const TOO_MANY_REDIRECTS = 'WS_ERR_HANDSHAKE_REDIRECTS';
export const REDIRECT_DOWNGRADE = 'WS_ERR_HANDSHAKE_DOWNGRADE';
/** A 3xx whose Location is not a URL a WebSocket can go to (unparsable, another scheme, a fragment): the server's error, not the caller's. */
export const REDIRECT_LOCATION = 'WS_ERR_HANDSHAKE_LOCATION';

// Caller errors that are not plain TypeErrors.
export const INVALID_URL = 'WS_ERR_INVALID_URL';
/** A proxy URL (the `proxy` option, HTTPS_PROXY or HTTP_PROXY) that is not an http:// URL lifeline can use. */
export const INVALID_PROXY = 'WS_ERR_INVALID_PROXY';
export const INVALID_OPTION = 'WS_ERR_INVALID_OPTION';
/** send() was given something a WebSocket cannot send (or a codec refused it). */
export const INVALID_DATA = 'WS_ERR_INVALID_DATA';
export const INVALID_HEADER = 'WS_ERR_INVALID_HEADER';
export const INVALID_STATE = 'WS_ERR_INVALID_STATE';
/** The platform cannot do what was asked (a protocol ping in a browser). */
export const UNSUPPORTED = 'WS_ERR_UNSUPPORTED';
export const INVALID_SUBPROTOCOL = 'WS_ERR_INVALID_SUBPROTOCOL';
export const CLOSE_REASON_TOO_LONG = 'WS_ERR_CLOSE_REASON_TOO_LONG';
export const NO_RANDOM_SOURCE = 'WS_ERR_NO_RANDOM_SOURCE';
