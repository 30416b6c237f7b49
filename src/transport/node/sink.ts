/**
 * Where the protocol core of a Node connection reports (its `ProtocolSink`):
 * frames to write go to the outbox, messages, pings and pongs to the owner
 * (the WebSocket class or the client transport), and the two turns of the
 * closing handshake (the peer's close arrived; the peer broke the protocol)
 * to the connection, which runs the timers.
 *
 * Owns: deciding whether a received message's memory is stable (see
 * ConnectionOwner._message), round trips of pongs through the ping
 * registry. A private object, so the core's `close`/`error`/`ping` callbacks
 * are not methods of the connection beside its public `startClose`,
 * `socketError` and `sendPing`.
 *
 * Hot path: `message` and `write` run once per message and frame; keep them
 * free of allocation and of polymorphic calls.
 * Must not import the connection module or the WebSocket class.
 */
import type { ProtocolError } from '../../protocol/errors.js';
import type { FrameTrace, ProtocolSink } from '../../protocol/types.js';
import type { Outbox } from './outbox.js';
import type { PingRegistry } from './pings.js';
import type { SocketReader } from './reader.js';

/**
 * Binary messages below this size in a private read slab are handed out as
 * views of it (no copy; the slab is then not reused); larger ones are copied.
 * Measured on a firehose: views win at 1 KiB (about 0.3 us per message), a
 * copy wins at 64 KiB (a fresh 128 KiB slab per read costs malloc page faults).
 */
export const VIEW_MAX = 32 * 1024;

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

/** What the sink tells the connection: the closing handshake moved on. */
export interface ClosingSteps {
  /** The peer's close frame arrived; the core has queued our echo if we had not sent a close (RFC 6455 §5.5.1). */
  peerClosed(): void;
  /** The peer broke the protocol; the core has queued our close frame with `error.closeCode` (§7.1.7). */
  peerFailed(error: ProtocolError): void;
  /**
   * The core waits for a message inflating off the event loop (`true`) or
   * goes on (`false`): stop reading meanwhile (ProtocolSink.decoding).
   */
  decoding?(pending: boolean): void;
}

export class CoreSink implements ProtocolSink {
  /**
   * The memory of the chunk being received (set by the connection only
   * during `receive()`). A message whose bytes live there is a view of the
   * socket read: stable if it came through 'data' (Node never reuses that
   * memory), or once the reader is told it was kept (its slab is then never
   * read into again). Anything else may be the core's reused assembly
   * buffer. (A small copy out of the shared region comes from Node's
   * allocation pool, so another pooled buffer may share its memory: still
   * safe, as pooled memory is never rewritten and the core's own buffers are
   * never pooled.)
   */
  rx: ArrayBufferLike | undefined = undefined;
  /** The socket's reader when it reads into our buffers (direct sockets); undefined for a tunnelled socket. */
  reader: SocketReader | undefined = undefined;
  /** Pings waiting for their pong: made by the connection with its first ping (most connections never send one). */
  pings: PingRegistry | undefined = undefined;

  constructor(
    private readonly outbox: Outbox,
    private readonly owner: ConnectionOwner,
    private readonly closing: ClosingSteps,
    trace: ((frame: FrameTrace) => void) | undefined,
  ) {
    // Only traced connections get the property: the core checks for it once, so unset costs nothing.
    if (trace !== undefined) (this as ProtocolSink).trace = trace;
  }

  write(bytes: Uint8Array): void {
    this.outbox.write(bytes);
  }

  message(data: Uint8Array, binary: boolean, owned: boolean): void {
    // A view of the current read is stable as long as the reader is told it was kept (its
    // slab is then never reused). Large messages are copied instead: a fresh buffer of
    // their size costs less than a fresh slab per read (see reader.ts), and lets slabs cycle.
    const reader = this.reader;
    const stable = owned || (data.buffer === this.rx && (data.length < VIEW_MAX || reader === undefined || !reader.inSlab));
    if (this.owner._message(data, binary, stable) && !owned) reader?.keep();
  }

  ping(payload: Uint8Array): void {
    this.owner._ping(payload);
  }

  pong(payload: Uint8Array): void {
    this.owner._pong(payload, this.pings?.answered(payload));
  }

  close(_code: number, _reason: string): void {
    // The core keeps the code and reason (peerCloseCode/Reason).
    this.closing.peerClosed();
  }

  error(error: ProtocolError): void {
    this.closing.peerFailed(error);
  }

  decoding(pending: boolean): void {
    this.closing.decoding?.(pending);
  }
}
