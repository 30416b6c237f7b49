/**
 * One WebSocket connection in Node: dials (dial.ts), then pumps bytes
 * between the socket and the sans-I/O protocol core, and runs the closing
 * handshake with its timers (RFC 6455 §7.1.1: the server closes TCP first;
 * after the close frames we half-close only if it has not done so within
 * CLOSE_GRACE_MS, and destroy after `closeTimeout`).
 *
 * Owns: the socket after the upgrade, write batching (cork until the end of
 * the tick), send backpressure (`socket.write` false → our queue, counted
 * exactly in `bufferedAmount`, flushed on 'drain'), receive backpressure
 * (pause/resume), protocol pings with round-trip times, and the single
 * report of how the connection ended. Events go to a `ConnectionOwner` (the
 * WebSocket class, or the client transport directly) by plain method calls.
 *
 * Hot path: socket 'data' → Protocol.receive → sink.message → owner. The
 * socket listeners are module-level functions that find the connection
 * through a symbol on the socket: no per-connection closures.
 * Must not import the WebSocket class or the client.
 */
import type { Socket } from 'node:net';
import type { ReadTarget, SocketReader } from './reader.js';
import { isUtf8 } from 'node:buffer';
import { Protocol, type ProtocolCoreOptions } from '../../protocol/protocol.js';
import { perMessageDeflate } from '../../protocol/permessage-deflate.js';
import { ErrorCodes, LifelineError, ProtocolError } from '../../protocol/errors.js';
import type { WsUrl } from '../../protocol/url.js';
import type { ExtensionFactory, ProtocolSink } from '../../protocol/types.js';
import { MaskKeyPool } from '../../protocol/mask.js';
import { Dial, nodeRandom, type DialResult } from './dial.js';
import { zlibDeflateRaw, zlibInflateRaw, zlibInflateRawAsync } from './zlib-inflate.js';
import { DEFAULT_CLOSE_TIMEOUT, DEFAULT_MAX_PAYLOAD, timerDelay, type WebSocketOptions } from './options.js';

/** WHATWG readyState values. */
export const CONNECTING = 0;
export const OPEN = 1;
export const CLOSING = 2;
export const CLOSED = 3;

/** Receives what a connection has to say. Called synchronously, in order; `_closed` exactly once, last. */
export interface ConnectionOwner {
  _open(protocol: string, extensions: string): void;
  /**
   * `data` may view a reused buffer: copy it to keep it, unless `stable`
   * (memory nobody writes again: a fresh buffer the core gave away, or the
   * socket read, which is not reused once kept). Returns true when it kept
   * `data` itself, so the read's memory is never reused. Text is valid UTF-8.
   */
  _message(data: Uint8Array, binary: boolean, stable: boolean): boolean;
  _ping(payload: Uint8Array): void;
  _pong(payload: Uint8Array, rttMs: number | undefined): void;
  /** The connection failed (handshake refused, network error while connecting, peer violation). `_closed` follows. */
  _error(error: Error): void;
  _closed(code: number, reason: string, wasClean: boolean, error: Error | undefined): void;
  /** The send buffer emptied after backpressure. */
  _drain(): void;
}

interface PendingPing {
  payload: Uint8Array;
  t0: number;
  resolve: (rtt: number) => void;
  reject: (error: Error) => void;
}

const kConn = Symbol('lifeline.connection');
type OwnedSocket = Socket & { [kConn]?: Connection | undefined };

let pingCounter = 0;
/**
 * Most pings waiting for their pong. A peer that never answers (while data
 * keeps the connection up) must not make them pile up: past this, the
 * oldest is given up (WS_ERR_PING_UNANSWERED).
 */
export const MAX_PENDING_PINGS = 32;
/** First byte of an unfragmented pong frame (FIN, opcode 0xA): how a queued frame is known to be a pong. */
const PONG_B0 = 0x8a;
/**
 * Binary messages below this size in a private read slab are handed out as
 * views of it (no copy; the slab is then not reused); larger ones are copied.
 * Measured on a firehose: views win at 1 KiB (about 0.3 us per message), a
 * copy wins at 64 KiB (a fresh 128 KiB slab per read costs malloc page faults).
 */
const VIEW_MAX = 32 * 1024;

function onSocketData(this: OwnedSocket, chunk: Buffer): void {
  // A plain Uint8Array view: the core slices it per frame, and Buffer#subarray
  // (species constructor, FastBuffer) costs several times TypedArray#subarray.
  const c = this[kConn]!;
  c.readChunk(c.buffers ? chunk : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
}
/** Node's SIMD isUtf8 pays a native call; below this size the core's JS DFA is cheaper. */
const NATIVE_UTF8_MIN = 128;
function fastIsUtf8(bytes: Uint8Array): boolean {
  return bytes.length >= NATIVE_UTF8_MIN && isUtf8(bytes);
}
/**
 * A copy of a received message in uninitialized memory (Buffer.from(view)
 * and ArrayBuffer#slice zero-fill first, then copy). `whole`: its own
 * exact-size ArrayBuffer (for binaryType 'arraybuffer'); else small copies
 * come from Node's pool, as Buffer.from's do.
 */
export function copyMessage(data: Uint8Array, whole = false): Buffer {
  const b = whole ? Buffer.allocUnsafeSlow(data.length) : Buffer.allocUnsafe(data.length);
  b.set(data);
  return b;
}

/**
 * Mask keys for every connection of the process (as ws shares one pool), from
 * node:crypto: the core's default source is `globalThis.crypto`, which Node 18
 * does not define in modules.
 */
const MASK_KEYS = new MaskKeyPool(nodeRandom);

/** The core fills every byte of what it allocates: no zero-fill needed. */
function allocUnsafe(n: number): Uint8Array {
  return Buffer.allocUnsafe(n);
}
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
function uncorkLater(c: Connection): void {
  c.corked = false;
  c.socket?.uncork();
}
function onCloseTimeout(c: Connection): void {
  c.timer = undefined;
  c.socket?.destroy();
}
function onCloseGrace(c: Connection): void {
  c.graceTimer = undefined;
  c.endSocket();
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
function notifyDialFailure(c: Connection, error: Error): void {
  c.owner._error(error);
  c.end(1006, '', false, error);
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
 * readyState. Methods are named apart from the ProtocolSink callbacks
 * (`write`, `message`, `ping`, `pong`, `close`, `error`) that the core calls.
 */
export class Connection implements ProtocolSink, ReadTarget {
  state: number = CONNECTING;
  /** The URL given, then the one the handshake succeeded at (after redirects). */
  url: WsUrl;
  socket: OwnedSocket | undefined = undefined;
  protocol: Protocol | undefined = undefined;
  /** Negotiated subprotocol and Sec-WebSocket-Extensions value. */
  agreedProtocol = '';
  agreedExtensions = '';
  corked = false;
  /**
   * The memory of the chunk being received (set only during `receive()`). A
   * message whose bytes live there is a view of the socket read: stable if
   * it came through 'data' (Node never reuses that memory), or once the
   * reader is told it was kept (its slab is then never read into again).
   * Anything else may be the core's reused assembly buffer. (A small copy
   * out of the shared region comes from Node's allocation pool, so another
   * pooled buffer may share its memory: still safe, as pooled memory is
   * never rewritten and the core's own buffers are never pooled.)
   */
  rx: ArrayBufferLike | undefined = undefined;
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
  /** Frames held back while the socket is over its high-water mark. */
  private queue: Uint8Array[] | undefined = undefined;
  private queued = 0;
  /** Where in `queue` a pong waits, if one does (only the latest ping is answered while backed up). */
  private queuedPong: number | undefined = undefined;
  private paused = false;
  /** The core waits for a message inflating on zlib's thread pool: the socket is paused until it is done. */
  private decodePending = false;
  /** Half-close once `queue` has been handed to the socket (an end() before would drop it). */
  private endAfterFlush = false;
  private failure: Error | undefined = undefined;
  private pings: PendingPing[] | undefined = undefined;
  private abortListener: (() => void) | undefined = undefined;

  constructor(
    url: WsUrl,
    protocols: readonly string[],
    readonly options: WebSocketOptions,
    readonly owner: ConnectionOwner,
  ) {
    this.url = url;
    const signal = options.signal;
    if (signal?.aborted === true) {
      this.state = CLOSING;
      process.nextTick(notifyDialFailure, this, abortReason(signal));
      return;
    }
    // Only traced connections get the property: the core checks for it once, so unset costs nothing.
    if (options.trace !== undefined) (this as ProtocolSink).trace = options.trace;
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

  /** Bytes handed to send() and not yet given to the kernel (frame headers included). */
  get bufferedAmount(): number {
    const s = this.socket;
    return (s === undefined ? 0 : s.writableLength) + this.queued;
  }

  private opened(r: DialResult): void {
    const socket = r.socket as OwnedSocket;
    this.socket = socket;
    this.url = r.url;
    this.agreedProtocol = r.protocol;
    this.agreedExtensions = r.extensionsHeader;
    const o = this.options;
    // Node's isUtf8 is SIMD-accelerated; the core trusts it only for whole, boundary-aligned payloads.
    // One mask-key pool for every connection, filled from node:crypto (Node 18 has no globalThis.crypto in modules).
    const popts: ProtocolCoreOptions = { maxPayload: o.maxPayload ?? DEFAULT_MAX_PAYLOAD, isUtf8: fastIsUtf8, alloc: allocUnsafe, maskKeys: MASK_KEYS };
    if (r.extensions.length > 0) popts.extensions = r.extensions;
    this.protocol = new Protocol(this, popts);
    socket[kConn] = this;
    const reader = r.reader;
    if (reader !== undefined) {
      this.reader = reader;
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
    this.owner._open(r.protocol, r.extensionsHeader);
    // The first frames may have shared the TCP read with the 101 (RFC 6455 §4.1: do not drop them).
    if (r.head.length > 0 && this.state !== CLOSED) this.readChunk(r.head);
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
    this.rx = chunk.buffer;
    try {
      this.protocol!.receive(chunk);
    } catch (error) {
      this.protocol!.fault(error);
    } finally {
      this.rx = undefined;
    }
  }

  // ---- API used by the WebSocket class and the transport ----

  /** Sends a data message; the caller checked the state (OPEN). */
  send(data: string | Uint8Array, binary: boolean, compress?: boolean): void {
    this.protocol!.send(data, binary, compress);
  }

  /** Sends a ping; resolves with the round trip in ms when the pong with the same payload arrives. */
  sendPing(payload?: Uint8Array): Promise<number> {
    let data = payload;
    if (data === undefined) {
      data = new Uint8Array(4);
      new DataView(data.buffer).setUint32(0, ++pingCounter >>> 0);
    }
    if (data.length > 125) throw new RangeError('A ping payload must be at most 125 bytes (RFC 6455 §5.5)');
    return new Promise<number>((resolve, reject) => {
      const pings = (this.pings ??= []);
      if (pings.length >= MAX_PENDING_PINGS) {
        pings.shift()!.reject(new LifelineError(ErrorCodes.PING_UNANSWERED, `More than ${MAX_PENDING_PINGS} pings wait for their pong: the oldest is given up`));
      }
      pings.push({ payload: data.slice(), t0: performance.now(), resolve, reject });
      this.protocol!.ping(data);
    });
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

  // ---- ProtocolSink: called by the core ----

  /** The core waits for an asynchronous inflate: stop reading meanwhile (what arrives would only queue up). */
  decoding(pending: boolean): void {
    this.decodePending = pending;
    if (pending) this.socket?.pause();
    else if (!this.paused && this.state !== CLOSED) this.socket?.resume();
  }

  write(bytes: Uint8Array): void {
    const s = this.socket;
    if (s === undefined || s.destroyed) return;
    const queue = this.queue;
    if (queue !== undefined) {
      if (bytes[0] === PONG_B0) {
        // RFC 6455 §5.5.3: a pong for only the most recent ping is enough. While the peer does
        // not read, a ping flood then keeps one pong waiting here, not one per ping.
        const at = this.queuedPong;
        if (at !== undefined) {
          this.queued += bytes.length - queue[at]!.length;
          queue[at] = bytes;
          return;
        }
        this.queuedPong = queue.length;
      }
      queue.push(bytes);
      this.queued += bytes.length;
      return;
    }
    // Batch every frame written in this tick into one writev (cork until the end of the tick).
    if (!this.corked) {
      this.corked = true;
      s.cork();
      process.nextTick(uncorkLater, this);
    }
    if (!s.write(bytes)) this.queue = [];
  }

  message(data: Uint8Array, binary: boolean, owned: boolean): void {
    // A view of the current read is stable as long as the reader is told it was kept (its
    // slab is then never reused). Large messages are copied instead: a fresh buffer of
    // their size costs less than a fresh slab per read (see reader.ts), and lets slabs cycle.
    const stable = owned || (data.buffer === this.rx && (data.length < VIEW_MAX || this.reader === undefined || !this.reader.inSlab));
    if (this.owner._message(data, binary, stable) && !owned) this.reader?.keep();
  }

  /**
   * ReadTarget: nothing of an earlier read is held once the core has parsed
   * it all. Views of it that went out were reported by keep(); extensions
   * (permessage-deflate) copy what they keep (Extension.decode's contract).
   */
  releases(memory: ArrayBufferLike): boolean {
    return !this.protocol!.retains(memory);
  }

  ping(payload: Uint8Array): void {
    this.owner._ping(payload);
  }

  pong(payload: Uint8Array): void {
    let rtt: number | undefined;
    const pings = this.pings;
    if (pings !== undefined) {
      const at = pings.findIndex((p) => equalBytes(p.payload, payload));
      if (at >= 0) {
        // RFC 6455 §5.5.3: a peer may answer only the latest of several pings; the ones before
        // it were received too (TCP keeps order), so they are answered now as well.
        const now = performance.now();
        const answered = pings.splice(0, at + 1);
        for (const p of answered) p.resolve(now - p.t0);
        rtt = now - answered[at]!.t0;
      }
    }
    this.owner._pong(payload, rtt);
  }

  close(_code: number, _reason: string): void {
    // The core keeps the code and reason (peerCloseCode/Reason) and has queued
    // our echo if we had not sent a close yet (§5.5.1).
    if (this.state === OPEN) this.state = CLOSING;
    // Both closes are exchanged: the server closes TCP first (§7.1.1); we half-close only if it is slow.
    this.armCloseTimer();
    this.armGrace();
  }

  error(error: ProtocolError): void {
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

  /**
   * Half-closes after everything written so far, our close frame included. A
   * frame may still wait in `queue` (send backpressure, e.g. a big echo right
   * before the server's close): ending now would make its later write fail
   * and lose the close frame (RFC 6455 §5.5.1 requires it), so the end waits
   * for `drained()` to hand the queue over.
   */
  endSocket(): void {
    const s = this.socket;
    if (s === undefined || s.destroyed) return;
    if (this.queue !== undefined) this.endAfterFlush = true;
    else s.end();
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
    const q = this.queue;
    const s = this.socket;
    if (q !== undefined && s !== undefined) {
      let i = 0;
      let ok = true;
      s.cork();
      while (ok && i < q.length) {
        const b = q[i++]!;
        this.queued -= b.length;
        ok = s.write(b);
      }
      s.uncork();
      const all = i === q.length;
      if (all) this.queue = ok ? undefined : [];
      else q.splice(0, i);
      const pong = this.queuedPong;
      this.queuedPong = pong === undefined || pong < i ? undefined : pong - i;
      if (all && this.endAfterFlush) {
        // Everything, our close frame included, is with the socket now: half-close after it.
        this.endAfterFlush = false;
        this.queue = undefined;
        s.end();
        return;
      }
      if (!ok || this.queue !== undefined) return;
    }
    this.owner._drain();
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
    const s = this.socket;
    if (s !== undefined) {
      s[kConn] = undefined;
      if (!s.destroyed) s.destroy();
    }
    this.reader?.detach();
    // Node keeps the socket's last read buffer (possibly a slab) with the socket: let both go.
    this.socket = undefined;
    this.queue = undefined;
    this.queued = 0;
    this.queuedPong = undefined;
    this.protocol?.dispose();
    if (this.abortListener !== undefined) {
      this.options.signal?.removeEventListener('abort', this.abortListener);
      this.abortListener = undefined;
    }
    const pings = this.pings;
    if (pings !== undefined) {
      this.pings = undefined;
      const err = new LifelineError(ErrorCodes.INVALID_STATE, `Connection closed (${code}) before the pong arrived`);
      for (const p of pings) p.reject(err);
    }
    this.owner._closed(code, reason, wasClean, error);
  }

  private armCloseTimer(): void {
    if (this.timer !== undefined || this.state === CLOSED) return;
    const ms = this.options.closeTimeout ?? DEFAULT_CLOSE_TIMEOUT;
    this.timer = setTimeout(onCloseTimeout, timerDelay(ms), this);
  }

  /** Once no more close frame is awaited: half-close if the server has not closed TCP by CLOSE_GRACE_MS. */
  private armGrace(): void {
    if (this.graceTimer !== undefined || this.state === CLOSED) return;
    // Not when the destroy comes as soon (a short closeTimeout).
    if ((this.options.closeTimeout ?? DEFAULT_CLOSE_TIMEOUT) <= CLOSE_GRACE_MS) return;
    this.graceTimer = setTimeout(onCloseGrace, CLOSE_GRACE_MS, this);
  }

  private aborted(): void {
    this.abortListener = undefined;
    const reason = abortReason(this.options.signal!);
    if (this.dial !== undefined) {
      this.state = CLOSING;
      this.dial.abort(reason);
    } else if (this.state === OPEN || this.state === CLOSING) {
      this.terminate();
    }
  }
}

function abortReason(signal: AbortSignal): Error {
  const r: unknown = signal.reason;
  return r instanceof Error ? r : new DOMException('The operation was aborted', 'AbortError');
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
