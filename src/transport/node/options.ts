/**
 * Options of the Node `WebSocket` (third constructor argument) and of the
 * Node transport, with their defaults. Types and constants only, plus the
 * Retry-After parser shared by the WebSocket's error event and the
 * transport's CloseInfo.
 */
import type { FrameTrace } from '../../protocol/types.js';
import type { PerMessageDeflateOptions } from '../../protocol/permessage-deflate.js';

/** The handshake as seen by the `trace` hook: our request, then the server's response head. */
export interface HandshakeTrace {
  handshake: 'request' | 'response';
  direction: 'out' | 'in';
  url: string;
  /** The request line / status line. */
  startLine: string;
  /** Header name/value pairs in wire order (names as sent). */
  headers: [string, string][];
}

/** What the `trace` hook receives: a frame (has `opcode`) or a handshake head (has `handshake`). */
export type TraceRecord = FrameTrace | HandshakeTrace;

export interface WebSocketOptions {
  /** Extra request headers, sent as given (no CR/LF allowed). */
  headers?: Readonly<Record<string, string>>;
  /** `Origin` request header. Default: none (Node is not a browser). */
  origin?: string;
  /** Time allowed for DNS, TCP, TLS, proxy and the HTTP upgrade together, in ms. Default 30,000. */
  handshakeTimeout?: number;
  /** After our close frame, time allowed for the server to finish the close, in ms; then the socket is destroyed. Default 10,000. */
  closeTimeout?: number;
  /** Largest message accepted (after decompression), bytes. Over it the connection closes with 1009. Default 100 MiB. */
  maxPayload?: number;
  /** permessage-deflate (RFC 7692): `true` (default) offers it with defaults, an object tunes it, `false` disables it. */
  perMessageDeflate?: boolean | PerMessageDeflateOptions;
  /** TLS: trusted CA certificates (PEM). Default: Node's bundled roots. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** TLS client certificate (PEM). */
  cert?: string | Buffer | Array<string | Buffer>;
  /** TLS client key (PEM). */
  key?: string | Buffer | Array<string | Buffer>;
  /** Passphrase of `key`. */
  passphrase?: string;
  /** Verify the server certificate. Default true. */
  rejectUnauthorized?: boolean;
  /** SNI server name. Default: the URL's host name (none for IP literals). */
  servername?: string;
  /**
   * HTTP CONNECT proxy URL (`http://user:pass@host:port`). Default: from the
   * environment (`HTTPS_PROXY` for wss:, `HTTP_PROXY` for ws:, lower-case
   * forms first, `NO_PROXY` exempting hosts). `false` connects directly.
   */
  proxy?: string | URL | false;
  /** Follow 3xx redirects of the upgrade request. Default false. */
  followRedirects?: boolean;
  /** Redirect hops allowed when following. Default 10. */
  maxRedirects?: number;
  /** IP family for DNS (4 or 6). Default: either. */
  family?: number;
  /** Local interface address to bind. */
  localAddress?: string;
  /** Aborting fails a connection still connecting and drops an open one (close 1006). */
  signal?: AbortSignal;
  /** Called with every frame in and out and the handshake request/response heads. Unset costs nothing. */
  trace?: (record: TraceRecord) => void;
}

export const DEFAULT_HANDSHAKE_TIMEOUT = 30_000;
export const DEFAULT_CLOSE_TIMEOUT = 10_000;
export const DEFAULT_MAX_PAYLOAD = 100 * 1024 * 1024;
export const DEFAULT_MAX_REDIRECTS = 10;

/**
 * Retry-After (RFC 9110 §10.2.3): delay-seconds or an HTTP-date. Returns ms
 * from `now` (never negative), or undefined when absent or unparsable.
 */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}
