/**
 * WebSocket URL handling as browsers do it (WHATWG WebSocket constructor,
 * RFC 6455 §3): parse with the WHATWG URL parser, map http/https to ws/wss,
 * refuse any other scheme and any fragment, default ports 80/443, IPv6
 * literals, resource name = path + query.
 *
 * Owns: `parseUrl`, `WsUrl`. Imports only errors.
 */
import { ErrorCodes } from './errors.js';

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

function invalid(message: string): SyntaxError {
  return Object.assign(new SyntaxError(message), { code: ErrorCodes.INVALID_URL });
}

/**
 * Parses a WebSocket URL. Throws a `SyntaxError` with
 * `code = 'WS_ERR_INVALID_URL'` (browsers throw a SyntaxError too) for an
 * unparsable URL, a scheme other than ws/wss/http/https, or a fragment.
 */
export function parseUrl(input: string | URL): WsUrl {
  let url: URL;
  try {
    url = new URL(typeof input === 'string' ? input : input.href);
  } catch {
    throw invalid(`Invalid URL: ${String(input)}`);
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
      throw invalid(`The URL's scheme must be ws: or wss: (http: and https: are mapped), got ${url.protocol}`);
  }
  // The fragment is non-null whenever the serialization has '#', even an empty one.
  if (url.href.includes('#')) throw invalid('The URL must not contain a fragment');
  if (url.hostname === '') throw invalid('The URL has no host');
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
