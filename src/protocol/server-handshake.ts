/**
 * The server half of the opening handshake (RFC 6455 §4.2) as pure
 * functions: parse the client's request as it arrives (`RequestParser`),
 * check it (`checkUpgrade`, §4.2.1), choose a subprotocol and extensions,
 * and write the answer: `101 Switching Protocols` with Sec-WebSocket-Accept
 * (§4.2.2), or a refusal with a status that says what was wrong
 * (`refusalResponse`: 400, 405, 426 with Sec-WebSocket-Version, 431 ...).
 *
 * A request that does not ask for an upgrade is returned as plain HTTP, so
 * a transport can serve other paths (a page, a control endpoint) on the
 * same port.
 *
 * Owns: `RequestParser`, `HttpRequest`, `isUpgradeRequest`, `checkUpgrade`,
 * `selectSubprotocol`, `negotiateServerExtensions`, `ServerExtensionFactory`,
 * `acceptResponse`, `responseHead`, `refusalResponse`, `STATUS_TEXT`.
 * Imports sibling protocol modules only; no I/O.
 */
import { ErrorCodes, HandshakeError, LifelineError, type ErrorCode } from './errors.js';
import { acceptFor } from './handshake.js';
import { parseExtensionHeader } from './extension-header.js';
import { checkHeaders, checkHeaderValue, checkProtocols, TOKEN } from './input.js';
import type { Extension, ExtensionParams } from './types.js';

/** A parsed HTTP/1.1 request head. */
export interface HttpRequest {
  method: string;
  /** The request-target as sent (origin-form: path and query). */
  target: string;
  /** `1.1`, `1.0` ... */
  version: string;
  /** Lower-case names; repeated headers joined with ', ' (RFC 7230 §3.2.2). */
  headers: Record<string, string>;
  /** Names as sent, in order. */
  rawHeaders: [string, string][];
  /** Bytes that followed the head in the same reads (a client may send frames right after its request). */
  rest: Uint8Array;
}

/** Limits for `RequestParser`. */
export interface RequestLimits {
  /** Largest request line + header block, bytes. Default 16 KiB. */
  maxHeaderBytes?: number;
  /** Most header fields. Default 100. */
  maxHeaders?: number;
}

/** Reason phrases for the statuses a WebSocket server answers with. */
export const STATUS_TEXT: Readonly<Record<number, string>> = {
  101: 'Switching Protocols',
  200: 'OK',
  204: 'No Content',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  426: 'Upgrade Required',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

const EMPTY = new Uint8Array(0);
/** method SP request-target SP HTTP/1.x (HTTP/2 does not start with a request line); the method must be a token (RFC 7230 §3.1.1, checked with TOKEN). */
const REQUEST_LINE = /^([^\s]+) ([^\s]+) HTTP\/(1\.\d)$/;
// field-value: VCHAR / obs-text / SP / HTAB (no CTLs).
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
/** §4.2.1 item 5: base64 of 16 bytes is 22 characters and '=='. */
const KEY = /^[A-Za-z0-9+/]{22}={2}$/;

function refused(code: ErrorCode, status: number, message: string, headers: Record<string, string> = {}): HandshakeError {
  return new HandshakeError(code, message, { status, headers });
}

function latin1(bytes: Uint8Array, start: number, end: number): string {
  let text = '';
  for (let i = start; i < end; i += 4096) {
    text += String.fromCharCode.apply(null, bytes.subarray(i, Math.min(end, i + 4096)) as unknown as number[]);
  }
  return text;
}

/**
 * Parses one HTTP/1.1 request head incrementally (RFC 7230 §3). Throws a
 * `HandshakeError` whose `status` is the answer to send: 400 for malformed
 * syntax (WS_ERR_HANDSHAKE_MALFORMED), 431 past the limits
 * (WS_ERR_HANDSHAKE_TOO_LARGE). Bodies are not read: a WebSocket upgrade
 * has none, and a plain request is answered and the connection closed.
 */
export class RequestParser {
  private readonly maxHeaderBytes: number;
  private readonly maxHeaders: number;
  private buf: Uint8Array = EMPTY;
  private scanFrom = 0;
  private result: HttpRequest | undefined;

  constructor(limits: RequestLimits = {}) {
    this.maxHeaderBytes = limits.maxHeaderBytes ?? 16 * 1024;
    this.maxHeaders = limits.maxHeaders ?? 100;
  }

  /** The request once complete, else undefined. */
  get request(): HttpRequest | undefined {
    return this.result;
  }

  /** Feeds bytes; returns the request once its head is complete. */
  push(chunk: Uint8Array): HttpRequest | undefined {
    if (this.result !== undefined) throw new LifelineError(ErrorCodes.INVALID_STATE, 'The request is already complete');
    if (this.buf.length === 0) this.buf = chunk;
    else {
      const joined = new Uint8Array(this.buf.length + chunk.length);
      joined.set(this.buf);
      joined.set(chunk, this.buf.length);
      this.buf = joined;
    }
    const end = this.findHeadEnd();
    if (end < 0 || end > this.maxHeaderBytes) {
      if (this.buf.length > this.maxHeaderBytes || end > this.maxHeaderBytes) {
        throw refused(ErrorCodes.HANDSHAKE_TOO_LARGE, 431, `Request headers exceed ${this.maxHeaderBytes} bytes`);
      }
      return undefined;
    }
    const head = this.parseHead(latin1(this.buf, 0, end - 4));
    this.result = { ...head, rest: this.buf.subarray(end) };
    this.buf = EMPTY;
    return this.result;
  }

  private findHeadEnd(): number {
    const buffer = this.buf;
    for (let i = Math.max(0, this.scanFrom - 3); i + 3 < buffer.length; i++) {
      if (buffer[i] === 13 && buffer[i + 1] === 10 && buffer[i + 2] === 13 && buffer[i + 3] === 10) return i + 4;
    }
    this.scanFrom = buffer.length;
    return -1;
  }

  private parseHead(text: string): Omit<HttpRequest, 'rest'> {
    const lines = text.split('\r\n');
    // RFC 7230 §3.5: a server SHOULD ignore at least one empty line before the request-line.
    while (lines.length > 1 && lines[0] === '') lines.shift();
    const match = REQUEST_LINE.exec(lines[0]!);
    if (!match || !TOKEN.test(match[1]!)) throw refused(ErrorCodes.HANDSHAKE_MALFORMED, 400, `Invalid request line: ${JSON.stringify(lines[0]!.slice(0, 100))}`);
    if (lines.length - 1 > this.maxHeaders) throw refused(ErrorCodes.HANDSHAKE_TOO_LARGE, 431, `More than ${this.maxHeaders} request headers`);
    const headers: Record<string, string> = Object.create(null) as Record<string, string>;
    const rawHeaders: [string, string][] = [];
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const colon = line.indexOf(':');
      // No obs-fold (RFC 7230 §3.2.4): a line starting with SP/HTAB has no valid name.
      if (colon <= 0) throw refused(ErrorCodes.HANDSHAKE_MALFORMED, 400, `Invalid header line: ${JSON.stringify(line.slice(0, 100))}`);
      const name = line.slice(0, colon);
      const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
      if (!TOKEN.test(name)) throw refused(ErrorCodes.HANDSHAKE_MALFORMED, 400, `Invalid header name: ${JSON.stringify(name.slice(0, 100))}`);
      if (!FIELD_VALUE.test(value)) throw refused(ErrorCodes.HANDSHAKE_MALFORMED, 400, `Invalid value for header ${name}`);
      rawHeaders.push([name, value]);
      const key = name.toLowerCase();
      const prev = headers[key];
      headers[key] = prev === undefined ? value : `${prev}, ${value}`;
    }
    return { method: match[1]!, target: match[2]!, version: match[3]!, headers: { ...headers }, rawHeaders };
  }
}

/** The comma-separated tokens of a list header, lower-cased (Connection, Upgrade). */
function listTokens(value: string | undefined): string[] {
  if (value === undefined) return [];
  return value.split(',').map((token) => token.trim().toLowerCase()).filter((token) => token !== '');
}

function countHeader(req: HttpRequest, lower: string): number {
  let count = 0;
  for (const [name] of req.rawHeaders) if (name.toLowerCase() === lower) count++;
  return count;
}

/** True when the request asks to upgrade to WebSocket (an `Upgrade` list naming `websocket`); anything else is plain HTTP. */
export function isUpgradeRequest(req: HttpRequest): boolean {
  // The Upgrade list may carry versions ("websocket/13" is not registered): compare the protocol-name.
  return listTokens(req.headers['upgrade']).some((protocol) => protocol.split('/')[0] === 'websocket');
}

/** What a valid upgrade request asks for. */
export interface UpgradeRequest {
  /** Sec-WebSocket-Key, for the accept value. */
  key: string;
  /** Offered subprotocols, in the client's order of preference. */
  protocols: string[];
  /** Offered extensions, in the client's order (several offers of one extension are alternatives). */
  extensions: ExtensionParams[];
  /** The Origin header, if any (browsers always send one, §4.2.1 item 7). */
  origin: string | undefined;
  /** The request-target (path and query). */
  target: string;
}

/**
 * Checks an upgrade request as §4.2.1 says a server must. Throws a
 * `HandshakeError` whose `status` (and `headers`) make the refusal:
 * 405 for a method other than GET (WS_ERR_HANDSHAKE_METHOD, with Allow),
 * 400 for a missing Host, a Connection without `upgrade`
 * (WS_ERR_HANDSHAKE_CONNECTION), a bad Sec-WebSocket-Key
 * (WS_ERR_HANDSHAKE_KEY), bad subprotocol tokens (WS_ERR_HANDSHAKE_PROTOCOL)
 * or a malformed Sec-WebSocket-Extensions (WS_ERR_HANDSHAKE_EXTENSION),
 * 426 with `Sec-WebSocket-Version: 13` for another version (§4.2.2, §4.4).
 */
export function checkUpgrade(req: HttpRequest): UpgradeRequest {
  const headers = req.headers;
  // Item 1: an HTTP/1.1 or higher GET request.
  if (req.method !== 'GET') throw refused(ErrorCodes.HANDSHAKE_METHOD, 405, `A WebSocket upgrade must be a GET request, got ${req.method}`, { allow: 'GET' });
  if (Number(req.version) < 1.1) throw refused(ErrorCodes.HANDSHAKE_MALFORMED, 400, `A WebSocket upgrade needs HTTP/1.1 or higher, got HTTP/${req.version}`);
  // Item 2: a Host header.
  if (headers['host'] === undefined || headers['host'] === '') throw refused(ErrorCodes.HANDSHAKE_MALFORMED, 400, 'The request has no Host header');
  // Item 3 is what isUpgradeRequest checked; item 4: Connection includes the token "Upgrade".
  if (!isUpgradeRequest(req)) throw refused(ErrorCodes.HANDSHAKE_UPGRADE, 400, `Invalid Upgrade header: ${JSON.stringify(headers['upgrade'] ?? null)}`);
  if (!listTokens(headers['connection']).includes('upgrade')) {
    throw refused(ErrorCodes.HANDSHAKE_CONNECTION, 400, `Invalid Connection header: ${JSON.stringify(headers['connection'] ?? null)}`);
  }
  // Item 6 before item 5: a client speaking another version gets told which one we speak.
  const version = headers['sec-websocket-version'];
  if (version === undefined || version.trim() !== '13' || countHeader(req, 'sec-websocket-version') > 1) {
    throw refused(ErrorCodes.HANDSHAKE_VERSION, 426, `Unsupported Sec-WebSocket-Version: ${JSON.stringify(version ?? null)} (this server speaks 13)`, {
      'sec-websocket-version': '13',
    });
  }
  // Item 5: a key that is base64 of 16 bytes, sent once.
  const key = headers['sec-websocket-key'];
  if (key === undefined || countHeader(req, 'sec-websocket-key') !== 1 || !KEY.test(key)) {
    throw refused(ErrorCodes.HANDSHAKE_KEY, 400, `Invalid Sec-WebSocket-Key: ${JSON.stringify(key ?? null)}`);
  }
  // Item 8: subprotocols, a list of tokens, none twice (RFC 6455 §4.1 item 10): the rule a client applies to its own offer.
  let protocols: string[] = [];
  const offered = headers['sec-websocket-protocol'];
  if (offered !== undefined) {
    const names = offered.split(',').map((raw) => raw.trim()).filter((name) => name !== '');
    try {
      protocols = checkProtocols(names);
    } catch {
      throw refused(ErrorCodes.HANDSHAKE_PROTOCOL, 400, `Invalid Sec-WebSocket-Protocol: ${JSON.stringify(offered.slice(0, 200))}`);
    }
  }
  // Item 9: extension offers (RFC 6455 §9.1 syntax; their parameters are each extension's business).
  let extensions: ExtensionParams[] = [];
  const ext = headers['sec-websocket-extensions'];
  if (ext !== undefined && /[^\s,]/.test(ext)) {
    try {
      extensions = parseExtensionHeader(ext);
    } catch (err) {
      throw refused(ErrorCodes.HANDSHAKE_EXTENSION, 400, (err as Error).message);
    }
  }
  return { key, protocols, extensions, origin: headers['origin'], target: req.target };
}

/**
 * The subprotocol to answer (§4.2.2 item 5.4: one of those the client
 * offered): the first of `supported` (the server's order of preference)
 * that the client offered, or '' for none.
 */
export function selectSubprotocol(offered: readonly string[], supported: readonly string[]): string {
  for (const name of supported) if (offered.includes(name)) return name;
  return '';
}

/**
 * One extension on the server side: picks one of the client's offers for
 * it (RFC 7692 §5: offers of one extension are alternatives, in the
 * client's order of preference) and builds the `Extension`.
 */
export interface ServerExtensionFactory {
  readonly name: string;
  /**
   * `offers`: every offer of this extension, in the client's order. Returns
   * the response element (e.g. `permessage-deflate; server_no_context_takeover`)
   * and the agreed extension, or `null` to decline them all.
   */
  respond(offers: readonly ExtensionParams[]): { response: string; extension: Extension } | null;
}

/** What the server agreed to, for `acceptResponse` and the core. */
export interface AgreedExtensions {
  /** The Sec-WebSocket-Extensions value to answer ('' for none). */
  header: string;
  /** In response order (the order they apply, RFC 6455 §9). */
  extensions: Extension[];
}

/**
 * Answers the client's extension offers with the server's factories (in
 * the server's order; each picks among the offers named after it). Offers
 * of unknown extensions are ignored (§9.1: the server accepts a subset).
 */
export function negotiateServerExtensions(offers: readonly ExtensionParams[], factories: readonly ServerExtensionFactory[]): AgreedExtensions {
  const parts: string[] = [];
  const extensions: Extension[] = [];
  let rsvUsed = 0;
  for (const factory of factories) {
    const name = factory.name.toLowerCase();
    const mine = offers.filter((offer) => offer.name.toLowerCase() === name);
    if (mine.length === 0) continue;
    const agreed = factory.respond(mine);
    if (agreed === null) continue;
    // Two extensions may not claim the same RSV bit: keep the first.
    if ((agreed.extension.rsvMask & rsvUsed) !== 0) {
      agreed.extension.dispose();
      continue;
    }
    rsvUsed |= agreed.extension.rsvMask;
    parts.push(agreed.response);
    extensions.push(agreed.extension);
  }
  return { header: parts.join(', '), extensions };
}

/** What `acceptResponse` writes. */
export interface AcceptOptions {
  /** The client's Sec-WebSocket-Key. */
  key: string;
  /** The selected subprotocol; '' or absent for none. */
  protocol?: string;
  /** The Sec-WebSocket-Extensions value; '' or absent for none. */
  extensions?: string;
  /** Extra response headers (names must be tokens, values free of CR/LF/NUL). */
  headers?: Readonly<Record<string, string>> | Iterable<readonly [string, string]> | undefined;
}

/** The `101 Switching Protocols` answer (§4.2.2 item 5), ending in CRLF CRLF. */
export function acceptResponse(opts: AcceptOptions): string {
  let res =
    'HTTP/1.1 101 Switching Protocols\r\n' +
    'Upgrade: websocket\r\n' +
    'Connection: Upgrade\r\n' +
    `Sec-WebSocket-Accept: ${acceptFor(opts.key)}\r\n`;
  if (opts.protocol !== undefined && opts.protocol !== '') {
    checkHeaderValue('Sec-WebSocket-Protocol', opts.protocol);
    res += `Sec-WebSocket-Protocol: ${opts.protocol}\r\n`;
  }
  if (opts.extensions !== undefined && opts.extensions !== '') {
    checkHeaderValue('Sec-WebSocket-Extensions', opts.extensions);
    res += `Sec-WebSocket-Extensions: ${opts.extensions}\r\n`;
  }
  for (const [name, value] of checkHeaders(opts.headers)) res += `${name}: ${value}\r\n`;
  return res + '\r\n';
}

/** What `refusalResponse` writes besides the status. */
export interface RefusalOptions {
  /** Extra headers (e.g. Retry-After, Sec-WebSocket-Version, Allow). */
  headers?: Readonly<Record<string, string>> | undefined;
  /** A short text body (default: the status line's reason and a newline). */
  body?: string | undefined;
}

/**
 * The head of any non-101 answer: status line, the given headers,
 * `Content-Type: text/plain` unless one is given, `Content-Length` and
 * `Connection: close` (the connection ends after the answer), CRLF CRLF.
 */
export function responseHead(status: number, headers: Readonly<Record<string, string>> | undefined, contentLength: number): string {
  if (!Number.isInteger(status) || status < 200 || status > 599) throw new RangeError(`status must be an integer from 200 to 599, got ${String(status)}`);
  let res = `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Refused'}\r\n`;
  const given = new Set<string>();
  // Handshake names are fine here (Sec-WebSocket-Version on a 426); the framing ones are ours.
  const framing = (lower: string) => lower !== 'content-length' && lower !== 'transfer-encoding' && lower !== 'connection';
  for (const [name, value] of checkHeaders(headers, framing)) {
    given.add(name.toLowerCase());
    res += `${name}: ${value}\r\n`;
  }
  if (!given.has('content-type')) res += 'Content-Type: text/plain; charset=utf-8\r\n';
  return res + `Content-Length: ${contentLength}\r\nConnection: close\r\n\r\n`;
}

/** A whole non-101 answer with a text body (see `responseHead`), for a refused handshake or a plain HTTP request. */
export function refusalResponse(status: number, opts: RefusalOptions = {}): string {
  const body = opts.body ?? `${status} ${STATUS_TEXT[status] ?? 'Refused'}\n`;
  return responseHead(status, opts.headers, new TextEncoder().encode(body).length) + body;
}
