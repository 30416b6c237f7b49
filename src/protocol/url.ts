/**
 * WebSocket URL handling as browsers do it (WHATWG WebSocket constructor,
 * RFC 6455 §3): parse with the WHATWG URL parser, map http/https to ws/wss,
 * refuse any other scheme and any fragment, default ports 80/443, IPv6
 * literals, resource name = path + query. Credentials in the URL
 * (`user:pass@`) become Basic authorization (RFC 7617) for a transport that
 * dials itself, and never appear in `href` or in an error message.
 *
 * Owns: `parseUrl`, `WsUrl`: the URL rule of every caller (connect(), the
 * Node WebSocket, the CLI); `basicAuthorization`, `withoutPassword`.
 * Imports only errors, input and base64 (browser-safe).
 */
import { base64Encode } from './base64.js';
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
  /** The `Authorization` value for credentials in the URL (`user:pass@`), which `href` leaves out; absent without them. */
  authorization?: string;
}

/**
 * A text that may be a URL with its password (`scheme://user:password@`, or
 * `user:password@host` without a scheme) replaced by `***`, for messages
 * and output.
 */
export function withoutPassword(text: string): string {
  return text.replace(/^((?:[a-z][a-z\d+.-]*:\/\/)?[^/?#@:]*:)[^/?#]*@/i, '$1***@');
}

/**
 * The Basic `Authorization` value (RFC 7617) for a URL's percent-encoded
 * username and password, decoded and sent as UTF-8 (as browsers and the
 * proxy code do). Throws a URIError for an invalid percent-escape.
 */
export function basicAuthorization(username: string, password: string): string {
  return 'Basic ' + base64Encode(new TextEncoder().encode(`${decodeURIComponent(username)}:${decodeURIComponent(password)}`));
}

/**
 * The URL rule: an absolute ws:, wss:, http: or https: URL (the last two
 * mapped to ws: and wss:, as browsers do) with a host and without a
 * fragment (RFC 6455 §3), or, given a `base`, one relative to it (WHATWG
 * WebSocket: relative to the document's base URL, in browsers). Returns the
 * parsed URL with its ws/wss scheme.
 * Anything but a string or URL is stringified first, as browsers do (so 42,
 * null and {} are refused as URLs, not as types). Throws a `SyntaxError`
 * DOMException (as the WHATWG WebSocket constructor does) with
 * `code = 'WS_ERR_INVALID_URL'`.
 */
function checkedUrl(input: unknown, base?: string): URL {
  let url: URL | undefined;
  try {
    url = new URL(input instanceof URL ? input.href : String(input), base);
  } catch {}
  const scheme = /^(ws|http)(s?):$/.exec(url?.protocol ?? '');
  // The fragment is non-null whenever the serialization has '#', even an empty one.
  if (!url || !scheme || url.href.includes('#') || !url.hostname) {
    const given = withoutPassword(input instanceof URL ? input.href : String(input));
    const expected = base === undefined ? 'absolute ws:, wss:, http: or https:, with a host, without a fragment' : 'ws:, wss:, http: or https: (or relative to the page), without a fragment';
    throw invalid('SyntaxError', ErrorCodes.INVALID_URL, 'a WebSocket URL', expected, given);
  }
  url.protocol = scheme[2] ? 'wss:' : 'ws:';
  return url;
}

/** The URL rule (see `checkedUrl`), returning the normalized href with a ws: or wss: scheme. */
export function checkUrl(input: unknown, base?: string): string {
  return checkedUrl(input, base).href;
}

/**
 * Parses a WebSocket URL for a transport that dials it itself; the same
 * rule and errors as `checkUrl`. Credentials move from `href` to
 * `authorization` (an invalid percent-escape in them is an invalid URL).
 */
export function parseUrl(input: string | URL): WsUrl {
  const url = checkedUrl(input);
  let authorization: string | undefined;
  if (url.username !== '' || url.password !== '') {
    try {
      authorization = basicAuthorization(url.username, url.password);
    } catch {
      throw invalid('SyntaxError', ErrorCodes.INVALID_URL, 'the credentials of a WebSocket URL', 'valid percent-encoding', withoutPassword(url.href));
    }
    url.username = '';
    url.password = '';
  }
  const secure = url.protocol === 'wss:';
  const defaultPort = secure ? 443 : 80;
  const port = url.port === '' ? defaultPort : Number(url.port);
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const hostLiteral = hostname.includes(':') ? `[${hostname}]` : hostname;
  const resource = (url.pathname || '/') + url.search;
  const parsed: WsUrl = {
    href: url.href,
    secure,
    hostname,
    port,
    host: port === defaultPort ? hostLiteral : `${hostLiteral}:${port}`,
    resource,
  };
  if (authorization !== undefined) parsed.authorization = authorization;
  return parsed;
}
