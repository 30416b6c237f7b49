/**
 * The opening handshake as pure functions (RFC 6455 §4.1, §4.2.2):
 * build the upgrade request, and verify the server's response once
 * `ResponseParser` (http.ts) has parsed it.
 *
 * Caller mistakes (bad subprotocol, header injection) throw at once with a
 * built-in error class carrying a `code`, as browsers do; a bad response
 * throws a `HandshakeError` whose `code` names the failed check.
 *
 * Owns: key generation, accept computation, request text, response checks.
 * Imports only sibling protocol modules; no I/O.
 */
import { base64Encode } from './base64.js';
import { ErrorCodes, HandshakeError } from './errors.js';
import { checkHeaders, checkHeaderValue, checkHostHeader, checkProtocols } from './input.js';
import { parseExtensionHeader } from './extension-header.js';
import type { HttpResponse } from './http.js';
import { sha1 } from './sha1.js';
import type { Extension, ExtensionFactory, RandomSource } from './types.js';
import type { WsUrl } from './url.js';

export { parseExtensionHeader, formatExtensionOffer } from './extension-header.js';

/** RFC 6455 §1.3: appended to the key before hashing. */
export const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

function typed<E extends Error>(err: E, code: string): E & { code: string } {
  return Object.assign(err, { code });
}

/** A fresh `Sec-WebSocket-Key`: base64 of 16 random bytes (RFC 6455 §4.1 item 7). */
export function createKey(random: RandomSource): string {
  const bytes = new Uint8Array(16);
  random(bytes);
  return base64Encode(bytes);
}

/** The `Sec-WebSocket-Accept` a server must answer for `key`: base64(SHA-1(key + GUID)) (§4.2.2 item 5.4). */
export function acceptFor(key: string): string {
  const keyWithGuid = key + WS_GUID;
  const bytes = new Uint8Array(keyWithGuid.length);
  for (let i = 0; i < keyWithGuid.length; i++) bytes[i] = keyWithGuid.charCodeAt(i) & 0xff;
  return base64Encode(sha1(bytes));
}

/** Options for `buildRequest`. */
export interface RequestOptions {
  url: WsUrl;
  /** From `createKey`. */
  key: string;
  /** Offered subprotocols, in preference order. Validated (tokens, no duplicates). */
  protocols?: readonly string[];
  /** The `Sec-WebSocket-Extensions` offer, e.g. from `offerExtensions`. Omitted when empty. */
  extensions?: string;
  /** `Origin` header (browsers always send one; Node clients usually don't). */
  origin?: string;
  /**
   * Extra headers. Names must be tokens, values free of CR/LF/NUL; handshake
   * headers are refused, except `Host`, which replaces the URL's when its
   * value is a valid `host[:port]` (RFC 9110 §7.2).
   */
  headers?: Readonly<Record<string, string>> | Iterable<readonly [string, string]>;
}

/** Joins the offers of `factories` for `Sec-WebSocket-Extensions`. */
export function offerExtensions(factories: readonly ExtensionFactory[]): string {
  return factories.map((factory) => factory.offer()).filter((offer) => offer !== '').join(', ');
}

/**
 * The upgrade request (RFC 6455 §4.1), ending in CRLF CRLF. Caller input is
 * checked by the rules of ./input.ts: a `SyntaxError` DOMException
 * (WS_ERR_INVALID_SUBPROTOCOL) for bad subprotocols, a `TypeError`
 * (WS_ERR_INVALID_HEADER) for bad or reserved headers.
 */
export function buildRequest(opts: RequestOptions): string {
  const { url, key } = opts;
  const protocols = checkProtocols(opts.protocols ?? []);
  checkHeaderValue('Sec-WebSocket-Key', key);
  // The one handshake header a caller may set: Host (RFC 6455 §4.1 item 4 takes it from the URL by default).
  const headers = checkHeaders(opts.headers, (lowerName) => lowerName === 'host');
  const hosts = headers.filter(([name]) => name.toLowerCase() === 'host');
  if (hosts.length > 1) throw typed(new TypeError('Header Host is given more than once'), ErrorCodes.INVALID_HEADER);
  const host = hosts.length === 1 ? checkHostHeader(hosts[0]![1]) : url.host;
  checkHeaderValue('Host', host);
  if (!/^[^\s#]+$/.test(url.resource)) throw typed(new TypeError(`Invalid URL resource ${JSON.stringify(url.resource)}`), ErrorCodes.INVALID_HEADER);
  let req =
    `GET ${url.resource} HTTP/1.1\r\n` +
    `Host: ${host}\r\n` +
    'Upgrade: websocket\r\n' +
    'Connection: Upgrade\r\n' +
    `Sec-WebSocket-Key: ${key}\r\n` +
    'Sec-WebSocket-Version: 13\r\n';
  if (opts.origin !== undefined) {
    checkHeaderValue('Origin', opts.origin);
    req += `Origin: ${opts.origin}\r\n`;
  }
  if (protocols.length > 0) req += `Sec-WebSocket-Protocol: ${protocols.join(', ')}\r\n`;
  if (opts.extensions !== undefined && opts.extensions !== '') {
    checkHeaderValue('Sec-WebSocket-Extensions', opts.extensions);
    req += `Sec-WebSocket-Extensions: ${opts.extensions}\r\n`;
  }
  for (const [name, value] of headers) {
    const lower = name.toLowerCase();
    if (lower === 'host') continue;
    // Origin has its own option; given both ways the request would carry it twice.
    if (opts.origin !== undefined && lower === 'origin') {
      throw typed(new TypeError(`Header ${name} is given twice: as a header and as the origin option`), ErrorCodes.INVALID_HEADER);
    }
    req += `${name}: ${value}\r\n`;
  }
  return req + '\r\n';
}

/** What a verified handshake agreed on. */
export interface Negotiated {
  /** The chosen subprotocol, '' when none. */
  protocol: string;
  /** Accepted extensions, in response order (the order they apply, RFC 6455 §9). */
  extensions: Extension[];
  /** The raw `Sec-WebSocket-Extensions` response value, '' when none. */
  extensionsHeader: string;
}

function fail(code: (typeof ErrorCodes)[keyof typeof ErrorCodes], message: string, res: HttpResponse): HandshakeError {
  return new HandshakeError(code, message, { status: res.status, headers: res.headers });
}

function countHeader(res: HttpResponse, lower: string): number {
  let count = 0;
  for (const [name] of res.rawHeaders) if (name.toLowerCase() === lower) count++;
  return count;
}

/**
 * Checks the server's response (RFC 6455 §4.1, "the client MUST validate")
 * and negotiates extensions through their factories. Throws `HandshakeError`:
 * HANDSHAKE_STATUS (not 101; carries status, headers, body slice),
 * HANDSHAKE_UPGRADE, HANDSHAKE_CONNECTION, HANDSHAKE_ACCEPT,
 * HANDSHAKE_PROTOCOL, HANDSHAKE_EXTENSION (or what a factory throws).
 */
export function verifyResponse(
  res: HttpResponse,
  opts: { key: string; protocols: readonly string[]; extensions: readonly ExtensionFactory[] },
): Negotiated {
  const headers = res.headers;
  // §4.1 item 1: anything but 101 fails (redirects are not followed here).
  if (res.status !== 101) {
    throw new HandshakeError(ErrorCodes.HANDSHAKE_STATUS, `Unexpected server response: ${res.status}${res.statusText ? ' ' + res.statusText : ''}`, {
      status: res.status,
      headers,
      body: res.body,
    });
  }
  // Item 2: Upgrade must be "websocket", case-insensitively.
  if (headers['upgrade'] === undefined || headers['upgrade'].trim().toLowerCase() !== 'websocket') {
    throw fail(ErrorCodes.HANDSHAKE_UPGRADE, `Invalid Upgrade header: ${JSON.stringify(headers['upgrade'] ?? null)}`, res);
  }
  // Item 3: Connection must contain the token "upgrade" (it is a list).
  const conn = (headers['connection'] ?? '').split(',').map((token) => token.trim().toLowerCase());
  if (!conn.includes('upgrade')) {
    throw fail(ErrorCodes.HANDSHAKE_CONNECTION, `Invalid Connection header: ${JSON.stringify(headers['connection'] ?? null)}`, res);
  }
  // Item 4: Sec-WebSocket-Accept, exactly once.
  if (countHeader(res, 'sec-websocket-accept') !== 1 || headers['sec-websocket-accept'] !== acceptFor(opts.key)) {
    throw fail(ErrorCodes.HANDSHAKE_ACCEPT, `Invalid Sec-WebSocket-Accept: ${JSON.stringify(headers['sec-websocket-accept'] ?? null)}`, res);
  }
  // Item 6: a subprotocol must be one we offered; none offered -> none allowed.
  let protocol = '';
  const proto = headers['sec-websocket-protocol'];
  if (proto !== undefined && proto !== '') {
    if (countHeader(res, 'sec-websocket-protocol') > 1) {
      throw fail(ErrorCodes.HANDSHAKE_PROTOCOL, 'More than one Sec-WebSocket-Protocol header', res);
    }
    if (opts.protocols.length === 0) {
      throw fail(ErrorCodes.HANDSHAKE_PROTOCOL, `Server sent subprotocol ${JSON.stringify(proto)} but none was requested`, res);
    }
    if (!opts.protocols.includes(proto)) {
      throw fail(ErrorCodes.HANDSHAKE_PROTOCOL, `Server sent subprotocol ${JSON.stringify(proto)}, which was not offered`, res);
    }
    protocol = proto;
  }
  // Item 5: extensions must be ones we offered, each at most once.
  const extensions: Extension[] = [];
  const extensionsHeader = headers['sec-websocket-extensions'] ?? '';
  // Only empty list elements (e.g. empty header lines joined by ', ') means none (RFC 7230 §7).
  if (/[^\s,]/.test(extensionsHeader)) {
    const seen = new Set<string>();
    let rsvUsed = 0;
    try {
      for (const params of parseExtensionHeader(extensionsHeader)) {
        const lname = params.name.toLowerCase();
        const factory = opts.extensions.find((offered) => offered.name.toLowerCase() === lname);
        if (!factory) throw fail(ErrorCodes.HANDSHAKE_EXTENSION, `Server accepted extension ${params.name}, which was not offered`, res);
        if (seen.has(lname)) throw fail(ErrorCodes.HANDSHAKE_EXTENSION, `Server accepted extension ${params.name} twice`, res);
        seen.add(lname);
        const ext = factory.accept(params);
        if ((ext.rsvMask & rsvUsed) !== 0 || (ext.rsvMask & ~0x70) !== 0) {
          ext.dispose();
          throw fail(ErrorCodes.HANDSHAKE_EXTENSION, `Extension ${params.name} claims RSV bits already in use`, res);
        }
        rsvUsed |= ext.rsvMask;
        extensions.push(ext);
      }
    } catch (err) {
      // Release what was already accepted: the connection will not be used.
      for (const extension of extensions) extension.dispose();
      throw err;
    }
  }
  return { protocol, extensions, extensionsHeader };
}
