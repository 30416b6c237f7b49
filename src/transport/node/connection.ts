/**
 * One WebSocket connection in Node: dials (dial.ts), then pumps bytes
 * between the socket and the sans-I/O protocol core, and runs the closing
 * handshake with its timers (RFC 6455 §7.1.1: the server closes TCP first;
 * after the close frames we half-close only if it has not done so within
 * CLOSE_GRACE_MS, and destroy after `closeTimeout`).
 *
 * Owns: the socket after the upgrade and its listeners, the connection's
 * state (WHATWG readyState), receive backpressure (pause/resume), the close
 * timers, and the single report of how the connection ended. Its parts:
 * the outbox (./outbox.ts: write batching, send backpressure, end after
 * flush) and the core's sink (./sink.ts: where the core reports), which
 * keeps the ping registry (./pings.ts: round trips) once a ping was sent.
 * Events go to a `ConnectionOwner` (the WebSocket class, or the client
 * transport directly) by plain method calls.
 *
 * Hot path: socket read → Protocol.receive → CoreSink.message → owner. The
 * socket listeners are module-level functions that find the connection
 * through a symbol on the socket: no per-connection closures.
 * Must not import the WebSocket class or the client.
 */
import type { Socket } from 'node:net';
import type { ReadTarget, SocketReader } from './reader.js';
import { Protocol, type ProtocolCoreOptions } from '../../protocol/protocol.js';
import { perMessageDeflate } from '../../protocol/permessage-deflate.js';
import { ErrorCodes, LifelineError, ProtocolError } from '../../protocol/errors.js';
import type { WsUrl } from '../../protocol/url.js';
import type { ExtensionFactory } from '../../protocol/types.js';
import { MaskKeyPool } from '../../protocol/mask.js';
import { Dial, nodeRandom, type DialResult } from './dial.js';
import { Outbox } from './outbox.js';
import { allocUnsafe, fastIsUtf8 } from './platform.js';
import { nextPingPayload, PingRegistry } from './pings.js';
import { CoreSink, type ClosingSteps, type ConnectionOwner } from './sink.js';
import { zlibDeflateRaw, zlibInflateRaw, zlibInflateRawAsync } from './zlib-inflate.js';
import { DEFAULT_CLOSE_TIMEOUT, DEFAULT_MAX_PAYLOAD, timerDelay, type WebSocketOptions } from './options.js';

export type { ConnectionOwner } from './sink.js';
export { MAX_PENDING_PINGS } from './pings.js';

/** WHATWG readyState values. */
export const CONNECTING = 0;
export const OPEN = 1;
export const CLOSING = 2;
export const CLOSED = 3;

const kConn = Symbol('lifeline.connection');
type OwnedSocket = Socket & { [kConn]?: Connection | undefined };

function onSocketData(this: OwnedSocket, chunk: Buffer): void {
  // A plain Uint8Array view: the core slices it per frame, and Buffer#subarray
  // (species constructor, FastBuffer) costs several times TypedArray#subarray.
  const connection = this[kConn]!;
  connection.readChunk(connection.buffers ? chunk : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
}
/**
 * A copy of a received message in uninitialized memory (Buffer.from(view)
 * and ArrayBuffer#slice zero-fill first, then copy). `whole`: its own
 * exact-size ArrayBuffer (for binaryType 'arraybuffer'); else small copies
 * come from Node's pool, as Buffer.from's do.
 */
export function copyMessage(data: Uint8Array, whole = false): Buffer {
  const copy = whole ? Buffer.allocUnsafeSlow(data.length) : Buffer.allocUnsafe(data.length);
  copy.set(data);
  return copy;
}

/**
 * Mask keys for every connection of the process (as ws shares one pool), from
 * node:crypto: the core's default source is `globalThis.crypto`, which Node 18
 * does not define in modules.
 */
const MASK_KEYS = new MaskKeyPool(nodeRandom);

function onSocketEnd(this: OwnedSocket): void {
  this[kConn]?.eof();
}
function onSocketClose(this: OwnedSocket): void {
  this[kConn]?.finish();
}
function onSocketError(this: OwnedSocket, error: Error): void {
  this[kConn]?.socketError(error);
}
function onSocketDrain(this: OwnedSocket): void {
  this[kConn]?.drained();
}
function onCloseTimeout(connection: Connection): void {
  connection.timer = undefined;
  connection.socket?.destroy();
}
function onCloseGrace(connection: Connection): void {
  connection.graceTimer = undefined;
  connection.outbox.end();
}
/**
 * After the close frames, how long we wait for the server to close TCP before
 * half-closing ourselves (at most; never longer than `closeTimeout`).
 * RFC 6455 §7.1.1: the server closes first (it should do so at once), the
 * client "SHOULD wait ... but MAY close ... if it has not received a TCP Close
 * from the server in a reasonable time period". Our FIN then lets a server
 * that waits for it finish; `closeTimeout` still bounds the whole wait.
 */
const CLOSE_GRACE_MS = 1000;
function notifyDialFailure(connection: Connection, error: Error): void {
  connection.owner._error(error);
  connection.end(1006, '', false, error);
}

/**
 * Node's platform for permessage-deflate (zlib-inflate.ts): node:zlib inflates
 * large messages natively (fflate keeps small ones), the largest on its thread
 * pool (the event loop stays responsive), and compresses every message sent.
 */
const NODE_DEFLATE_PLATFORM = { inflateRaw: zlibInflateRaw, deflateRaw: zlibDeflateRaw, inflateRawAsync: zlibInflateRawAsync };

function extensionFactories(option: WebSocketOptions['perMessageDeflate']): ExtensionFactory[] {
  if (option === false) return [];
  return [perMessageDeflate(option === true || option === undefined ? undefined : option, NODE_DEFLATE_PLATFORM)];
}

const NO_EXTENSIONS: ExtensionFactory[] = [];

/**
 * A connection attempt and, once open, the pump. `state` follows the WHATWG
 * readyState. The core reports to a private CoreSink, which calls back only
 * through ClosingSteps (`peerClosed`, `peerFailed`).
 */
export class Connection implements ReadTarget, ClosingSteps {
  state: number = CONNECTING;
  /** The URL given, then the one the handshake succeeded at (after redirects). */
  url: WsUrl;
  socket: OwnedSocket | undefined = undefined;
  protocol: Protocol | undefined = undefined;
  /** Negotiated subprotocol and Sec-WebSocket-Extensions value. */
  agreedProtocol = '';
  agreedExtensions = '';
  /** Frames on their way to the socket. */
  readonly outbox = new Outbox();
  /** Where the core reports. */
  private readonly sink: CoreSink;
  /**
   * Feed the core the socket's Buffers as they are, so binary messages come
   * out as Buffer views with no extra object (for binaryType 'nodebuffer');
   * otherwise plain Uint8Array views, whose per-frame subarray is cheaper.
   */
  get buffers(): boolean {
    return this._buffers;
  }
  set buffers(value: boolean) {
    this._buffers = value;
    if (this.reader !== undefined) this.reader.buffers = value;
  }
  private _buffers = false;
  /** Reads into buffers we size (direct sockets); undefined for a tunnelled socket, which emits 'data'. */
  private reader: SocketReader | undefined = undefined;
  timer: NodeJS.Timeout | undefined = undefined;
  /** Half-closes if the server has not closed TCP soon after the close frames (see CLOSE_GRACE_MS). */
  graceTimer: NodeJS.Timeout | undefined = undefined;
  private dial: Dial | undefined = undefined;
  private paused = false;
  /** The core waits for a message inflating on zlib's thread pool: the socket is paused until it is done. */
  private decodePending = false;
  private failure: Error | undefined = undefined;
  private abortListener: (() => void) | undefined = undefined;
  // What is read of the options after the dial: the connection keeps these,
  // not the options object (memory per idle connection).
  private readonly maxPayload: number;
  private readonly closeTimeout: number;
  private readonly signal: AbortSignal | undefined;

  constructor(
    url: WsUrl,
    protocols: readonly string[],
    options: WebSocketOptions,
    readonly owner: ConnectionOwner,
  ) {
    this.url = url;
    this.maxPayload = options.maxPayload ?? DEFAULT_MAX_PAYLOAD;
    this.closeTimeout = options.closeTimeout ?? DEFAULT_CLOSE_TIMEOUT;
    this.signal = options.signal;
    this.sink = new CoreSink(this.outbox, owner, this, options.trace);
    const signal = this.signal;
    if (signal?.aborted === true) {
      this.state = CLOSING;
      process.nextTick(notifyDialFailure, this, abortReason(signal));
      return;
    }
    const factories = options.perMessageDeflate === false ? NO_EXTENSIONS : extensionFactories(options.perMessageDeflate);
    // Throws synchronously for caller errors (bad header, bad proxy URL), before any listener is registered.
    this.dial = new Dial(url, protocols, options, factories, (error, result) => {
      this.dial = undefined;
      if (error !== undefined) {
        this.state = CLOSING;
        // Always async: abort() may run inside a caller's close()/terminate().
        process.nextTick(notifyDialFailure, this, error);
      } else {
        this.opened(result!);
      }
    });
    if (signal !== undefined && this.state === CONNECTING) {
      this.abortListener = () => this.aborted();
      signal.addEventListener('abort', this.abortListener, { once: true });
    }
  }

  /** `error` named after the hop the dial is still waiting on (a proxy whose tunnel is not up), else `error`. */
  blameDial(error: Error): Error {
    return this.dial?.blameProxy(error) ?? error;
  }

  /** Bytes handed to send() and not yet given to the kernel (frame headers included). */
  get bufferedAmount(): number {
    return this.outbox.bufferedAmount;
  }

  private opened(dialed: DialResult): void {
    const socket = dialed.socket as OwnedSocket;
    this.socket = socket;
    this.outbox.socket = socket;
    this.url = dialed.url;
    this.agreedProtocol = dialed.protocol;
    this.agreedExtensions = dialed.extensionsHeader;
    // Node's isUtf8 is SIMD-accelerated; the core trusts it only for whole, boundary-aligned payloads.
    // One mask-key pool for every connection, filled from node:crypto (Node 18 has no globalThis.crypto in modules).
    const popts: ProtocolCoreOptions = { maxPayload: this.maxPayload, isUtf8: fastIsUtf8, alloc: allocUnsafe, maskKeys: MASK_KEYS };
    if (dialed.extensions.length > 0) popts.extensions = dialed.extensions;
    this.protocol = new Protocol(this.sink, popts);
    socket[kConn] = this;
    const reader = dialed.reader;
    if (reader !== undefined) {
      this.reader = reader;
      this.sink.reader = reader;
      reader.buffers = this._buffers;
      reader.target = this;
    } else {
      socket.on('data', onSocketData);
    }
    socket.on('end', onSocketEnd);
    socket.on('close', onSocketClose);
    socket.on('error', onSocketError);
    socket.on('drain', onSocketDrain);
    this.state = OPEN;
    if (this.paused) socket.pause();
    this.owner._open(dialed.protocol, dialed.extensionsHeader);
    // The first frames may have shared the TCP read with the 101 (RFC 6455 §4.1: do not drop them).
    if (dialed.head.length > 0 && this.state !== CLOSED) this.readChunk(dialed.head);
    // A socket that closed while the handshake result was in flight.
    if (socket.destroyed && this.state !== CLOSED) this.finish();
  }

  /**
   * ReadTarget: bytes from the socket (a direct socket's reads, the 'data'
   * events of a tunnelled one, the bytes that came with the 101). An
   * exception out of the core (a bug, a trace hook that threw) fails the
   * connection with 1011 (`Protocol.fault`) instead of escaping into the
   * socket's callback, where it would be an uncaught exception.
   */
  readChunk(chunk: Uint8Array): void {
    const sink = this.sink;
    sink.rx = chunk.buffer;
    try {
      this.protocol!.receive(chunk);
    } catch (error) {
      this.protocol!.fault(error);
    } finally {
      sink.rx = undefined;
    }
  }

  /**
   * ReadTarget: nothing of an earlier read is held once the core has parsed
   * it all. Views of it that went out were reported by keep(); extensions
   * (permessage-deflate) copy what they keep (Extension.decode's contract).
   */
  releases(memory: ArrayBufferLike): boolean {
    return !this.protocol!.retains(memory);
  }

  // ---- API used by the WebSocket class and the transport ----

  /** Sends a data message; the caller checked the state (OPEN). */
  send(data: string | Uint8Array, binary: boolean, compress?: boolean): void {
    this.protocol!.send(data, binary, compress);
  }

  /** Sends a ping; resolves with the round trip in ms when the pong with the same payload arrives. */
  sendPing(payload?: Uint8Array): Promise<number> {
    const data = payload ?? nextPingPayload();
    try {
      this.protocol!.ping(data);
    } catch (error) {
      // The core refused (our close is already out, or a payload over 125 bytes: RangeError
      // WS_ERR_CONTROL_PAYLOAD_TOO_LONG, RFC 6455 §5.5): a rejection, as for any ping that gets no pong.
      return Promise.reject(error);
    }
    // Registered after the write: no pong can arrive in between (it is read on a later tick).
    return (this.sink.pings ??= new PingRegistry()).add(data);
  }

  /** Starts the closing handshake (or fails a connection still connecting). */
  startClose(code?: number, reason?: string): void {
    if (this.state === CONNECTING) {
      this.state = CLOSING;
      this.dial?.abort(new LifelineError(ErrorCodes.INVALID_STATE, 'WebSocket was closed before the connection was established'));
      return;
    }
    if (this.state !== OPEN) return;
    this.state = CLOSING;
    this.protocol!.close(code, reason);
    this.armCloseTimer();
  }

  /** Drops the connection now, without a closing handshake (close 1006). */
  terminate(): void {
    if (this.state === CLOSED) return;
    if (this.state === CONNECTING || this.dial !== undefined) {
      this.state = CLOSING;
      this.dial?.abort(new LifelineError(ErrorCodes.INVALID_STATE, 'WebSocket was terminated before the connection was established'));
      return;
    }
    this.state = CLOSING;
    this.socket?.destroy();
    this.reader?.detach();
  }

  pause(): void {
    this.paused = true;
    this.socket?.pause();
  }

  resume(): void {
    this.paused = false;
    if (this.state !== CLOSED && !this.decodePending) this.socket?.resume();
  }

  // ---- ClosingSteps: the core, through the sink ----

  /** The core waits for an asynchronous inflate: stop reading meanwhile (what arrives would only queue up). */
  decoding(pending: boolean): void {
    this.decodePending = pending;
    if (pending) this.socket?.pause();
    else if (!this.paused && this.state !== CLOSED) this.socket?.resume();
  }

  peerClosed(): void {
    if (this.state === OPEN) this.state = CLOSING;
    // Both closes are exchanged: the server closes TCP first (§7.1.1); we half-close only if it is slow.
    this.armCloseTimer();
    this.armGrace();
  }

  peerFailed(error: ProtocolError): void {
    if (this.failure === undefined) this.failure = error;
    if (this.state === OPEN) this.state = CLOSING;
    // TCP ended without a close frame: the connection "is closed" (1006), it was
    // not "failed" (RFC 6455 §7.1.5 vs §7.1.7), so the WHATWG steps fire no
    // `error`, only `close` (as browsers, ws and Node's own WebSocket do).
    // The cause still reaches `_closed` (the client's CloseInfo.error).
    if (error.code === ErrorCodes.UNEXPECTED_EOF) return;
    this.owner._error(error);
    // Our close is sent (§7.1.7); the server answers it and closes TCP (§7.1.1), as after a normal close.
    this.armCloseTimer();
    this.armGrace();
  }

  // ---- socket events ----

  eof(): void {
    this.protocol?.receiveEof();
  }

  socketError(error: Error): void {
    // Reported through _closed (1006); the 'close' event follows.
    if (this.failure === undefined && this.protocol?.peerCloseCode === undefined) this.failure = error;
  }

  drained(): void {
    if (this.outbox.flush()) this.owner._drain();
  }

  /** The socket closed: report the end exactly once. */
  finish(): void {
    if (this.state === CLOSED) return;
    const failure = this.failure;
    const peerCode = this.protocol?.peerCloseCode;
    let code: number;
    let reason = '';
    if (failure instanceof ProtocolError) {
      code = failure.closeCode;
    } else if (peerCode !== undefined) {
      code = peerCode;
      reason = this.protocol!.peerCloseReason;
    } else {
      code = 1006;
    }
    // WHATWG: clean when TCP closed after the closing handshake completed (a
    // received close always has its answer: the core echoes one, §5.5.1).
    const wasClean = peerCode !== undefined && failure === undefined;
    this.end(code, reason, wasClean, failure);
  }

  /** @internal final bookkeeping and the single `_closed` report. */
  end(code: number, reason: string, wasClean: boolean, error: Error | undefined): void {
    if (this.state === CLOSED) return;
    this.state = CLOSED;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.graceTimer !== undefined) clearTimeout(this.graceTimer);
    this.graceTimer = undefined;
    const socket = this.socket;
    if (socket !== undefined) {
      socket[kConn] = undefined;
      if (!socket.destroyed) socket.destroy();
    }
    this.reader?.detach();
    // Node keeps the socket's last read buffer (possibly a slab) with the socket: let both go.
    this.socket = undefined;
    this.outbox.clear();
    this.protocol?.dispose();
    if (this.abortListener !== undefined) {
      this.signal?.removeEventListener('abort', this.abortListener);
      this.abortListener = undefined;
    }
    const pings = this.sink.pings;
    if (pings !== undefined && pings.size > 0) pings.rejectAll(new LifelineError(ErrorCodes.INVALID_STATE, `Connection closed (${code}) before the pong arrived`));
    this.owner._closed(code, reason, wasClean, error);
  }

  private armCloseTimer(): void {
    if (this.timer !== undefined || this.state === CLOSED) return;
    this.timer = setTimeout(onCloseTimeout, timerDelay(this.closeTimeout), this);
  }

  /** Once no more close frame is awaited: half-close if the server has not closed TCP by CLOSE_GRACE_MS. */
  private armGrace(): void {
    if (this.graceTimer !== undefined || this.state === CLOSED) return;
    // Not when the destroy comes as soon (a short closeTimeout).
    if (this.closeTimeout <= CLOSE_GRACE_MS) return;
    this.graceTimer = setTimeout(onCloseGrace, CLOSE_GRACE_MS, this);
  }

  private aborted(): void {
    this.abortListener = undefined;
    const reason = abortReason(this.signal!);
    if (this.dial !== undefined) {
      this.state = CLOSING;
      this.dial.abort(reason);
    } else if (this.state === OPEN || this.state === CLOSING) {
      this.terminate();
    }
  }
}

function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new DOMException('The operation was aborted', 'AbortError');
}
