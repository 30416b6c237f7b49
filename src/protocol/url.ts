/**
 * WebSocket URL handling as browsers do it (WHATWG WebSocket constructor,
 * RFC 6455 §3): parse with the WHATWG URL parser, map http/https to ws/wss,
 * refuse any other scheme and any fragment, default ports 80/443, IPv6
 * literals, resource name = path + query.
 *
 * Owns: `parseUrl`, `WsUrl`: the URL rule of every caller (connect(), the
 * Node WebSocket, the CLI). Imports only errors and input (browser-safe).
 */
import { ErrorCodes } from './errors.js';
import { invalid } from './input.js';

/** A parsed WebSocket URL. */
export interface WsUrl {
  /** The normalized URL with a ws: or wss: scheme. */
  href: string;
  /** True for wss: (TLS). */
  secure: boolean;
  /** Host name or IP literal to connect to, IPv6 without brackets. */
  hostname: string;
  /** TCP port (80/443 when the URL has none). */
  port: number;
  /** The `Host` header value (RFC 7230 §5.4): IPv6 in brackets, `:port` only when not the default. */
  host: string;
  /** Path and query for the request line (RFC 6455 §3 "resource name"), `/` when empty. */
  resource: string;
}

/**
 * The URL rule: an absolute ws:, wss:, http: or https: URL (the last two
 * mapped to ws: and wss:, as browsers do) with a host and without a
 * fragment (RFC 6455 §3). Returns the parsed URL with its ws/wss scheme.
 * Anything but a string or URL is stringified first, as browsers do (so 42,
 * null and {} are refused as URLs, not as types). Throws a `SyntaxError`
 * DOMException (as the WHATWG WebSocket constructor does) with
 * `code = 'WS_ERR_INVALID_URL'`.
 */
function checkedUrl(input: unknown): URL {
  let url: URL | undefined;
  try {
    url = new URL(input instanceof URL ? input.href : String(input));
  } catch {}
  const scheme = /^(ws|http)(s?):$/.exec(url?.protocol ?? '');
  // The fragment is non-null whenever the serialization has '#', even an empty one.
  if (!url || !scheme || url.href.includes('#') || !url.hostname) {
    throw invalid('SyntaxError', ErrorCodes.INVALID_URL, 'a WebSocket URL', 'absolute ws:, wss:, http: or https:, with a host, without a fragment', String(input));
  }
  url.protocol = scheme[2] ? 'wss:' : 'ws:';
  return url;
}

/** The URL rule (see `checkedUrl`), returning the normalized href with a ws: or wss: scheme. */
export function checkUrl(input: unknown): string {
  return checkedUrl(input).href;
}

/** Parses a WebSocket URL for a transport that dials it itself; the same rule and errors as `checkUrl`. */
export function parseUrl(input: string | URL): WsUrl {
  const url = checkedUrl(input);
  const secure = url.protocol === 'wss:';
  const defaultPort = secure ? 443 : 80;
  const port = url.port === '' ? defaultPort : Number(url.port);
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const hostLiteral = hostname.includes(':') ? `[${hostname}]` : hostname;
  const resource = (url.pathname || '/') + url.search;
  return {
    href: url.href,
    secure,
    hostname,
    port,
    host: port === defaultPort ? hostLiteral : `${hostLiteral}:${port}`,
    resource,
  };
}
