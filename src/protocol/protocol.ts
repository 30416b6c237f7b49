/**
 * The sans-I/O RFC 6455 core, for either end of a connection (the client by
 * default; `role: 'server'` for a server). Bytes from the peer go in through
 * `receive()`; decoded messages and control events come out through the
 * `ProtocolSink`, and every byte the core wants on the wire goes out through
 * `sink.write()` — including the replies it owes by itself: a pong for each
 * ping (§5.5.2), the echo of a received close (§5.5.1), and the close frame
 * that fails the connection on a violation (§7.1.7).
 *
 * Theory of operation
 * - The path of received bytes: `receive()` → the header rules
 *   (frame-header.ts) → a control frame is handled here, a data frame goes
 *   to the message assembler (assembler.ts), which hands whole messages to
 *   `sink.message`. Each step returns to this loop; nothing calls back up.
 * - Reading is a two-step machine: HEADER (every rule the header allows is
 *   checked before a payload byte is buffered) and PAYLOAD (wait for the
 *   whole payload; a zero-copy view when it sits in one chunk, a copy only
 *   across chunks). While nothing is queued, frames are parsed straight out
 *   of the incoming chunk (the hot path); the byte queue (byte-queue.ts)
 *   holds only frames that straddle reads.
 * - While a frame's payload is incomplete, the part that arrived is already
 *   checked as UTF-8 (text) and unmasked (server role), so invalid text
 *   fails with 1007 at once (§8.1).
 * - Peer violations never throw: the rules return them, `failWith()`
 *   queues the close, reports a `ProtocolError` once, and the machine
 *   switches to DISCARD. API misuse throws at once.
 * - Closing facts are four booleans changed only in `sendClose`,
 *   `handleClose`, `failWith` and `receiveEof`; `state` is derived from them.
 * - Roles (§5.1, §5.3): a client masks what it sends and refuses masked
 *   frames; a server sends unmasked frames and refuses unmasked ones, and
 *   unmasks payload bytes in place as they arrive, before the UTF-8 check
 *   or assembly sees them.
 * - A frame larger than the queue's RETAIN_MAX (client role, no streaming
 *   UTF-8 check) is gathered into its own buffer read by read as it
 *   arrives (byte-queue.ts `gatherAhead`).
 * - An extension may decode a large message off the event loop
 *   (`Extension.decodeOrDefer` returns a promise): the machine then WAITs,
 *   queuing input and parsing nothing, until the promise settles; then the
 *   assembler delivers that message (or the core fails) and reading resumes
 *   with what was queued, EOF included. Order and every close rule are the
 *   same as for a synchronous decode.
 *
 * Owns: the reading machine, control frames, the closing rules, the public
 * API. Must not import transports, platform modules or timers.
 */
import { MessageAssembler } from './assembler.js';
import { ByteQueue, QueueCursor, RETAIN_MAX } from './byte-queue.js';
import { appClosePayload, closePayload, serverClosePayload, isValidWireCloseCode, CLOSE_ABNORMAL, CLOSE_NO_STATUS } from './close.js';
import { ErrorCodes, LifelineError, ProtocolError, type ErrorCode } from './errors.js';
import { frameTrace, OP_BINARY, OP_CLOSE, OP_CONTINUATION, OP_CONTROL, OP_PING, OP_PONG } from './frame.js';
import { FrameHeader } from './frame-header.js';
import { checkControlPayload } from './input.js';
import { MaskKeyPool, maskInPlace, sharedMaskKeyPool } from './mask.js';
import type { Extension, FrameTrace, ProtocolOptions, ProtocolSink, ProtocolState } from './types.js';
import { UTF8_ACCEPT, utf8Step } from './utf8.js';
import { FrameWriter } from './writer.js';

/** Options of `Protocol`: `ProtocolOptions` plus platform shortcuts a transport may inject. */
export interface ProtocolCoreOptions extends ProtocolOptions {
  /**
   * Optional whole-buffer UTF-8 check used as a shortcut (e.g. Node's
   * `buffer.isUtf8`, which is SIMD-accelerated), also for the part of a
   * text frame that has arrived before the rest. It is asked only about
   * spans of at least 256 bytes that start at a code point boundary and end
   * before an unfinished last character, and only trusted when it says
   * "valid"; every other byte goes through the streaming validator, so
   * fail-fast behaviour (the exact first bad byte) is unchanged. It must
   * implement strict UTF-8 (no surrogates, overlongs or code points above
   * U+10FFFF). Default: none (the pure TS DFA does all the work).
   */
  isUtf8?: (bytes: Uint8Array) => boolean;
  /**
   * Allocates the buffer a whole binary message is assembled into when its
   * frame spans several reads; the core fills every byte and hands it to
   * `sink.message` with `owned = true`, so it may skip zero-filling (e.g.
   * Node's `Buffer.allocUnsafe`). Default: `new Uint8Array(size)`.
   */
  alloc?: (size: number) => Uint8Array;
  /**
   * Where mask keys come from, when a transport shares one pool over its own
   * random source between connections (e.g. Node's `crypto.randomFillSync`,
   * since Node 18 has no `globalThis.crypto` in modules). Takes precedence
   * over `random`. Default: a pool over `random`, or the process-wide one over
   * `globalThis.crypto.getRandomValues`.
   */
  maskKeys?: MaskKeyPool;
}

/** Default `maxPayload`: 100 MiB (the default of every lifeline API that takes one). */
export const DEFAULT_MAX_PAYLOAD = 100 * 1024 * 1024;

const S_HEADER = 0;
const S_PAYLOAD = 1;
const S_DISCARD = 2;
/** An extension decodes the last message asynchronously: input is queued, nothing is parsed. */
const S_WAIT = 3;

const EMPTY = new Uint8Array(0);
/**
 * Where a header that straddles chunks is gathered. One per process, not per
 * connection (idle-connection memory): it is filled and parsed synchronously,
 * and nothing reads it after a sink callback.
 */
const SCRATCH = new Uint8Array(14);
const decoder = new TextDecoder();

/** Shared empty default, so a connection without extensions allocates no array. */
const NO_EXTENSIONS: readonly Extension[] = [];

function allocZeroed(size: number): Uint8Array {
  return new Uint8Array(size);
}

function misuse(message: string): LifelineError {
  return new LifelineError(ErrorCodes.INVALID_STATE, message);
}

function checkLimit(name: string, value: number | undefined, dflt: number): number {
  if (value === undefined) return dflt;
  if (typeof value !== 'number' || !(value > 0)) throw new RangeError(`${name} must be a positive number (Infinity for no limit), got ${String(value)}`);
  return value;
}

/**
 * One end of a WebSocket connection after the opening handshake, without
 * I/O. Feed it the peer's bytes with `receive()` (a client starts with
 * `HttpResponse.rest`, a server with the bytes that followed the request),
 * and write whatever it passes to `sink.write()`.
 */
export class Protocol {
  private readonly sink: ProtocolSink;
  /** The server role (§5.1): send unmasked, require and remove the peer's mask. */
  private readonly server: boolean;
  private readonly extensions: readonly Extension[];
  private readonly trace: ((frame: FrameTrace) => void) | undefined;
  /** Where mask keys come from (the client role masks every frame, §5.3). */
  private readonly maskKeys: MaskKeyPool;
  /** Made with the first frame sent (`writing()`). */
  private writer: FrameWriter | undefined = undefined;

  // Receive state is made when first needed, from the settings below: the
  // header rules and the message assembler with the first bytes received
  // (`prepareReceive`, at the top of `receive()`: every method that reads
  // them runs after it, hence their `!`), the byte queue for the first frame
  // that does not arrive in one piece (`queued()`). A connection that only
  // sends, or has not heard from its peer yet, keeps none of it; one whose
  // frames arrive whole never has a queue (memory per idle connection).
  // Plain fields, not getters: the per-frame path reads them several times.
  private readonly alloc: (size: number) => Uint8Array;
  private readonly extensionRsv: number;
  private readonly maxPayload: number;
  private readonly maxFrameSize: number;
  private readonly isUtf8: ((bytes: Uint8Array) => boolean) | undefined;
  private header: FrameHeader | undefined = undefined;
  private assembler: MessageAssembler | undefined = undefined;
  private queue: ByteQueue | undefined = undefined;
  private step = S_HEADER;

  // The cursors too: most frames arrive whole, and only the server role unmasks.
  /** PAYLOAD: where the UTF-8 check ahead of a frame's end resumes in the queue. */
  private textCursor: QueueCursor | undefined = undefined;
  /** PAYLOAD, server role: where unmasking resumes in the queue, and how many bytes of the frame are done. */
  private maskCursor: QueueCursor | undefined = undefined;
  private unmasked = 0;
  /** Server role: the frame's mask key rotated to start mid-key. */
  private readonly rotatedKey: Uint8Array;

  // Closing facts.
  private closeSent = false;
  private closeReceived = false;
  private failed = false;
  private eof = false;
  private _peerCloseCode: number | undefined;
  private _peerCloseReason = '';
  private _error: ProtocolError | undefined;
  /** EOF arrived while waiting for an asynchronous decode (S_WAIT): reported after it, in TCP order. */
  private eofWhileWaiting = false;

  /**
   * @param sink where events and outgoing bytes go. Its callbacks should
   *   not throw (a transport should catch its users' handler errors); if one
   *   does, the error propagates out of `receive()` and the bytes not yet
   *   parsed are kept for the next `receive()`, unless the transport ends
   *   the connection with `fault()`. `trace` is read once here.
   * @param options limits (`maxPayload` default 100 MiB, `maxFrameSize`
   *   default `maxPayload`), mask-key `random` source (default
   *   `globalThis.crypto.getRandomValues`, looked up on first send), agreed
   *   `extensions`, optional `isUtf8` shortcut.
   */
  constructor(sink: ProtocolSink, options: ProtocolCoreOptions = {}) {
    this.sink = sink;
    const role = options.role ?? 'client';
    if (role !== 'client' && role !== 'server') throw new TypeError(`role must be 'client' or 'server', got ${String(role)}`);
    this.server = role === 'server';
    this.rotatedKey = this.server ? new Uint8Array(4) : EMPTY;
    this.maxPayload = checkLimit('maxPayload', options.maxPayload, DEFAULT_MAX_PAYLOAD);
    this.maxFrameSize = checkLimit('maxFrameSize', options.maxFrameSize, this.maxPayload);
    this.isUtf8 = options.isUtf8;
    this.extensions = options.extensions ?? NO_EXTENSIONS;
    let extensionRsv = 0;
    for (const extension of this.extensions) extensionRsv |= extension.rsvMask & 0x70;
    this.extensionRsv = extensionRsv;
    this.trace = sink.trace ? sink.trace.bind(sink) : undefined;
    this.alloc = options.alloc ?? allocZeroed;
    // Injected sources get their own pool (deterministic tests); the default one is shared.
    this.maskKeys = options.maskKeys ?? (options.random ? new MaskKeyPool(options.random) : sharedMaskKeyPool());
  }

  /** Makes the header rules and the message assembler (with the first bytes received); returns the header. */
  private prepareReceive(): FrameHeader {
    const assembler = (this.assembler = new MessageAssembler(this.sink, this.extensions, this.maxPayload, this.isUtf8));
    return (this.header = new FrameHeader(this.server, this.extensionRsv, this.maxPayload, this.maxFrameSize, assembler));
  }

  /** The frame writer, made with the first frame sent. */
  private writing(): FrameWriter {
    return (this.writer ??= new FrameWriter(this.sink, this.server, this.maskKeys, this.extensions, this.trace));
  }

  /** The byte queue, made for the first frame that does not arrive in one piece. */
  private queued(): ByteQueue {
    return (this.queue ??= new ByteQueue(this.alloc));
  }

  /** 'open' until a close is sent; 'closing' while we wait for the peer's close; 'closed' after it, after a failure, or after EOF. */
  get state(): ProtocolState {
    if (this.closeReceived || this.failed || this.eof) return 'closed';
    return this.closeSent ? 'closing' : 'open';
  }

  /**
   * True once the core has sent a close frame (ours, an echo, or a failure
   * close). A client should now expect the server to close TCP (RFC 6455
   * §7.1.1) and arm its own timer to close it otherwise; a server closes TCP
   * once the peer's close has arrived too (or its own timer runs out).
   */
  closeExpected(): boolean {
    return this.closeSent;
  }

  /** The code of the peer's close frame (1005 when it had none); undefined until one arrived. */
  get peerCloseCode(): number | undefined {
    return this._peerCloseCode;
  }

  /** The reason of the peer's close frame ('' when none). */
  get peerCloseReason(): string {
    return this._peerCloseReason;
  }

  /** The violation that failed the connection, if any. */
  get error(): ProtocolError | undefined {
    return this._error;
  }

  /**
   * Whether the core still keeps a view of `memory` (the unparsed rest of
   * an earlier `receive()` chunk). A caller that reads into memory it
   * recycles asks this before writing there again.
   */
  retains(memory: ArrayBufferLike): boolean {
    // An extension still reads the payload it decodes asynchronously.
    return this.queue?.retains(memory) === true || this.assembler?.pendingPayload.buffer === memory;
  }

  // ---------------------------------------------------------------- input

  /**
   * Feeds bytes read from the peer. Never throws on peer input: a
   * violation queues the close frame, calls `sink.error` once, and
   * everything after is discarded. The core keeps views of `chunk` until
   * the frames in it are complete; the caller must not reuse its memory.
   * The server role unmasks payload bytes in place in `chunk` (§5.3).
   */
  receive(chunk: Uint8Array): void {
    if (this.step === S_DISCARD || chunk.length === 0) return;
    const header = this.header ?? this.prepareReceive();
    if (this.step === S_HEADER && (this.queue === undefined || this.queue.length === 0)) {
      // Hot path: parse whole frames straight out of the chunk.
      const length = chunk.length;
      let offset = 0;
      let ok = false;
      try {
        while (length - offset >= 2) {
          const headerLength = this.readHeader(chunk, offset, length - offset);
          if (headerLength < 0) return;
          if (headerLength === 0) break;
          const start = offset + headerLength;
          const end = start + header.length;
          if (end > length) {
            offset = start;
            this.enterPayload();
            break;
          }
          offset = end;
          // §5.3: a client's payload is unmasked in place (the server role owns its read buffers).
          if (this.server && end > start) maskInPlace(chunk, start, end, header.key, 0);
          this.onFrame(chunk.subarray(start, end), false);
          if ((this.step as number) === S_DISCARD) return;
          // An asynchronous decode started: the rest is queued below, untouched until it settles.
          if ((this.step as number) === S_WAIT) break;
        }
        ok = true;
      } finally {
        // A sink callback threw: keep the unread bytes so the next receive() resumes in order.
        if (!ok && (this.step as number) !== S_DISCARD && offset < length) this.queued().push(chunk.subarray(offset));
      }
      if (offset === length) return;
      if (offset > 0) chunk = chunk.subarray(offset);
    }
    this.queued().push(chunk);
    this.drain();
  }

  /**
   * An unexpected exception escaped `receive()` (a bug in the core, or a
   * sink callback or trace hook that threw): fails the connection as a
   * violation does, with close code 1011 (RFC 6455 §7.4.1, "an unexpected
   * condition that prevented it from fulfilling the request") and a
   * `ProtocolError` WS_ERR_INTERNAL whose `cause` is the exception, reported
   * through `sink.error`. A transport calls this rather than let the
   * exception reach its socket callback. No-op once the connection failed or
   * the peer's close arrived.
   */
  fault(cause: unknown): void {
    const what = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
    this.failWith(new ProtocolError(ErrorCodes.INTERNAL, `Internal error while handling received bytes (${what})`, 1011, { cause }));
  }

  /**
   * The peer closed its side of TCP (or the transport lost it). If no
   * close frame had arrived, reports `WS_ERR_UNEXPECTED_EOF` (close code
   * 1006, abnormal closure, §7.1.5) through `sink.error`; nothing is written.
   */
  receiveEof(): void {
    if (this.eof) return;
    // TCP order: the message being decoded (and whatever is queued after it) comes first.
    if (this.step === S_WAIT) {
      this.eofWhileWaiting = true;
      return;
    }
    this.eof = true;
    const wasFailed = this.failed;
    this.discard();
    if (!this.closeReceived && !wasFailed) {
      const err = new ProtocolError(ErrorCodes.UNEXPECTED_EOF, 'The connection closed without a close frame', CLOSE_ABNORMAL);
      this._error = err;
      this.sink.error(err);
    }
  }

  /** Reads queued frames until the queue runs short of the next header or payload. */
  private drain(): void {
    const queue = this.queue!;
    const header = this.header!;
    const assembler = this.assembler!;
    for (;;) {
      if (this.step === S_HEADER) {
        if (queue.length < 2) return;
        const first = queue.first;
        const at = queue.offset;
        const avail = first.length - at;
        let headerLength: number;
        if (avail >= 14 || avail === queue.length) {
          headerLength = this.readHeader(first, at, avail);
        } else {
          // The header straddles chunks: look at up to 14 bytes in scratch.
          const peekLength = Math.min(14, queue.length);
          queue.peek(SCRATCH, peekLength);
          headerLength = this.readHeader(SCRATCH, 0, peekLength);
        }
        if (headerLength <= 0) return;
        queue.skip(headerLength);
        this.enterPayload();
      } else if (this.step === S_PAYLOAD) {
        if (this.server) this.unmaskAhead();
        const len = header.length;
        if (queue.length + queue.gathered < len) {
          if (header.opcode < OP_CONTROL && assembler.checkText) this.checkTextAhead();
          else if (!this.server && len > RETAIN_MAX) queue.gatherAhead(len);
          return;
        }
        // A whole, uncompressed binary message (one final frame) that spans reads is
        // assembled in a fresh buffer the sink may keep: one copy instead of two.
        // (When it sits in one read, take() returns a view into it: not owned.)
        const whole = header.fin && header.opcode === OP_BINARY && assembler.rsv === 0 && len > 0;
        let owned: boolean;
        let data: Uint8Array;
        if (queue.gathered > 0) {
          owned = whole;
          data = queue.gatherRest(len);
        } else {
          owned = whole && !queue.holdsInFirst(len);
          data = queue.take(len, owned);
        }
        this.step = S_HEADER;
        this.onFrame(data, owned);
      } else {
        return;
      }
    }
  }

  /**
   * Reads and checks the header at buf[offset..offset+avail) (frame-header.ts): its
   * length, 0 when more bytes are needed, or -1 after failing the
   * connection. A data frame's header starts or continues the message.
   */
  private readHeader(buf: Uint8Array, offset: number, avail: number): number {
    const header = this.header!;
    const headerLength = header.parse(buf, offset, avail);
    if (headerLength <= 0) {
      if (headerLength < 0) this.failWith(header.violation!);
      return headerLength;
    }
    // The trace hook runs before any state changes: if it throws, receive()
    // keeps these bytes and this header is read again next time.
    if (this.trace !== undefined) this.traceIn();
    if (header.opcode < OP_CONTROL) this.assembler!.startFrame(header.opcode, header.rsv);
    return headerLength;
  }

  private traceIn(): void {
    const header = this.header!;
    const rsv = header.opcode === OP_CONTINUATION ? this.assembler!.rsv : header.rsv;
    this.trace!(frameTrace('in', header.firstByte, this.server, header.length, header.opcode < OP_CONTROL && rsv !== 0));
  }

  private enterPayload(): void {
    this.step = S_PAYLOAD;
    const queue = this.queued();
    queue.mark((this.textCursor ??= new QueueCursor()));
    if (this.server) {
      queue.mark((this.maskCursor ??= new QueueCursor()));
      this.unmasked = 0;
    }
  }

  /** Feeds the part of an incomplete text frame's payload that has arrived to the UTF-8 check (§8.1 fail fast). */
  private checkTextAhead(): void {
    const assembler = this.assembler!;
    const cursor = this.textCursor!; // marked by enterPayload()
    let remaining = this.header!.length - assembler.checked;
    while (remaining > 0) {
      const chunk = this.queue!.nextSpan(cursor, remaining);
      if (chunk === undefined) return;
      const violation = assembler.checkAhead(chunk, cursor.start, cursor.end);
      if (violation !== undefined) {
        this.failWith(violation);
        return;
      }
      remaining -= cursor.end - cursor.start;
    }
  }

  /**
   * Server role: unmasks, in place, the payload bytes of the current frame
   * that have arrived since the last call (§5.3: byte i uses key byte
   * i mod 4), so the UTF-8 check and take() see plain bytes.
   */
  private unmaskAhead(): void {
    const cursor = this.maskCursor!; // marked by enterPayload()
    const key = this.header!.key;
    const rotated = this.rotatedKey;
    let remaining = this.header!.length - this.unmasked;
    while (remaining > 0) {
      const chunk = this.queue!.nextSpan(cursor, remaining);
      if (chunk === undefined) return;
      const phase = this.unmasked & 3;
      for (let i = 0; i < 4; i++) rotated[i] = key[(phase + i) & 3]!;
      maskInPlace(chunk, cursor.start, cursor.end, rotated, 0);
      this.unmasked += cursor.end - cursor.start;
      remaining -= cursor.end - cursor.start;
    }
  }

  /**
   * A complete frame's payload: a control frame is handled here, a data
   * frame goes to the assembler. `owned`: `data` is a fresh buffer holding
   * exactly this whole binary message (passed on to `sink.message`).
   */
  private onFrame(data: Uint8Array, owned: boolean): void {
    const header = this.header!;
    const opcode = header.opcode;
    if (opcode < OP_CONTROL) {
      const assembler = this.assembler!;
      const violation = assembler.frame(data, header.fin, owned);
      if (violation !== undefined) this.failWith(violation);
      else if (assembler.pending !== undefined) this.wait(assembler.pending);
    } else if (opcode === OP_PING) {
      // §5.5.2/§5.5.3: answer with the same payload, unless we already sent a close (§5.5.1).
      if (!this.closeSent) this.writing().frame(0x80 | OP_PONG, data, false);
      this.sink.ping?.(data);
    } else if (opcode === OP_PONG) {
      this.sink.pong?.(data);
    } else {
      this.handleClose(data);
    }
  }

  /**
   * An extension decodes the last message asynchronously: stop parsing
   * (S_WAIT; `receive()` only queues) until it settles, then let the
   * assembler finish the message and resume. A connection failed or
   * disposed meanwhile ignores the result (`discard()` left S_WAIT).
   */
  private wait(promise: Promise<Uint8Array>): void {
    this.step = S_WAIT;
    this.sink.decoding?.(true);
    promise.then(
      (decoded) => this.resume(promise, decoded, undefined),
      (error: unknown) => this.resume(promise, undefined, error),
    );
  }

  private resume(promise: Promise<Uint8Array>, decoded: Uint8Array | undefined, error: unknown): void {
    const assembler = this.assembler!;
    assembler.settled();
    if (this.step !== S_WAIT || assembler.pending !== promise) return;
    this.step = S_HEADER;
    // Not from receive(): an exception from the sink is ours to report, as a transport would (fault(), 1011).
    try {
      this.sink.decoding?.(false);
      const violation = assembler.finishDecode(decoded, error);
      if (violation !== undefined) this.failWith(violation);
      else if (assembler.pending !== undefined) this.wait(assembler.pending);
      if (this.step === S_HEADER && this.queue !== undefined && this.queue.length > 0) this.drain();
      if (this.eofWhileWaiting && this.step !== S_WAIT) {
        this.eofWhileWaiting = false;
        this.receiveEof();
      }
    } catch (caught) {
      this.fault(caught);
    }
  }

  /** §5.5.1, §7.1.5, §7.4: validate, echo, report. */
  private handleClose(data: Uint8Array): void {
    let code = CLOSE_NO_STATUS;
    let reason = '';
    if (data.length === 1) {
      this.fail(ErrorCodes.INVALID_CLOSE_PAYLOAD, 'Close frame with a 1-byte payload', 1002);
      return;
    }
    if (data.length >= 2) {
      code = (data[0]! << 8) | data[1]!;
      if (!isValidWireCloseCode(code)) {
        this.fail(ErrorCodes.INVALID_CLOSE_CODE, `Invalid close code ${code}`, 1002);
        return;
      }
      if (data.length > 2) {
        if (utf8Step(UTF8_ACCEPT, data, 2) !== UTF8_ACCEPT) {
          this.fail(ErrorCodes.INVALID_UTF8, 'Invalid UTF-8 in the close reason', 1007);
          return;
        }
        reason = decoder.decode(data.subarray(2));
      }
    }
    this.closeReceived = true;
    this._peerCloseCode = code;
    this._peerCloseReason = reason;
    this.discard();
    // Echo the status code (customary, §5.5.1); an empty close for an empty one. A server
    // echoes the reason too (as ws does), so a client sees its own reason come back.
    if (!this.closeSent) this.sendClose(code === CLOSE_NO_STATUS ? EMPTY : this.server ? data : closePayload(code));
    this.sink.close(code, reason);
  }

  private fail(code: ErrorCode, message: string, closeCode: number): void {
    this.failWith(new ProtocolError(code, message, closeCode));
  }

  /** §7.1.7 "Fail the WebSocket Connection": send our close (once), stop reading, report. */
  private failWith(err: ProtocolError): void {
    if (this.failed || this.closeReceived) return;
    this.failed = true;
    this._error = err;
    this.discard();
    if (!this.closeSent) this.sendClose(closePayload(err.closeCode));
    this.sink.error(err);
  }

  private discard(): void {
    this.step = S_DISCARD;
    this.queue?.clear();
    this.assembler?.release();
  }

  // --------------------------------------------------------------- output

  /**
   * Sends one data message as a single frame (text when `binary` is false:
   * a string is encoded as UTF-8; bytes are sent as given and must be
   * UTF-8). `compress` is passed to the extensions (undefined = their
   * default). Throws `WS_ERR_INVALID_STATE` once a close was sent.
   */
  send(data: string | Uint8Array, binary: boolean, compress?: boolean): void {
    this.assertCanSend('send');
    this.writing().message(data, binary, compress);
  }

  /** Sends a ping (payload at most 125 bytes, else `RangeError` WS_ERR_CONTROL_PAYLOAD_TOO_LONG). */
  ping(payload: Uint8Array = EMPTY): void {
    this.assertCanSend('ping');
    checkControlPayload('a ping payload', payload);
    this.writing().frame(0x80 | OP_PING, payload, false);
  }

  /** Sends an unsolicited pong (a heartbeat that needs no answer, §5.5.3). */
  pong(payload: Uint8Array = EMPTY): void {
    this.assertCanSend('pong');
    checkControlPayload('a pong payload', payload);
    this.writing().frame(0x80 | OP_PONG, payload, false);
  }

  /**
   * Starts the closing handshake (§7.1.2). A client follows browser rules:
   * `code` 1000 or 3000-4999 (`InvalidAccessError`), `reason` at most 123
   * UTF-8 bytes (`SyntaxError`); a server may send any code valid on the
   * wire (1001, 1011, 1012 ...; `RangeError` otherwise). No code and no
   * reason sends an empty close. Throws `WS_ERR_INVALID_STATE` if a close
   * was already sent (check `closeExpected()`).
   */
  close(code?: number, reason?: string): void {
    this.assertCanSend('close');
    this.sendClose(this.server ? serverClosePayload(code, reason) : appClosePayload(code, reason));
  }

  /** Releases the extensions' resources; call when the connection is gone. */
  dispose(): void {
    this.discard();
    for (const extension of this.extensions) extension.dispose();
  }

  private assertCanSend(what: string): void {
    if (this.closeSent || this.eof) throw misuse(`Cannot ${what}: the connection is ${this.state === 'closing' ? 'closing' : 'closed'}`);
  }

  private sendClose(payload: Uint8Array): void {
    this.closeSent = true;
    this.writing().frame(0x80 | OP_CLOSE, payload, false);
  }
}
