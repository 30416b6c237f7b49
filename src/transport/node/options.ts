/**
 * Options of the Node `WebSocket` (third constructor argument) and of the
 * Node transport: their types and defaults, the rule they are checked by at
 * `new WebSocket()` and `createNodeTransport()` (an unknown key, as a typo
 * of a ws option, or a wrong type is a TypeError, a number out of range a
 * RangeError, both with `WS_ERR_INVALID_OPTION`), the clamp every timer of
 * the transport goes through, and the Retry-After parser shared by the
 * WebSocket's error event and the transport's CloseInfo.
 */
import type { FrameTrace } from '../../protocol/types.js';
import type { PerMessageDeflateOptions } from '../../protocol/permessage-deflate.js';
import { checkOptions, TIMER_MAX, type OptionSpec } from '../../protocol/input.js';

/** The handshake as seen by the `trace` hook: our request, then the server's response head. */
export interface HandshakeTrace {
  handshake: 'request' | 'response';
  direction: 'out' | 'in';
  url: string;
  /** The request line / status line. */
  startLine: string;
  /** Header name/value pairs in wire order (names as sent); Basic credentials show as `Basic ***`. */
  headers: [string, string][];
}

/** What the `trace` hook receives: a frame (has `opcode`) or a handshake head (has `handshake`). */
export type TraceRecord = FrameTrace | HandshakeTrace;

export interface WebSocketOptions {
  /** Extra request headers, sent as given (no CR/LF allowed). */
  headers?: Readonly<Record<string, string>>;
  /** `Origin` request header. Default: none (Node is not a browser). */
  origin?: string;
  /** Time allowed for DNS, TCP, TLS, proxy and the HTTP upgrade together, in ms, up to 2^31-1; 0 or Infinity: no limit. Default 30,000. */
  handshakeTimeout?: number;
  /** After our close frame, time allowed for the server to finish the close, in ms (up to 2^31-1, or Infinity); then the socket is destroyed. Default 10,000. */
  closeTimeout?: number;
  /** Largest message accepted (after decompression), bytes (at least 1, or Infinity). Over it the connection closes with 1009. Default 100 MiB. */
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
  /**
   * With `followRedirects`, also follow a redirect from wss: to ws:
   * (plaintext). Default false: such a redirect fails the attempt with
   * `WS_ERR_HANDSHAKE_DOWNGRADE`, which the default retry rules do not retry.
   */
  allowInsecureRedirects?: boolean;
  /** Redirect hops allowed when following. Default 10. */
  maxRedirects?: number;
  /** IP family for DNS (4 or 6; 0 = either). Default: either. */
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
 * The rule of WebSocketOptions. Options checked by their own rule later but
 * still synchronously (headers, proxy, perMessageDeflate) are 'any' here;
 * TLS material is passed to node:tls as given.
 */
const WEBSOCKET_OPTIONS: OptionSpec = {
  defaults: {
    handshakeTimeout: DEFAULT_HANDSHAKE_TIMEOUT,
    closeTimeout: DEFAULT_CLOSE_TIMEOUT,
    maxPayload: DEFAULT_MAX_PAYLOAD,
    rejectUnauthorized: true,
    followRedirects: false,
    allowInsecureRedirects: false,
    maxRedirects: DEFAULT_MAX_REDIRECTS,
  },
  types: {
    headers: 'any',
    origin: 'string',
    perMessageDeflate: 'any',
    ca: 'any',
    cert: 'any',
    key: 'any',
    passphrase: 'string',
    servername: 'string',
    proxy: 'any',
    family: 'number',
    localAddress: 'string',
    signal: 'object',
    trace: 'function',
  },
  least: { maxPayload: 1 },
  most: { maxPayload: Number.MAX_SAFE_INTEGER },
  unbounded: ['handshakeTimeout', 'closeTimeout', 'maxPayload'],
  choices: { family: [0, 4, 6] },
};

/**
 * Checks WebSocket options at the call (`where` names the API in messages)
 * and returns them over their defaults.
 */
export function checkWebSocketOptions(options: unknown, where: string): WebSocketOptions {
  return checkOptions<WebSocketOptions>(options, WEBSOCKET_OPTIONS, where);
}

/**
 * The delay a timer of the transport is armed with: `setTimeout` fires at
 * once for anything above 2^31-1 ms, so a longer wait is clamped to that
 * (about 24.8 days) instead of turning into a 1 ms one.
 */
export function timerDelay(ms: number): number {
  return Math.min(ms, TIMER_MAX);
}

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
