/**
 * Options of the Node `WebSocket` (third constructor argument) and of the
 * Node transport: their types and defaults, the rule they are checked by at
 * `new WebSocket()` and `createNodeTransport()` (an unknown key, as a typo
 * of a ws option, or a wrong type is a TypeError, a number out of range a
 * RangeError, both with `WS_ERR_INVALID_OPTION`; the keys of a
 * `perMessageDeflate` object too, by the rule permessage-deflate.ts owns),
 * the clamp every timer of the transport goes through, and the Retry-After
 * parser shared by the WebSocket's error event and the transport's CloseInfo.
 */
import type { Duplex } from 'node:stream';
import type { LookupFunction, TcpNetConnectOpts } from 'node:net';
import type { ConnectionOptions as TlsConnectionOptions, PeerCertificate } from 'node:tls';
import type { FrameTrace } from '../../protocol/types.js';
import { checkPerMessageDeflateOptions, type PerMessageDeflateOptions } from '../../protocol/permessage-deflate.js';
import { ErrorCodes } from '../../protocol/errors.js';
import { checkOptions, invalid, TIMER_MAX, type OptionSpec } from '../../protocol/input.js';
import { DEFAULT_MAX_PAYLOAD } from '../../protocol/protocol.js';
import { parseProxyUrl, PROXY_OPTION } from './proxy.js';

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

/** TLS material as node:tls takes it: PEM text or DER/PEM bytes, or a list of them. */
export type TlsMaterial = string | Buffer | Array<string | Buffer>;

/** A PKCS#12 bundle as node:tls takes it: bytes, or a list of bundles, each alone or with its own passphrase. */
export type PfxMaterial = string | Buffer | Array<string | Buffer | { buf: string | Buffer; passphrase?: string }>;

/**
 * What `createConnection` is called with: the options lifeline would hand
 * `net.connect` (ws: URLs: host, port, family, localAddress, lookup) or
 * `tls.connect` (wss: URLs: those and the TLS options: servername, ca,
 * cert, key, pfx, ciphers, checkServerIdentity, ...), as ws does.
 */
export type CreateConnectionOptions = TcpNetConnectOpts & TlsConnectionOptions;

/** TLS protocol versions, for `minVersion` and `maxVersion`. */
export type TlsVersion = 'TLSv1.3' | 'TLSv1.2' | 'TLSv1.1' | 'TLSv1';

export interface WebSocketOptions {
  /**
   * Extra request headers, sent as given (no CR/LF allowed). `Host` may be
   * given to override the one taken from the URL (it must be a valid
   * `host[:port]`, RFC 9110 §7.2); it does not change where lifeline
   * connects, nor the TLS server name (see `servername`). A redirect to
   * another origin drops it, as it drops credentials.
   */
  headers?: Readonly<Record<string, string>>;
  /** `Origin` request header. Default: none (Node is not a browser). */
  origin?: string;
  /** Time allowed for DNS, TCP, TLS, proxy and the HTTP upgrade together, in ms, up to 2^31-1; 0 or Infinity: no limit. Default 30,000. */
  handshakeTimeout?: number;
  /** After our close frame, time allowed for the server to finish the close, in ms (up to 2^31-1, or Infinity); then the socket is destroyed. Default 10,000. */
  closeTimeout?: number;
  /** Largest message accepted (after decompression), bytes (at least 1, or Infinity). Over it the connection closes with 1009. Default 100 MiB. */
  maxPayload?: number;
  /**
   * permessage-deflate (RFC 7692): `true` (default) offers it with defaults,
   * an object tunes it, `false` disables it. The object's keys are checked
   * at the call like the other options (ws's `zlibDeflateOptions`,
   * `zlibInflateOptions` and `concurrencyLimit` are unknown keys: a TypeError).
   */
  perMessageDeflate?: boolean | PerMessageDeflateOptions;
  /** TLS: trusted CA certificates (PEM). Default: Node's bundled roots. */
  ca?: TlsMaterial;
  /** TLS client certificate (PEM). */
  cert?: TlsMaterial;
  /** TLS client key (PEM). */
  key?: TlsMaterial;
  /** TLS client certificate and key as a PKCS#12 (PFX) bundle, instead of `cert` and `key`. */
  pfx?: PfxMaterial;
  /** Passphrase of `key` or `pfx`. */
  passphrase?: string;
  /** TLS cipher suites to offer, in OpenSSL's cipher list format (node:tls `ciphers`). Default: Node's. */
  ciphers?: string;
  /** Lowest TLS version to accept. Default: Node's (`tls.DEFAULT_MIN_VERSION`, TLSv1.2). */
  minVersion?: TlsVersion;
  /** Highest TLS version to offer. Default: Node's (`tls.DEFAULT_MAX_VERSION`, TLSv1.3). */
  maxVersion?: TlsVersion;
  /**
   * Checks the server certificate against the host name, after the chain
   * was verified (node:tls `checkServerIdentity`): return an Error to refuse
   * it. Default: `tls.checkServerIdentity`. Called with the server name
   * (`servername`, else the URL's host).
   */
  checkServerIdentity?: (hostname: string, cert: PeerCertificate) => Error | undefined;
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
  /**
   * Follow 3xx redirects of the upgrade request. Default false. A Location
   * that is no WebSocket URL fails the attempt with
   * `WS_ERR_HANDSHAKE_LOCATION`, which the default retry rules do not retry.
   */
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
  /**
   * Resolves host names instead of `dns.lookup` (node:net `lookup`), e.g. to
   * map a name to a fixed address or use a cache. Through a proxy it
   * resolves the proxy's name (the proxy resolves the target's).
   */
  lookup?: LookupFunction;
  /**
   * Connects to this Unix domain socket (or Windows named pipe) instead of
   * the URL's host and port; the URL still gives the Host header, the
   * resource and, for wss:, the TLS server name. No proxy is used.
   */
  socketPath?: string;
  /**
   * Brings your own connection: called for every attempt (and redirect hop)
   * instead of `net.connect` / `tls.connect`, with the options lifeline
   * would have passed them, it returns the stream the WebSocket bytes go
   * over, connected or connecting: a `net.Socket`, a `tls.TLSSocket`, or any
   * Duplex. For wss: URLs the stream must already speak TLS (e.g.
   * `tls.connect({ ...options, socket })`): lifeline adds no TLS over it, as
   * ws does not. No proxy is used.
   */
  createConnection?: (options: CreateConnectionOptions) => Duplex;
  /** Aborting fails a connection still connecting and drops an open one (close 1006). */
  signal?: AbortSignal;
  /** Called with every frame in and out and the handshake request/response heads. Unset costs nothing. */
  trace?: (record: TraceRecord) => void;
}

export const DEFAULT_HANDSHAKE_TIMEOUT = 30_000;
export const DEFAULT_CLOSE_TIMEOUT = 10_000;
/** The core's default (100 MiB), so every lifeline API that takes a maxPayload has the same one. */
export { DEFAULT_MAX_PAYLOAD };
export const DEFAULT_MAX_REDIRECTS = 10;

const TLS_VERSIONS: readonly TlsVersion[] = ['TLSv1.3', 'TLSv1.2', 'TLSv1.1', 'TLSv1'];

/**
 * The rule of WebSocketOptions. Options checked by their own rule later but
 * still synchronously (headers, proxy) are 'any' here; perMessageDeflate's
 * object goes through its own rule in checkWebSocketOptions; TLS material
 * is passed to node:tls as given.
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
    perMessageDeflate: 'boolean|object',
    ca: 'any',
    cert: 'any',
    key: 'any',
    pfx: 'any',
    passphrase: 'string',
    ciphers: 'string',
    minVersion: 'string',
    maxVersion: 'string',
    checkServerIdentity: 'function',
    servername: 'string',
    proxy: 'any',
    family: 'number',
    localAddress: 'string',
    lookup: 'function',
    socketPath: 'string',
    createConnection: 'function',
    signal: 'object',
    trace: 'function',
  },
  least: { maxPayload: 1 },
  most: { maxPayload: Number.MAX_SAFE_INTEGER },
  unbounded: ['handshakeTimeout', 'closeTimeout', 'maxPayload'],
  choices: { family: [0, 4, 6], minVersion: TLS_VERSIONS, maxVersion: TLS_VERSIONS },
};

/**
 * Checks WebSocket options at the call (`where` names the API in messages)
 * and returns them over their defaults.
 */
export function checkWebSocketOptions(options: unknown, where: string): WebSocketOptions {
  const checked = checkOptions<WebSocketOptions>(options, WEBSOCKET_OPTIONS, where);
  // Checked here, not when an attempt builds its offer: connect({ socket }) would otherwise only find out at its first attempt.
  if (typeof checked.perMessageDeflate === 'object') checkPerMessageDeflateOptions(checked.perMessageDeflate, where, 'perMessageDeflate');
  for (const name of ['ca', 'cert', 'key'] as const) checkTlsMaterial(checked[name], `${where} option ${name}`, false);
  checkTlsMaterial(checked.pfx, `${where} option pfx`, true);
  const refuse = (subject: string, expected: string, got: unknown) => invalid('TypeError', ErrorCodes.INVALID_OPTION, `${where} ${subject}`, expected, got);
  if (checked.socketPath === '') throw refuse('option socketPath', 'a non-empty path', '');
  // Each of these decides the whole route to the server: given together, one would be silently ignored.
  if (checked.socketPath !== undefined && checked.createConnection !== undefined) {
    throw refuse('options socketPath and createConnection', 'given one at a time (each decides where the connection goes)', 'both');
  }
  checkProxyOption(checked.proxy);
  const route = checked.socketPath !== undefined ? 'socketPath' : checked.createConnection !== undefined ? 'createConnection' : undefined;
  if (route !== undefined && checked.proxy !== undefined && checked.proxy !== false) {
    throw refuse(`option proxy with ${route}`, `false or absent (${route} decides where the connection goes)`, checked.proxy);
  }
  return checked;
}

/**
 * The `proxy` option at the call, by the rule every attempt applies
 * (proxy.ts, `parseProxyUrl`), with the same words ("the proxy option must
 * be ..."): else `connect({ socket: { proxy } })` and `createNodeTransport`
 * would only find out at their first attempt. Anything but a string, a URL
 * or `false` is refused too: `true` or `3128` would otherwise read as the
 * proxy `http://true` or `http://3128` (the host 0.0.12.56).
 */
function checkProxyOption(proxy: unknown): void {
  if (proxy === undefined || proxy === false) return;
  if (typeof proxy === 'string' || proxy instanceof URL) {
    parseProxyUrl(String(proxy), PROXY_OPTION);
    return;
  }
  throw invalid('TypeError', ErrorCodes.INVALID_PROXY, PROXY_OPTION, 'an http:// URL of a CONNECT proxy (a string or a URL), or false', proxy);
}

/** PEM text or bytes, alone or in a list (`pfx` list entries may also be `{ buf, passphrase }`), as node:tls takes them. */
function checkTlsMaterial(value: unknown, subject: string, pfx: boolean): void {
  if (value === undefined) return;
  const isBytes = (item: unknown) => typeof item === 'string' || item instanceof Uint8Array;
  const isPfxObject = (item: unknown) =>
    pfx &&
    typeof item === 'object' &&
    item !== null &&
    isBytes((item as { buf?: unknown }).buf) &&
    ['undefined', 'string'].includes(typeof (item as { passphrase?: unknown }).passphrase);
  const ok = isBytes(value) || (Array.isArray(value) && value.every((item) => isBytes(item) || isPfxObject(item)));
  if (!ok) {
    const expected = pfx ? 'a string, a Buffer, or an array of them or of { buf, passphrase }' : 'a string, a Buffer, or an array of them';
    throw invalid('TypeError', ErrorCodes.INVALID_OPTION, subject, expected, value);
  }
}

/**
 * The delay a timer of the transport is armed with: `setTimeout` fires at
 * once for anything above 2^31-1 ms, so a longer wait is clamped to that
 * (about 24.8 days) instead of turning into a 1 ms one.
 */
export function timerDelay(ms: number): number {
  return Math.min(ms, TIMER_MAX);
}

// The three HTTP-date forms a recipient must accept (RFC 9110 §5.6.7), all in GMT.
const IMF_FIXDATE = /^[A-Za-z]{3}, \d{2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/;
const RFC850_DATE = /^[A-Za-z]{6,9}, \d{2}-[A-Za-z]{3}-\d{2} \d{2}:\d{2}:\d{2} GMT$/;
const ASCTIME_DATE = /^[A-Za-z]{3} [A-Za-z]{3} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/;

/**
 * Retry-After (RFC 9110 §10.2.3): delay-seconds (digits only) or an
 * HTTP-date in one of its three forms (§5.6.7; asctime's, which names no
 * zone, read as GMT). Returns ms from `now` (never negative), or undefined
 * when absent or anything else (`-1`, `1.5` and ISO dates are not
 * Retry-After values, though `Date.parse` reads them as dates).
 */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  let at = Number.NaN;
  if (IMF_FIXDATE.test(trimmed) || RFC850_DATE.test(trimmed)) at = Date.parse(trimmed);
  else if (ASCTIME_DATE.test(trimmed)) at = Date.parse(`${trimmed} GMT`);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}
