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
import { describe, inputError } from './input.js';

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

function invalid(message: string): Error {
  return inputError('SyntaxError', ErrorCodes.INVALID_URL, message);
}

/**
 * Parses a WebSocket URL. Throws a `SyntaxError` DOMException (as the WHATWG
 * WebSocket constructor does) with `code = 'WS_ERR_INVALID_URL'` for an
 * unparsable URL, a scheme other than ws/wss/http/https, or a fragment.
 * Anything but a string or URL is stringified first, as browsers do (so 42,
 * null and {} are refused as URLs, not as types).
 */
export function parseUrl(input: string | URL): WsUrl {
  let url: URL;
  try {
    url = new URL(input instanceof URL ? input.href : String(input));
  } catch {
    throw invalid(`a WebSocket URL must be absolute (ws://, wss://, http:// or https://), got ${describe(String(input))}`);
  }
  let secure: boolean;
  switch (url.protocol) {
    case 'ws:':
    case 'http:':
      secure = false;
      break;
    case 'wss:':
    case 'https:':
      secure = true;
      break;
    default:
      throw invalid(`a WebSocket URL's scheme must be ws: or wss: (http: and https: are mapped), got ${describe(url.protocol)}`);
  }
  // The fragment is non-null whenever the serialization has '#', even an empty one.
  if (url.href.includes('#')) throw invalid(`a WebSocket URL must not contain a fragment (RFC 6455 §3), got ${describe(url.href)}`);
  if (url.hostname === '') throw invalid(`a WebSocket URL must have a host, got ${describe(url.href)}`);
  url.protocol = secure ? 'wss:' : 'ws:';
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
