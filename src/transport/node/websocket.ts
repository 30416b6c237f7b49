/**
 * The WHATWG `WebSocket` for Node (https://websockets.spec.whatwg.org/),
 * over lifeline's own RFC 6455 connection, so code written for browsers (and
 * libraries that take a WebSocket implementation) runs unchanged in Node.
 *
 * Owns: the standard surface (readyState and constants, url, protocol,
 * extensions, binaryType, bufferedAmount, send, close with the browser's
 * argument checks, on<event> attributes and listeners) and the Node extras
 * (third-argument options, `ping()` with RTT, `terminate()`,
 * `pause()`/`resume()`, `ping`/`pong`/`drain` events, `event.error` on
 * `error`). Steps of the WHATWG spec are cited where they decide behaviour.
 * Must not import the client.
 */
import { Buffer } from 'node:buffer';
import { parseUrl } from '../../protocol/url.js';
import { ErrorCodes, HandshakeError, ProtocolError } from '../../protocol/errors.js';
import { checkClose, checkPingPayload, checkProtocols, inputError } from '../../protocol/input.js';
import { Connection, CONNECTING, OPEN, CLOSING, CLOSED, copyMessage } from './connection.js';
import { CloseEvent, ErrorEvent, Event, LightEventTarget, MessageEvent, listening } from './events.js';
import { checkWebSocketOptions, parseRetryAfter, type WebSocketOptions } from './options.js';
import { utf8Slice } from './utf8-slice.js';

export type BinaryType = 'arraybuffer' | 'blob' | 'nodebuffer';
export type { WebSocketOptions, TraceRecord, HandshakeTrace } from './options.js';
export { Event, MessageEvent, CloseEvent, ErrorEvent } from './events.js';


const BT_ARRAYBUFFER = 0;
const BT_BLOB = 1;
const BT_NODEBUFFER = 2;


type Handler<E> = ((this: WebSocket, event: E) => unknown) | null;

/** `data` of a `message` event: a string for text; for binary, per `binaryType`, an ArrayBuffer (default), a Blob or a Buffer. */
export type MessageData = string | ArrayBuffer | Blob | Buffer;

/** The events of the Node `WebSocket`, for typed `addEventListener` (lib.dom's `WebSocketEventMap` plus the Node extras). */
export interface WebSocketEventMap {
  open: Event;
  message: MessageEvent<MessageData>;
  /** Node: `error` carries the cause (see ErrorEvent). */
  error: ErrorEvent;
  close: CloseEvent;
  /** Node extra: a ping from the server (answered automatically); `data` is its payload. */
  ping: MessageEvent<Buffer>;
  /** Node extra: a pong; `data` is its payload. */
  pong: MessageEvent<Buffer>;
  /** Node extra: the send buffer emptied after `send()` filled it past the socket's high-water mark. */
  drain: Event;
}

/**
 * A WebSocket client with the browser API. Node-only options go in the third
 * argument (`WebSocketOptions`); for compatibility with ws, an options object
 * may also be passed as the second argument.
 *
 * Receives what its connection has to say through the `_open`, `_message`, ...
 * methods (sink.ts's ConnectionOwner; not declared with `implements`,
 * since those members are left out of the published declarations).
 */
export class WebSocket extends LightEventTarget<WebSocketEventMap> {
  static readonly CONNECTING = CONNECTING;
  static readonly OPEN = OPEN;
  static readonly CLOSING = CLOSING;
  static readonly CLOSED = CLOSED;
  declare readonly CONNECTING: 0;
  declare readonly OPEN: 1;
  declare readonly CLOSING: 2;
  declare readonly CLOSED: 3;

  /** @internal */
  readonly _connection: Connection;
  /** @internal binaryType as a small int */
  _binaryType = BT_ARRAYBUFFER;
  /** @internal bytes of sends after closing started (WHATWG: discarded but counted) */
  _discarded = 0;
  /** @internal Blob sends waiting for their bytes, in order; undefined until the first Blob */
  _blobs: Promise<void> | undefined = undefined;
  /** @internal bytes of pending Blob sends */
  _blobBytes = 0;

  constructor(url: string | URL, protocols?: string | readonly string[] | WebSocketOptions, options?: WebSocketOptions) {
    super();
    // WHATWG §3.1 "new WebSocket(url, protocols)", steps 1-3: parse (SyntaxError).
    const parsed = parseUrl(url);
    if (protocols !== undefined && protocols !== null && typeof protocols === 'object' && !Array.isArray(protocols)) {
      options = protocols as WebSocketOptions;
      protocols = undefined;
    }
    // Steps 4-5: protocols are tokens without duplicates (SyntaxError).
    const list = checkProtocols(protocols);
    // Node extra: the options are checked at the call, as every lifeline API does (TypeError / RangeError).
    this._connection = new Connection(parsed, list, checkWebSocketOptions(options, 'new WebSocket():'), this);
  }

  /** The URL connected to: the one given until a followed redirect leads elsewhere, then the final one. */
  get url(): string {
    return this._connection.url.href;
  }
  get readyState(): number {
    return this._connection.state;
  }
  /** The subprotocol the server selected ('' for none). */
  get protocol(): string {
    return this._connection.agreedProtocol;
  }
  /** The server's Sec-WebSocket-Extensions value ('' for none). */
  get extensions(): string {
    return this._connection.agreedExtensions;
  }
  /** Bytes queued by send() and not yet written to the network (frame headers included), plus sends discarded after closing. */
  get bufferedAmount(): number {
    return this._connection.bufferedAmount + this._discarded + this._blobBytes;
  }
  /** 'arraybuffer' (default), 'blob', or 'nodebuffer' (a Buffer). Other values are ignored, as browsers do. */
  get binaryType(): BinaryType {
    return this._binaryType === BT_ARRAYBUFFER ? 'arraybuffer' : this._binaryType === BT_BLOB ? 'blob' : 'nodebuffer';
  }
  set binaryType(value: BinaryType) {
    if (value === 'arraybuffer') this._binaryType = BT_ARRAYBUFFER;
    else if (value === 'blob') this._binaryType = BT_BLOB;
    else if (value === 'nodebuffer') this._binaryType = BT_NODEBUFFER;
    else return;
    this._connection.buffers = this._binaryType === BT_NODEBUFFER;
  }

  get onopen(): Handler<Event> {
    return this._getAttr('open');
  }
  set onopen(fn: Handler<Event>) {
    this._setAttr('open', fn);
  }
  get onmessage(): Handler<MessageEvent<MessageData>> {
    return this._getAttr('message');
  }
  set onmessage(fn: Handler<MessageEvent<MessageData>>) {
    this._setAttr('message', fn);
  }
  /**
   * The handler gets an `ErrorEvent` (with the Node extras). Read back, it is
   * typed as taking any `Event`, as lib.dom's `onerror` is, so this class stays
   * assignable where a library declares a DOM-like WebSocket type.
   */
  get onerror(): Handler<Event> {
    return this._getAttr('error');
  }
  set onerror(fn: Handler<ErrorEvent>) {
    this._setAttr('error', fn);
  }
  get onclose(): Handler<CloseEvent> {
    return this._getAttr('close');
  }
  set onclose(fn: Handler<CloseEvent>) {
    this._setAttr('close', fn);
  }

  /**
   * Sends a message: a string as text, binary data (ArrayBuffer, any view,
   * Buffer, Blob) as binary. Throws InvalidStateError while CONNECTING. After
   * closing has started the data is discarded and counted in bufferedAmount
   * (WHATWG §3.3 send(), step 2). Node extra: `{ compress: false }` skips
   * permessage-deflate for this message.
   */
  send(data: string | ArrayBufferLike | ArrayBufferView | Blob, options?: { compress?: boolean }): void {
    const state = this._connection.state;
    if (state === CONNECTING) throw inputError('InvalidStateError', ErrorCodes.INVALID_STATE, 'send() before the WebSocket opened (readyState CONNECTING)');
    const compress = options?.compress;
    let bytes: Uint8Array | undefined;
    let binary = true;
    if (typeof data === 'string') {
      binary = false;
    } else if (data instanceof Uint8Array) {
      bytes = data;
    } else if (ArrayBuffer.isView(data)) {
      bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    } else if (data instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && data instanceof SharedArrayBuffer)) {
      bytes = new Uint8Array(data);
    } else if (typeof Blob !== 'undefined' && data instanceof Blob) {
      return this._sendBlob(data, compress);
    } else {
      // WebIDL converts anything else to a string (USVString).
      data = String(data);
      binary = false;
    }
    if (state !== OPEN || this._blobs !== undefined) {
      if (state !== OPEN) {
        this._discarded += bytes !== undefined ? bytes.length : Buffer.byteLength(data as string);
        return;
      }
      // Keep order behind a Blob still being read.
      const copy = bytes !== undefined ? bytes.slice() : (data as string);
      const size = bytes !== undefined ? bytes.length : Buffer.byteLength(copy as string);
      this._blobBytes += size;
      this._blobs = this._blobs!.then(() => {
        this._blobBytes -= size;
        if (this._connection.state === OPEN) this._connection.send(copy, binary, compress);
        else this._discarded += size;
      });
      return;
    }
    this._connection.send(bytes !== undefined ? bytes : (data as string), binary, compress);
  }

  private _sendBlob(blob: Blob, compress: boolean | undefined): void {
    if (this._connection.state !== OPEN) {
      this._discarded += blob.size;
      return;
    }
    this._blobBytes += blob.size;
    const read = blob.arrayBuffer();
    const chain = (this._blobs ?? Promise.resolve()).then(() => read).then(
      (ab) => {
        this._blobBytes -= blob.size;
        if (this._connection.state === OPEN) this._connection.send(new Uint8Array(ab), true, compress);
        else this._discarded += blob.size;
      },
      () => {
        this._blobBytes -= blob.size;
      },
    );
    this._blobs = chain;
    void chain.then(() => {
      if (this._blobs === chain) this._blobs = undefined;
    });
  }

  /**
   * Starts the closing handshake (WHATWG §3.2 close()): `code` must be 1000
   * or 3000-4999 (else InvalidAccessError), `reason` at most 123 bytes of
   * UTF-8 (else SyntaxError). While CONNECTING the attempt fails (error, then
   * close 1006). The close event follows when the server has closed TCP, or
   * after `closeTimeout`.
   */
  close(code?: number, reason?: string): void {
    // WebIDL converts the arguments (a number, a string), then steps 1-3 check them.
    ({ code, reason } = checkClose(code, reason));
    const state = this._connection.state;
    if (state === CLOSING || state === CLOSED) return;
    this._connection.startClose(code, code === undefined ? undefined : (reason ?? ''));
  }

  /**
   * Node extra: sends a ping (RFC 6455 §5.5.2) and resolves with the round
   * trip in ms when the pong with the same payload arrives. `data`: text
   * (UTF-8), an ArrayBuffer or a view, at most 125 bytes (RFC 6455 §5.5;
   * default: 4 unique bytes). Never throws: a payload over 125 bytes
   * rejects with a RangeError (`WS_ERR_CONTROL_PAYLOAD_TOO_LONG`), one of
   * another type with a TypeError (`WS_ERR_INVALID_DATA`), a ping while not
   * open with an InvalidStateError; it also rejects if the connection
   * closes before the pong.
   */
  ping(data?: string | ArrayBufferLike | ArrayBufferView): Promise<number> {
    let payload: Uint8Array | undefined;
    try {
      // The resilient client's rule (its conn.ping() checks the same way, in the same order).
      payload = checkPingPayload(data);
    } catch (error) {
      return Promise.reject(error);
    }
    if (this._connection.state !== OPEN) {
      return Promise.reject(inputError('InvalidStateError', ErrorCodes.INVALID_STATE, `ping() needs an open WebSocket, readyState is ${this._connection.state}`));
    }
    return this._connection.sendPing(payload);
  }

  /** Node extra: drops the connection now, without a closing handshake (close event 1006, wasClean false). */
  terminate(): void {
    this._connection.terminate();
  }

  /** Node extra: stop reading from the network (messages already received may still be delivered). */
  pause(): void {
    this._connection.pause();
  }

  /** Node extra: read from the network again. */
  resume(): void {
    this._connection.resume();
  }

  // ---- ConnectionOwner ----

  /** @internal */
  _open(): void {
    if (this._has('open')) this._dispatch(new Event('open'));
  }

  /** @internal The receive hot path: decode per binaryType, build one light event, dispatch. */
  _message(data: Uint8Array, binary: boolean, stable: boolean): boolean {
    // WHATWG §4 "a WebSocket message has been received": dropped unless OPEN (e.g. after close()).
    if (!listening(this._listeners?.message) || this._connection.state !== OPEN) return false;
    let value: unknown;
    let kept = false;
    if (!binary) {
      value = utf8Slice.call(data, 0, data.length);
    } else if (this._binaryType === BT_ARRAYBUFFER) {
      // A stable buffer that is a whole ArrayBuffer (not a pool slice) is handed out as is.
      kept = stable && data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
      value = kept ? data.buffer : copyMessage(data, true).buffer;
    } else if (this._binaryType === BT_NODEBUFFER) {
      // Zero-copy when the memory is stable (see ConnectionOwner); else a copy out of the core's reused buffer.
      kept = stable;
      value = !stable ? copyMessage(data) : data instanceof Buffer ? data : Buffer.from(data.buffer, data.byteOffset, data.length);
    } else {
      value = new Blob([data as Uint8Array<ArrayBuffer>]);
    }
    this._dispatch(new MessageEvent('message', value));
    return kept;
  }

  /** @internal */
  _ping(payload: Uint8Array): void {
    if (this._has('ping')) this._dispatch(new MessageEvent('ping', Buffer.from(payload)));
  }

  /** @internal */
  _pong(payload: Uint8Array): void {
    if (this._has('pong')) this._dispatch(new MessageEvent('pong', Buffer.from(payload)));
  }

  /** @internal */
  _error(error: Error): void {
    if (!this._has('error')) return;
    let status: number | undefined;
    let retryAfterMs: number | undefined;
    if (error instanceof HandshakeError) {
      status = error.status;
      retryAfterMs = parseRetryAfter(error.headers['retry-after']);
    }
    this._dispatch(new ErrorEvent('error', error, status, retryAfterMs));
  }

  /**
   * @internal When we failed the connection over a peer's violation (RFC 6455
   * §7.1.7), we sent our close frame but read nothing after it, so no close
   * frame was received and the connection close code is 1006 (§7.1.5; the
   * WHATWG close event carries that code): Chromium, Firefox, WebKit, ws and
   * undici all report 1006 there. The code we sent is on the `error` event
   * (`error.closeCode`, with `error.code` naming the violation).
   */
  _closed(code: number, reason: string, wasClean: boolean, error?: Error): void {
    if (this._has('close')) this._dispatch(new CloseEvent('close', error instanceof ProtocolError ? 1006 : code, reason, wasClean));
  }

  /** @internal */
  _drain(): void {
    if (this._has('drain')) this._dispatch(new Event('drain'));
  }
}

for (const [name, value] of [
  ['CONNECTING', CONNECTING],
  ['OPEN', OPEN],
  ['CLOSING', CLOSING],
  ['CLOSED', CLOSED],
] as const) {
  Object.defineProperty(WebSocket.prototype, name, { value, enumerable: true });
}
