/**
 * One accepted connection of lifeline's Node WebSocket server, from the
 * first request byte to the close: reads the HTTP request (the protocol's
 * `RequestParser`), lets the server decide (upgrade, refuse, or answer a
 * plain HTTP request), then pumps bytes between the socket and a protocol
 * core in the server role.
 *
 * Closing (RFC 6455 §7.1.1): the server closes TCP first. Once both close
 * frames have crossed (or the core failed the connection, §7.1.7) we
 * half-close at once; the socket is destroyed if the client has not closed
 * its side within `closeTimeout`. A close we start waits `closeTimeout` for
 * the client's answer.
 *
 * Owns: the socket, the handshake timer, write batching, the one report of
 * how the connection ended. Reports to a `ConnectionHost` (the server) by
 * plain method calls. Borrows the Node transport's text decoding
 * (utf8-slice.ts). Must not import the client, the CLI or the client
 * transport's connection.
 */
import type { Socket } from 'node:net';
import { Buffer } from 'node:buffer';
import { Protocol, type ProtocolCoreOptions } from '../protocol/protocol.js';
import { ErrorCodes, HandshakeError, LifelineError, ProtocolError } from '../protocol/errors.js';
import { RequestParser, acceptResponse, refusalResponse, responseHead, type HttpRequest } from '../protocol/server-handshake.js';
import type { Extension, ProtocolSink } from '../protocol/types.js';
import { allocUnsafe, fastIsUtf8 } from '../transport/node/platform.js';
import { utf8Slice } from '../transport/node/utf8-slice.js';

/** What the connection reports to its server. Called synchronously, in order. */
export interface ConnectionHost {
  /** The request head is complete. The host answers through `accept`, `refuse` or `respond` (now or later). */
  _request(conn: ServerConnection, req: HttpRequest): void;
  /** The request could not be parsed; a refusal with `error.status` is already on its way. */
  _badRequest(conn: ServerConnection, error: HandshakeError): void;
  _open(conn: ServerConnection): void;
  _message(conn: ServerConnection, data: string | Buffer, binary: boolean): void;
  _ping(conn: ServerConnection, payload: Buffer): void;
  _pong(conn: ServerConnection, payload: Buffer): void;
  /** The client violated the protocol; the core sent the close frame. `_closed` follows. */
  _error(conn: ServerConnection, error: ProtocolError): void;
  /** Once, last; only for connections that were opened. */
  _closed(conn: ServerConnection, code: number, reason: string, wasClean: boolean): void;
  /** The socket is gone (any phase): forget the connection. */
  _gone(conn: ServerConnection): void;
}

/** What the server answers an upgrade with. */
export interface AcceptParams {
  key: string;
  protocol: string;
  extensionsHeader: string;
  extensions: Extension[];
  headers?: Readonly<Record<string, string>>;
  maxPayload: number;
  closeTimeout: number;
}

/** Where a connection is: reading the request, deciding, open, closing, closed. */
export type ConnectionPhase = 'request' | 'deciding' | 'open' | 'closing' | 'closed';


function copyBuffer(data: Uint8Array): Buffer {
  const copy = Buffer.allocUnsafe(data.length);
  copy.set(data);
  return copy;
}

/**
 * One connection. Its methods are named apart from the `ProtocolSink`
 * callbacks the core calls (`write`, `message`, `ping`, `pong`, `close`,
 * `error`); the public ones are `send`, `sendPing`, `startClose`,
 * `terminate`, `pause`, `resume` and `writeRaw`.
 */
export class ServerConnection implements ProtocolSink {
  /** 1, 2, 3 ... in the order the server accepted the sockets. */
  readonly id: number;
  readonly socket: Socket;
  readonly remoteAddress: string;
  readonly remotePort: number;
  phase: ConnectionPhase = 'request';
  /** The request (once its head arrived). */
  request: HttpRequest | undefined = undefined;
  /** Negotiated subprotocol ('' for none) and Sec-WebSocket-Extensions value, once open. */
  protocol = '';
  extensions = '';
  private core: Protocol | undefined = undefined;
  private parser: RequestParser | undefined = new RequestParser();
  private readonly host: ConnectionHost;
  private corked = false;
  private paused = false;
  private closeTimer: NodeJS.Timeout | undefined = undefined;
  private handshakeTimer: NodeJS.Timeout | undefined = undefined;
  private closeTimeout = 10_000;
  private failure: ProtocolError | undefined = undefined;
  private reported = false;

  constructor(id: number, socket: Socket, host: ConnectionHost, handshakeTimeout: number) {
    this.id = id;
    this.socket = socket;
    this.host = host;
    this.remoteAddress = socket.remoteAddress ?? '';
    this.remotePort = socket.remotePort ?? 0;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.core?.receiveEof());
    socket.on('error', () => {
      // Reported through 'close' (1006 unless the closing handshake completed).
    });
    socket.on('close', () => this.onSocketClose());
    this.handshakeTimer = setTimeout(() => this.onHandshakeTimeout(), handshakeTimeout);
    this.handshakeTimer.unref?.();
  }

  /** Bytes handed to the socket and not yet written to the kernel. */
  get bufferedAmount(): number {
    return this.socket.writableLength;
  }

  /** True while reading is paused (a slow-reader or silent fault, or the application). */
  get isPaused(): boolean {
    return this.paused;
  }

  // ---- the handshake ----

  private onData(chunk: Buffer): void {
    if (this.core !== undefined) {
      this.core.receive(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
      return;
    }
    const parser = this.parser;
    if (parser === undefined) return; // deciding: the socket is paused; a stray read is dropped with the request
    let req: HttpRequest | undefined;
    try {
      req = parser.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
    } catch (err) {
      if (!(err instanceof HandshakeError)) throw err;
      this.parser = undefined;
      this.answerAndEnd(refusalResponse(err.status ?? 400, { headers: err.headers, body: `${err.message}\n` }));
      this.host._badRequest(this, err);
      return;
    }
    if (req === undefined) return;
    this.parser = undefined;
    this.request = req;
    this.phase = 'deciding';
    clearTimeout(this.handshakeTimer);
    this.handshakeTimer = undefined;
    // Nothing more is read until the server decides (a delayed answer must not buffer a flood).
    this.socket.pause();
    this.host._request(this, req);
  }

  private onHandshakeTimeout(): void {
    this.handshakeTimer = undefined;
    if (this.phase !== 'request') return;
    this.parser = undefined;
    this.answerAndEnd(refusalResponse(408, { body: 'The request did not arrive in time\n' }));
    this.host._badRequest(this, new HandshakeError(ErrorCodes.HANDSHAKE_TIMEOUT, 'The request head did not arrive in time', { status: 408 }));
  }

  private answerAndEnd(text: string | Uint8Array): void {
    this.phase = 'closing';
    const socket = this.socket;
    if (socket.destroyed) return;
    socket.end(text);
    // A client that never reads or closes: do not keep its socket forever.
    this.closeTimer = setTimeout(() => socket.destroy(), this.closeTimeout);
    this.closeTimer.unref?.();
  }

  /** Answers a plain HTTP request (not an upgrade) and closes the connection. `body` is omitted for HEAD. */
  respond(status: number, headers: Readonly<Record<string, string>> | undefined, body: string | Uint8Array = ''): void {
    if (this.phase !== 'deciding') throw new LifelineError(ErrorCodes.INVALID_STATE, `Cannot answer: the connection is ${this.phase}`);
    const bytes = typeof body === 'string' ? Buffer.from(body) : body;
    const head = Buffer.from(responseHead(status, headers, bytes.length), 'latin1');
    this.answerAndEnd(this.request?.method === 'HEAD' || bytes.length === 0 ? head : Buffer.concat([head, bytes]));
  }

  /** Refuses an upgrade with `status` (and headers such as Retry-After) and closes the connection. */
  refuse(status: number, headers?: Readonly<Record<string, string>>, body?: string): void {
    if (this.phase !== 'deciding') throw new LifelineError(ErrorCodes.INVALID_STATE, `Cannot refuse: the connection is ${this.phase}`);
    this.answerAndEnd(refusalResponse(status, { headers, body }));
  }

  /** Completes the upgrade: writes the 101 and starts the core with what followed the request. */
  accept(params: AcceptParams): void {
    if (this.phase !== 'deciding' || this.socket.destroyed) {
      for (const extension of params.extensions) extension.dispose();
      return;
    }
    this.closeTimeout = params.closeTimeout;
    const popts: ProtocolCoreOptions = { role: 'server', maxPayload: params.maxPayload, isUtf8: fastIsUtf8, alloc: allocUnsafe };
    if (params.extensions.length > 0) popts.extensions = params.extensions;
    this.protocol = params.protocol;
    this.extensions = params.extensionsHeader;
    this.socket.write(acceptResponse({ key: params.key, protocol: params.protocol, extensions: params.extensionsHeader, headers: params.headers }));
    this.core = new Protocol(this, popts);
    this.phase = 'open';
    this.host._open(this);
    const rest = this.request?.rest;
    if (rest !== undefined && rest.length > 0 && this.phase === 'open') this.core.receive(rest);
    if (!this.paused && !this.socket.destroyed) this.socket.resume();
  }

  // ---- API for the server and applications ----

  /** Sends a message: a string as text, bytes as binary (unless `binary: false`, then they must be UTF-8). Ignored once closing. */
  send(data: string | Uint8Array, options: { binary?: boolean; compress?: boolean } = {}): void {
    if (this.phase !== 'open') return;
    const binary = options.binary ?? typeof data !== 'string';
    this.core!.send(data, binary, options.compress);
  }

  /** Sends a ping (at most 125 bytes). Ignored unless open. */
  sendPing(payload?: Uint8Array): void {
    if (this.phase !== 'open') return;
    this.core!.ping(payload);
  }

  /**
   * Starts the closing handshake with any code valid on the wire (1000,
   * 1001, 1011, 1012 ... or 3000-4999; a `RangeError` otherwise). Waits
   * `closeTimeout` for the client's close frame, then drops the socket.
   */
  startClose(code?: number, reason?: string): void {
    if (this.phase !== 'open') return;
    this.core!.close(code, reason);
    this.phase = 'closing';
    this.armCloseTimer();
  }

  /** Drops the connection now, without a close frame (the client sees 1006). */
  terminate(): void {
    if (this.phase === 'closed') return;
    this.socket.destroy();
  }

  /** Stops reading: the core answers nothing (no pongs, no close echo) and TCP backpressure builds up. */
  pause(): void {
    this.paused = true;
    this.socket.pause();
  }

  /** Reads again. */
  resume(): void {
    this.paused = false;
    if (this.phase !== 'deciding' && !this.socket.destroyed) this.socket.resume();
  }

  /** Writes bytes as they are, outside the core (a fault: a malformed frame). Ignored unless open. */
  writeRaw(bytes: Uint8Array): void {
    if (this.phase !== 'open' && this.phase !== 'closing') return;
    this.write(bytes);
  }

  // ---- ProtocolSink: called by the core ----

  write(bytes: Uint8Array): void {
    const socket = this.socket;
    if (socket.destroyed) return;
    // Batch every frame written in this tick into one writev.
    if (!this.corked) {
      this.corked = true;
      socket.cork();
      process.nextTick(() => {
        this.corked = false;
        socket.uncork();
      });
    }
    socket.write(bytes);
  }

  message(data: Uint8Array, binary: boolean): void {
    // Text is decoded here; binary is copied (the view may be read memory the core keeps, or the inflater's window).
    this.host._message(this, binary ? copyBuffer(data) : utf8Slice.call(data, 0, data.length), binary);
  }

  ping(payload: Uint8Array): void {
    this.host._ping(this, copyBuffer(payload));
  }

  pong(payload: Uint8Array): void {
    this.host._pong(this, copyBuffer(payload));
  }

  close(): void {
    // Both close frames have crossed (the core echoed the client's if we had not sent ours):
    // the server closes TCP first (§7.1.1).
    this.phase = 'closing';
    this.socket.end();
    this.armCloseTimer();
  }

  error(error: ProtocolError): void {
    // §7.1.7: the core sent the close frame with error.closeCode; close TCP after it.
    this.failure = error;
    this.phase = 'closing';
    this.host._error(this, error);
    this.socket.end();
    this.armCloseTimer();
  }

  // ---- the end ----

  private armCloseTimer(): void {
    if (this.closeTimer !== undefined) return;
    const socket = this.socket;
    this.closeTimer = setTimeout(() => socket.destroy(), this.closeTimeout);
    this.closeTimer.unref?.();
  }

  private onSocketClose(): void {
    this.phase = 'closed';
    clearTimeout(this.closeTimer);
    clearTimeout(this.handshakeTimer);
    this.closeTimer = this.handshakeTimer = undefined;
    this.parser = undefined;
    const core = this.core;
    if (core !== undefined && !this.reported) {
      this.reported = true;
      core.dispose();
      const failure = this.failure;
      const peerCode = core.peerCloseCode;
      let code = 1006;
      let reason = '';
      if (failure !== undefined) code = failure.closeCode;
      else if (peerCode !== undefined) {
        code = peerCode;
        reason = core.peerCloseReason;
      }
      // Clean: the closing handshake completed (a received close always got its answer, §5.5.1).
      const wasClean = peerCode !== undefined && failure === undefined;
      this.host._closed(this, code, reason, wasClean);
    }
    this.host._gone(this);
  }
}
