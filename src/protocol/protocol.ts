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
 * - Input is a queue of chunks read by a two-step machine: HEADER (validate
 *   everything the header says before buffering a payload byte: RSV,
 *   opcode, control rules, mask bit, length, limits) and PAYLOAD (wait for
 *   the whole payload; hand out a zero-copy view when it sits in one chunk,
 *   copy only across chunks). When nothing is queued, frames are parsed
 *   straight out of the incoming chunk (the hot path).
 * - Text is validated by a streaming UTF-8 DFA as bytes arrive, even inside
 *   an incomplete frame, so invalid text fails with 1007 at once (§8.1).
 * - Peer violations never throw: `fail()` queues the close, reports a
 *   `ProtocolError` once, and the machine switches to DISCARD. API misuse
 *   throws at once.
 * - Closing facts are three booleans changed only in `sendClose`,
 *   `handleClose`, `fail` and `receiveEof`; `state` is derived from them.
 * - Roles (§5.1, §5.3): a client masks what it sends and refuses masked
 *   frames; a server sends unmasked frames and refuses unmasked ones. The
 *   header step compares the mask bit with the one the role expects (no
 *   branch), and the server role unmasks payload bytes in place as they
 *   arrive (`unmaskAhead`), before the UTF-8 check or assembly sees them.
 * - An extension may decode a large message off the event loop
 *   (`Extension.decodeOrDefer` returns a promise): the machine then WAITs,
 *   queuing input and parsing nothing, until the promise settles; then it
 *   delivers that message (or fails) and resumes with what was queued, EOF
 *   included. Order and every close rule are the same as for a synchronous
 *   decode.
 *
 * Owns: parsing, message assembly, limits, close rules, serialization calls.
 * Must not import transports, platform modules or timers.
 */
import { appClosePayload, closePayload, serverClosePayload, isValidWireCloseCode, CLOSE_ABNORMAL, CLOSE_NO_STATUS } from './close.js';
import { ErrorCodes, LifelineError, ProtocolError, type ErrorCode } from './errors.js';
import { encodeFrame, encodeTextFrame, encodeUnmaskedFrame, encodeUnmaskedTextFrame } from './frame.js';
import { MaskKeyPool, maskInPlace, sharedMaskKeyPool } from './mask.js';
import type { Extension, FrameTrace, ProtocolOptions, ProtocolSink, ProtocolState } from './types.js';
import { UTF8_ACCEPT, UTF8_REJECT, utf8Step } from './utf8.js';

/** Options of `Protocol`: `ProtocolOptions` plus Node-specific shortcuts. */
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
   * Node's `Buffer.allocUnsafe`). Default: `new Uint8Array(n)`.
   */
  alloc?: (n: number) => Uint8Array;
  /**
   * Where mask keys come from, when a transport shares one pool over its own
   * random source between connections (e.g. Node's `crypto.randomFillSync`,
   * since Node 18 has no `globalThis.crypto` in modules). Takes precedence
   * over `random`. Default: a pool over `random`, or the process-wide one over
   * `globalThis.crypto.getRandomValues`.
   */
  maskKeys?: MaskKeyPool;
}

/** Default `maxPayload`: 100 MiB. */
export const DEFAULT_MAX_PAYLOAD = 100 * 1024 * 1024;

/** Below this size the DFA beats a call into a native `isUtf8`. */
const NATIVE_UTF8_MIN = 256;

const S_HEADER = 0;
const S_PAYLOAD = 1;
const S_DISCARD = 2;
/** An extension decodes the last message asynchronously: input is queued, nothing is parsed. */
const S_WAIT = 3;

const OP_CONT = 0x0;
const OP_TEXT = 0x1;
const OP_BINARY = 0x2;
const OP_CLOSE = 0x8;
const OP_PING = 0x9;
const OP_PONG = 0xa;

const EMPTY = new Uint8Array(0);
/**
 * Where a header that straddles chunks is gathered. One per process, not per
 * connection (idle-connection memory): it is filled and parsed synchronously,
 * and parseHeader reads nothing from it after a sink callback.
 */
const SCRATCH = new Uint8Array(14);
/** Reusable assembly buffers larger than this are dropped after use (memory per idle connection). */
const RETAIN_MAX = 1024 * 1024;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Where the last complete UTF-8 character of bytes[..end) ends: `end`,
 * unless the last (at most 4) bytes are the start of an unfinished
 * multi-byte sequence, then the index of its lead byte. Only a hint: bytes
 * that are invalid anyway are left for the checks to reject. The caller
 * guarantees end >= 4 bytes past its start.
 */
function lastBoundary(bytes: Uint8Array, end: number): number {
  let k = end - 1;
  const stop = end - 4;
  // Back up over continuation bytes (10xxxxxx) to the lead of the last sequence.
  while (k > stop && (bytes[k]! & 0xc0) === 0x80) k--;
  const b = bytes[k]!;
  if (b < 0xc0) return end;
  const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
  return end - k < need ? k : end;
}

/** Shared empty defaults, so a connection without extensions or queued input allocates no array. */
const NO_EXTENSIONS: readonly Extension[] = [];
const NO_QUEUE: Uint8Array[] = [];

function allocZeroed(n: number): Uint8Array {
  return new Uint8Array(n);
}

function misuse(message: string): LifelineError {
  return new LifelineError(ErrorCodes.INVALID_STATE, message);
}

function checkLimit(name: string, v: number | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !(v > 0)) throw new RangeError(`${name} must be a positive number (Infinity for no limit), got ${String(v)}`);
  return v;
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
  /** The mask bit every frame from the peer must carry: 0x80 from a client, 0 from a server. */
  private readonly peerMaskBit: number;
  /** Server role: the current frame's mask key, and a rotated copy for unmasking from mid-key. */
  private readonly key: Uint8Array;
  private readonly rotatedKey: Uint8Array;
  private readonly maxPayload: number;
  private readonly maxFrameSize: number;
  private readonly extensions: readonly Extension[];
  /** Union of the RSV bits owned by agreed extensions. */
  private readonly extRsv: number;
  private readonly pool: MaskKeyPool;
  private readonly trace: ((frame: FrameTrace) => void) | undefined;
  private readonly isUtf8: ((bytes: Uint8Array) => boolean) | undefined;
  private readonly alloc: (n: number) => Uint8Array;

  // Input queue: q[0] is read from qpos; `buffered` counts unread bytes.
  // Starts as the shared empty NO_QUEUE (never pushed to): no array until a frame straddles reads.
  private q: Uint8Array[] = NO_QUEUE;
  private qpos = 0;
  private buffered = 0;
  private step = S_HEADER;

  // The frame being read (valid in S_PAYLOAD).
  private fin = false;
  private opcode = 0;
  private len = 0;
  /** This frame's payload goes through the streaming UTF-8 validator. */
  private checkText = false;
  /** Payload bytes of this frame already validated, and where in `q` to resume. */
  private validated = 0;
  private vIdx = 0;
  private vOff = 0;
  /** Server role: payload bytes of this frame already unmasked in place, and where in `q` to resume. */
  private unmasked = 0;
  private uIdx = 0;
  private uOff = 0;

  // The data message being assembled (msgOpcode 0: none).
  private msgOpcode = 0;
  private msgRsv = 0;
  private msgLen = 0;
  /** Fragments are appended here (amortized doubling: O(1) per fragment, one copy per byte). */
  private msgBuf: Uint8Array = EMPTY;
  private utf8 = UTF8_ACCEPT;
  /** Reused for frames that straddle reads (allocating 64 KiB per frame costs more than copying it). */
  private frameBuf: Uint8Array = EMPTY;
  /**
   * A frame larger than RETAIN_MAX (client role, no streaming UTF-8 check) is
   * gathered here read by read as it arrives (`gatherAhead`): the copy and
   * the page faults of fresh memory are spread over the reads instead of
   * one long task when the frame completes (about 40 ms for 5 MiB on a
   * loaded VM), and each read's memory is released at once.
   */
  private gatherBuf: Uint8Array = EMPTY;
  private gathered = 0;

  // Closing facts.
  private closeSent = false;
  private closeReceived = false;
  private failed = false;
  private eof = false;
  private _peerCloseCode: number | undefined;
  private _peerCloseReason = '';
  private _error: ProtocolError | undefined;
  /** The asynchronous decode being waited for (S_WAIT), its payload (read until it settles), and whether EOF arrived meanwhile. */
  private pending: Promise<Uint8Array> | undefined = undefined;
  private pendingPayload: Uint8Array = EMPTY;
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
    this.peerMaskBit = this.server ? 0x80 : 0;
    this.key = this.server ? new Uint8Array(4) : EMPTY;
    this.rotatedKey = this.server ? new Uint8Array(4) : EMPTY;
    this.maxPayload = checkLimit('maxPayload', options.maxPayload, DEFAULT_MAX_PAYLOAD);
    this.maxFrameSize = checkLimit('maxFrameSize', options.maxFrameSize, this.maxPayload);
    this.extensions = options.extensions ?? NO_EXTENSIONS;
    let rsv = 0;
    for (const e of this.extensions) rsv |= e.rsvMask & 0x70;
    this.extRsv = rsv;
    // Injected sources get their own pool (deterministic tests); the default one is shared.
    this.pool = options.maskKeys ?? (options.random ? new MaskKeyPool(options.random) : sharedMaskKeyPool());
    this.trace = sink.trace ? sink.trace.bind(sink) : undefined;
    this.isUtf8 = options.isUtf8;
    this.alloc = options.alloc ?? allocZeroed;
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
    // Linear, but the queue holds one entry per read a frame spans: a few at most.
    const q = this.q;
    for (let i = 0; i < q.length; i++) if (q[i]!.buffer === memory) return true;
    // An extension still reads the payload it decodes asynchronously.
    return this.pendingPayload.buffer === memory;
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
    if (this.buffered === 0 && this.step === S_HEADER) {
      // Hot path: parse whole frames straight out of the chunk.
      const n = chunk.length;
      let p = 0;
      let ok = false;
      try {
        while (n - p >= 2) {
          const h = this.parseHeader(chunk, p, n - p);
          if (h < 0) return;
          if (h === 0) break;
          const start = p + h;
          const end = start + this.len;
          if (end > n) {
            p = start;
            this.enterPayload();
            break;
          }
          p = end;
          // §5.3: a client's payload is unmasked in place (the server role owns its read buffers).
          if (this.server && end > start) maskInPlace(chunk, start, end, this.key, 0);
          this.onFrame(chunk.subarray(start, end));
          if ((this.step as number) === S_DISCARD) return;
          // An asynchronous decode started: the rest is queued below, untouched until it settles.
          if ((this.step as number) === S_WAIT) break;
        }
        ok = true;
      } finally {
        // A sink callback threw: keep the unread bytes so the next receive() resumes in order.
        if (!ok && (this.step as number) !== S_DISCARD && p < n) {
          this.enqueue(chunk.subarray(p));
          this.buffered += n - p;
        }
      }
      if (p === n) return;
      if (p > 0) chunk = chunk.subarray(p);
    }
    this.enqueue(chunk);
    this.buffered += chunk.length;
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

  private drain(): void {
    for (;;) {
      if (this.step === S_HEADER) {
        if (this.buffered < 2) return;
        const head = this.q[0]!;
        const avail = head.length - this.qpos;
        let h: number;
        if (avail >= 14 || avail === this.buffered) {
          h = this.parseHeader(head, this.qpos, avail);
        } else {
          // The header straddles chunks: look at up to 14 bytes in scratch.
          const n = Math.min(14, this.buffered);
          this.peek(SCRATCH, n);
          h = this.parseHeader(SCRATCH, 0, n);
        }
        if (h <= 0) return;
        this.skip(h);
        this.enterPayload();
      } else if (this.step === S_PAYLOAD) {
        if (this.server) this.unmaskAhead();
        if (this.buffered + this.gathered < this.len) {
          if (this.checkText) this.validateAhead();
          else if (!this.server && this.len > RETAIN_MAX) this.gatherAhead();
          return;
        }
        // A whole, uncompressed binary message (one final frame) that spans reads is
        // assembled in a fresh buffer the sink may keep: one copy instead of two.
        // (When it sits in one read, take() returns a view into it: not owned.)
        const whole = this.fin && this.opcode === OP_BINARY && this.msgRsv === 0 && this.len > 0;
        let owned: boolean;
        let data: Uint8Array;
        if (this.gathered > 0) {
          owned = whole;
          data = this.gatherRest();
        } else {
          owned = whole && this.q[0]!.length - this.qpos < this.len;
          data = this.take(this.len, owned);
        }
        this.step = S_HEADER;
        this.onFrame(data, owned);
      } else {
        return;
      }
    }
  }

  /** Moves every queued byte (all of them this large frame's) into its buffer, a fresh `alloc(len)`, filled in full by `gatherRest`. */
  private gatherAhead(): void {
    if (this.gatherBuf === EMPTY) this.gatherBuf = this.alloc(this.len);
    const q = this.q;
    while (q.length > 0) {
      const chunk = q.shift()!;
      const part = this.qpos === 0 ? chunk : chunk.subarray(this.qpos);
      this.gatherBuf.set(part, this.gathered);
      this.gathered += part.length;
      this.qpos = 0;
    }
    this.buffered = 0;
  }

  /** The rest of a gathered frame (now all queued): the whole frame, in the fresh buffer. */
  private gatherRest(): Uint8Array {
    const out = this.gatherBuf;
    const q = this.q;
    let need = this.len - this.gathered;
    while (need > 0) {
      const chunk = q[0]!;
      const n = Math.min(chunk.length - this.qpos, need);
      out.set(chunk.subarray(this.qpos, this.qpos + n), this.gathered);
      this.gathered += n;
      this.buffered -= n;
      need -= n;
      if (this.qpos + n === chunk.length) {
        q.shift();
        this.qpos = 0;
      } else {
        this.qpos += n;
      }
    }
    this.gatherBuf = EMPTY;
    this.gathered = 0;
    return out;
  }

  private enterPayload(): void {
    this.step = S_PAYLOAD;
    this.vIdx = 0;
    this.vOff = this.q.length > 0 ? this.qpos : 0;
    this.unmasked = 0;
    this.uIdx = 0;
    this.uOff = this.vOff;
  }

  /**
   * Server role: unmasks, in place, the payload bytes of the current frame
   * that have arrived since the last call (§5.3: byte i uses key byte
   * i mod 4), so validateAhead and take() see plain bytes.
   */
  private unmaskAhead(): void {
    let remaining = this.len - this.unmasked;
    const q = this.q;
    while (remaining > 0 && this.uIdx < q.length) {
      const c = q[this.uIdx]!;
      const end = Math.min(c.length, this.uOff + remaining);
      if (end > this.uOff) {
        const phase = this.unmasked & 3;
        const key = this.rotatedKey;
        for (let i = 0; i < 4; i++) key[i] = this.key[(phase + i) & 3]!;
        maskInPlace(c, this.uOff, end, key, 0);
        this.unmasked += end - this.uOff;
        remaining -= end - this.uOff;
      }
      if (end === c.length) {
        this.uIdx++;
        this.uOff = 0;
      } else {
        this.uOff = end;
      }
    }
  }

  /**
   * Validates the header at buf[p..p+avail) (RFC 6455 §5.2). Returns its
   * length with the frame fields set, 0 when more bytes are needed (no
   * state changed), or -1 after failing the connection.
   */
  private parseHeader(buf: Uint8Array, p: number, avail: number): number {
    const b0 = buf[p]!;
    const b1 = buf[p + 1]!;
    const fin = (b0 & 0x80) !== 0;
    const rsv = b0 & 0x70;
    const opcode = b0 & 0x0f;
    let len = b1 & 0x7f;
    let h = 2;
    if (opcode >= 0x8) {
      // §5.5: control frames.
      if (opcode > OP_PONG) return this.fail(ErrorCodes.INVALID_OPCODE, `Reserved opcode 0x${opcode.toString(16)}`, 1002);
      if (rsv !== 0) return this.fail(ErrorCodes.RSV_NOT_NEGOTIATED, 'RSV bits set on a control frame', 1002);
      if (!fin) return this.fail(ErrorCodes.CONTROL_FRAGMENTED, 'Fragmented control frame', 1002);
      if (len > 125) return this.fail(ErrorCodes.CONTROL_TOO_LONG, 'Control frame payload longer than 125 bytes', 1002);
    } else {
      if (opcode === OP_CONT) {
        // §5.4: a continuation needs a message in progress; RSV only on its first frame (RFC 7692 §6.1).
        if (this.msgOpcode === 0) return this.fail(ErrorCodes.UNEXPECTED_CONTINUATION, 'Continuation frame without a message in progress', 1002);
        if (rsv !== 0) return this.fail(ErrorCodes.RSV_NOT_NEGOTIATED, 'RSV bits set on a continuation frame', 1002);
      } else if (opcode <= OP_BINARY) {
        if (this.msgOpcode !== 0) return this.fail(ErrorCodes.EXPECTED_CONTINUATION, 'New data frame while a fragmented message is in progress', 1002);
        // §5.2: RSV bits only as agreed with an extension.
        if ((rsv & ~this.extRsv) !== 0) return this.fail(ErrorCodes.RSV_NOT_NEGOTIATED, `RSV bits 0x${rsv.toString(16)} not negotiated`, 1002);
      } else {
        return this.fail(ErrorCodes.INVALID_OPCODE, `Reserved opcode 0x${opcode.toString(16)}`, 1002);
      }
      if (len === 126) {
        if (avail < 4) return 0;
        len = (buf[p + 2]! << 8) | buf[p + 3]!;
        h = 4;
      } else if (len === 127) {
        if (avail < 10) return 0;
        const hi = ((buf[p + 2]! << 24) | (buf[p + 3]! << 16) | (buf[p + 4]! << 8) | buf[p + 5]!) >>> 0;
        // §5.2: "the most significant bit MUST be 0".
        if (hi >= 0x80000000) return this.fail(ErrorCodes.INVALID_LENGTH, '64-bit payload length with the most significant bit set', 1002);
        const lo = ((buf[p + 6]! << 24) | (buf[p + 7]! << 16) | (buf[p + 8]! << 8) | buf[p + 9]!) >>> 0;
        len = hi * 0x100000000 + lo;
        h = 10;
      }
      // Limits before a payload byte is buffered: 1009 (§7.4.1).
      if (opcode === OP_CONT ? this.msgLen + len > this.maxPayload : len > this.maxPayload) {
        return this.fail(ErrorCodes.MESSAGE_TOO_BIG, `Message exceeds maxPayload ${this.maxPayload}`, 1009);
      }
      if (len > this.maxFrameSize) return this.fail(ErrorCodes.FRAME_TOO_BIG, `Frame of ${len} bytes exceeds maxFrameSize ${this.maxFrameSize}`, 1009);
    }
    // §5.1: a server must not mask; a client must mask every frame.
    if ((b1 & 0x80) !== this.peerMaskBit) {
      if (this.server) return this.fail(ErrorCodes.UNMASKED_FRAME, 'The client sent an unmasked frame', 1002);
      return this.fail(ErrorCodes.MASKED_FRAME, 'The server sent a masked frame', 1002);
    }
    if (this.server) {
      // The 4-byte masking key follows the length (§5.2). Kept before the
      // trace hook runs: if it throws, this header is parsed again anyway.
      if (avail < h + 4) return 0;
      this.key[0] = buf[p + h]!;
      this.key[1] = buf[p + h + 1]!;
      this.key[2] = buf[p + h + 2]!;
      this.key[3] = buf[p + h + 3]!;
      h += 4;
    }
    // The trace hook runs before any state changes: if it throws, receive()
    // keeps these bytes and parses this header again next time.
    if (this.trace !== undefined) {
      this.trace({
        direction: 'in',
        opcode,
        fin,
        rsv1: (rsv & 0x40) !== 0,
        rsv2: (rsv & 0x20) !== 0,
        rsv3: (rsv & 0x10) !== 0,
        masked: this.server,
        length: len,
        compressed: opcode < 0x8 && (opcode === OP_CONT ? this.msgRsv : rsv) !== 0,
      });
    }
    this.fin = fin;
    this.opcode = opcode;
    this.len = len;
    this.validated = 0;
    if (opcode === OP_TEXT || opcode === OP_BINARY) {
      this.msgOpcode = opcode;
      this.msgRsv = rsv;
      this.msgLen = 0;
      this.utf8 = UTF8_ACCEPT;
    }
    this.checkText = opcode < 0x8 && this.msgOpcode === OP_TEXT && this.msgRsv === 0;
    return h;
  }

  /** Streams the part of an incomplete text frame's payload that has arrived through the validator (§8.1 fail fast). */
  private validateAhead(): void {
    let remaining = this.len - this.validated;
    const q = this.q;
    while (remaining > 0 && this.vIdx < q.length) {
      const c = q[this.vIdx]!;
      const end = Math.min(c.length, this.vOff + remaining);
      if (end > this.vOff) {
        this.checkUtf8(c, this.vOff, end);
        if (this.utf8 === UTF8_REJECT) {
          this.fail(ErrorCodes.INVALID_UTF8, 'Invalid UTF-8 in a text message', 1007);
          return;
        }
        this.validated += end - this.vOff;
        remaining -= end - this.vOff;
      }
      if (end === c.length) {
        this.vIdx++;
        this.vOff = 0;
      } else {
        this.vOff = end;
      }
    }
  }

  /**
   * Feeds bytes[start..end) of a text message to the UTF-8 check (§8.1),
   * updating `this.utf8`. At a code point boundary, with an `isUtf8`
   * shortcut injected and enough bytes, the span up to its last complete
   * character goes to the shortcut and only the tail (at most 3 bytes of an
   * unfinished character) to the streaming DFA. When the shortcut says
   * invalid, the DFA re-reads the whole span, so the failure is still found
   * at the exact first bad byte (fail fast, Autobahn 6.4.x).
   */
  private checkUtf8(bytes: Uint8Array, start: number, end: number): void {
    let from = start;
    if (this.isUtf8 !== undefined && end - start >= NATIVE_UTF8_MIN) {
      let st = this.utf8;
      // A character left unfinished by the previous read: finish it with the DFA (at most 3 bytes).
      while (st > UTF8_REJECT && from - start < 3) st = utf8Step(st, bytes, from, ++from);
      this.utf8 = st;
      if (st !== UTF8_ACCEPT) return;
      const cut = lastBoundary(bytes, end);
      if (cut - from >= NATIVE_UTF8_MIN && this.isUtf8(from === 0 && cut === bytes.length ? bytes : bytes.subarray(from, cut))) from = cut;
    }
    if (from < end) this.utf8 = utf8Step(this.utf8, bytes, from, end);
  }

  /**
   * A complete frame's payload. `owned`: `data` is a fresh buffer holding
   * exactly this whole binary message (passed on to `sink.message`).
   */
  private onFrame(data: Uint8Array, owned = false): void {
    const op = this.opcode;
    if (op >= 0x8) {
      if (op === OP_PING) {
        // §5.5.2/§5.5.3: answer with the same payload, unless we already sent a close (§5.5.1).
        if (!this.closeSent) this.writeFrame(0x80 | OP_PONG, data, false);
        this.sink.ping?.(data);
      } else if (op === OP_PONG) {
        this.sink.pong?.(data);
      } else {
        this.handleClose(data);
      }
      return;
    }
    if (this.checkText) {
      const from = this.validated;
      if (from < data.length) {
        this.checkUtf8(data, from, data.length);
        if (this.utf8 === UTF8_REJECT) {
          this.fail(ErrorCodes.INVALID_UTF8, 'Invalid UTF-8 in a text message', 1007);
          return;
        }
      }
      if (this.fin && this.utf8 !== UTF8_ACCEPT) {
        this.fail(ErrorCodes.INVALID_UTF8, 'Text message ends inside a UTF-8 sequence', 1007);
        return;
      }
    }
    if (!this.fin) {
      this.append(data);
      return;
    }
    let msg = data;
    if (this.msgLen > 0) {
      this.append(data);
      msg = this.msgBuf.subarray(0, this.msgLen);
      if (this.msgBuf.length > RETAIN_MAX) this.msgBuf = EMPTY;
    }
    const binary = this.msgOpcode === OP_BINARY;
    const rsv = this.msgRsv;
    this.msgOpcode = 0;
    this.msgRsv = 0;
    this.msgLen = 0;
    if (rsv !== 0) {
      const decoded = this.decode(msg, rsv, this.extensions.length - 1, binary);
      if (decoded === undefined || !this.checkDecoded(decoded, binary)) return;
      msg = decoded;
    }
    this.sink.message(msg, binary, owned);
  }

  /** A decoded message's last checks: the size limit (§7.4.1: 1009) and, for text, UTF-8 (§8.1: 1007). */
  private checkDecoded(msg: Uint8Array, binary: boolean): boolean {
    if (msg.length > this.maxPayload) {
      this.fail(ErrorCodes.MESSAGE_TOO_BIG, `Message exceeds maxPayload ${this.maxPayload}`, 1009);
      return false;
    }
    if (binary) return true;
    // A whole message: the native check's "invalid" is final here (no fail-fast position to find).
    const valid = this.isUtf8 !== undefined && msg.length >= NATIVE_UTF8_MIN ? this.isUtf8(msg) : utf8Step(UTF8_ACCEPT, msg) === UTF8_ACCEPT;
    if (!valid) this.fail(ErrorCodes.INVALID_UTF8, 'Invalid UTF-8 in a text message', 1007);
    return valid;
  }

  /** Appends a fragment to the message buffer, growing it by doubling (bounded by maxPayload). */
  private append(data: Uint8Array): void {
    const need = this.msgLen + data.length;
    if (need > this.msgBuf.length) {
      const size = Math.min(Math.max(need, this.msgBuf.length * 2, 1024), Math.max(need, this.maxPayload));
      const next = new Uint8Array(size);
      next.set(this.msgBuf.subarray(0, this.msgLen));
      this.msgBuf = next;
    }
    this.msgBuf.set(data, this.msgLen);
    this.msgLen = need;
  }

  /**
   * Runs the message through the extensions whose RSV bits it carries, from
   * extensions[from] down, last agreed first (RFC 6455 §9: encoding applies
   * in response order). A `ProtocolError` from an extension fails with its
   * close code; any other throw is taken as undecodable data:
   * WS_ERR_INFLATE_FAILED, 1007. `undefined`: failed, or waiting for an
   * asynchronous decode (see `wait`).
   */
  private decode(msg: Uint8Array, rsv: number, from: number, binary: boolean): Uint8Array | undefined {
    try {
      for (let i = from; i >= 0; i--) {
        const e = this.extensions[i]!;
        if ((e.rsvMask & rsv) === 0) continue;
        if (e.decodeOrDefer === undefined) {
          msg = e.decode(msg, this.maxPayload);
          continue;
        }
        const out = e.decodeOrDefer(msg, this.maxPayload);
        if (out instanceof Uint8Array) msg = out;
        else {
          this.wait(out, msg, rsv, i - 1, binary);
          return undefined;
        }
      }
    } catch (err) {
      this.decodeFailed(err);
      return undefined;
    }
    return msg;
  }

  private decodeFailed(err: unknown): void {
    if (err instanceof ProtocolError) this.failWith(err);
    else this.fail(ErrorCodes.INFLATE_FAILED, `Extension could not decode the message: ${String((err as Error)?.message ?? err)}`, 1007);
  }

  /**
   * An extension decodes the current message asynchronously: stop parsing
   * (S_WAIT; `receive()` only queues) until it settles, then finish the
   * message as `onFrame` would, with the remaining extensions (below `next`)
   * first, and resume. A connection failed or disposed meanwhile ignores the
   * result (`discard()` left S_WAIT).
   */
  private wait(promise: Promise<Uint8Array>, payload: Uint8Array, rsv: number, next: number, binary: boolean): void {
    this.step = S_WAIT;
    this.pending = promise;
    this.pendingPayload = payload;
    this.sink.decoding?.(true);
    promise.then(
      (decoded) => this.resume(promise, decoded, undefined, rsv, next, binary),
      (err: unknown) => this.resume(promise, undefined, err, rsv, next, binary),
    );
  }

  private resume(promise: Promise<Uint8Array>, decoded: Uint8Array | undefined, err: unknown, rsv: number, next: number, binary: boolean): void {
    this.pendingPayload = EMPTY;
    if (this.step !== S_WAIT || this.pending !== promise) return;
    this.pending = undefined;
    this.step = S_HEADER;
    // Not from receive(): an exception from the sink is ours to report, as a transport would (fault(), 1011).
    try {
      this.sink.decoding?.(false);
      if (decoded === undefined) this.decodeFailed(err);
      else {
        const msg = next >= 0 ? this.decode(decoded, rsv, next, binary) : decoded;
        // Promised bytes are fresh (Extension.decodeOrDefer): the sink may keep them, unless an extension after it made a view.
        if (msg !== undefined && this.checkDecoded(msg, binary)) this.sink.message(msg, binary, msg === decoded);
      }
      if (this.step === S_HEADER && this.buffered > 0) this.drain();
      if (this.eofWhileWaiting && this.step !== S_WAIT) {
        this.eofWhileWaiting = false;
        this.receiveEof();
      }
    } catch (error) {
      this.fault(error);
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

  private fail(code: ErrorCode, message: string, closeCode: number): -1 {
    return this.failWith(new ProtocolError(code, message, closeCode));
  }

  /** §7.1.7 "Fail the WebSocket Connection": send our close (once), stop reading, report. */
  private failWith(err: ProtocolError): -1 {
    if (this.failed || this.closeReceived) return -1;
    this.failed = true;
    this._error = err;
    this.discard();
    if (!this.closeSent) this.sendClose(closePayload(err.closeCode));
    this.sink.error(err);
    return -1;
  }

  private discard(): void {
    this.step = S_DISCARD;
    this.q = NO_QUEUE;
    this.qpos = 0;
    this.buffered = 0;
    this.msgBuf = EMPTY;
    this.frameBuf = EMPTY;
    this.gatherBuf = EMPTY;
    this.gathered = 0;
  }

  // ---------------------------------------------------------------- queue

  private enqueue(chunk: Uint8Array): void {
    if (this.q === NO_QUEUE) this.q = [chunk];
    else this.q.push(chunk);
  }

  /**
   * Consumes the next `n` buffered bytes: a view when they sit in one read,
   * else a copy into the reused frame buffer (valid until the next take), or
   * into a fresh `alloc(n)` buffer when `fresh`.
   */
  private take(n: number, fresh = false): Uint8Array {
    if (n === 0) return EMPTY;
    const q = this.q;
    const head = q[0]!;
    const start = this.qpos;
    this.buffered -= n;
    if (head.length - start >= n) {
      this.qpos = start + n;
      if (this.qpos === head.length) {
        q.shift();
        this.qpos = 0;
      }
      return head.subarray(start, start + n);
    }
    let out: Uint8Array;
    if (fresh) {
      out = this.alloc(n);
    } else {
      // Straddles reads: copy into the reused frame buffer (valid until the next take).
      if (this.frameBuf.length < n) this.frameBuf = new Uint8Array(n);
      out = n === this.frameBuf.length ? this.frameBuf : this.frameBuf.subarray(0, n);
      if (n > RETAIN_MAX) this.frameBuf = EMPTY;
    }
    let o = 0;
    let i = 0;
    let pos = start;
    while (o < n) {
      const c = q[i]!;
      const t = Math.min(c.length - pos, n - o);
      out.set(c.subarray(pos, pos + t), o);
      o += t;
      pos += t;
      if (pos === c.length) {
        i++;
        pos = 0;
      }
    }
    q.splice(0, i);
    this.qpos = pos;
    return out;
  }

  private skip(n: number): void {
    const q = this.q;
    this.buffered -= n;
    let pos = this.qpos + n;
    let i = 0;
    while (i < q.length && pos >= q[i]!.length) {
      pos -= q[i]!.length;
      i++;
    }
    if (i > 0) q.splice(0, i);
    this.qpos = pos;
  }

  private peek(out: Uint8Array, n: number): void {
    let o = 0;
    let pos = this.qpos;
    for (let i = 0; o < n; i++) {
      const c = this.q[i]!;
      while (pos < c.length && o < n) out[o++] = c[pos++]!;
      pos = 0;
    }
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
    const op = binary ? OP_BINARY : OP_TEXT;
    if (this.extensions.length === 0) {
      let frame: Uint8Array;
      if (this.server) frame = typeof data === 'string' ? encodeUnmaskedTextFrame(0x80 | op, data) : encodeUnmaskedFrame(0x80 | op, data);
      else frame = typeof data === 'string' ? encodeTextFrame(0x80 | op, data, this.pool) : encodeFrame(0x80 | op, data, this.pool);
      if (this.trace !== undefined) this.traceOut(0x80 | op, frame, false);
      this.sink.write(frame);
      return;
    }
    let bytes = typeof data === 'string' ? encoder.encode(data) : data;
    let rsv = 0;
    for (const e of this.extensions) {
      const r = e.encode(bytes, compress);
      if (r !== null) {
        bytes = r;
        rsv |= e.rsvMask;
      }
    }
    this.writeFrame(0x80 | rsv | op, bytes, rsv !== 0);
  }

  /** Sends a ping (payload at most 125 bytes, else `RangeError` WS_ERR_CONTROL_PAYLOAD_TOO_LONG). */
  ping(payload: Uint8Array = EMPTY): void {
    this.assertCanSend('ping');
    this.checkControl(payload);
    this.writeFrame(0x80 | OP_PING, payload, false);
  }

  /** Sends an unsolicited pong (a heartbeat that needs no answer, §5.5.3). */
  pong(payload: Uint8Array = EMPTY): void {
    this.assertCanSend('pong');
    this.checkControl(payload);
    this.writeFrame(0x80 | OP_PONG, payload, false);
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
    for (const e of this.extensions) e.dispose();
  }

  private assertCanSend(what: string): void {
    if (this.closeSent || this.eof) throw misuse(`Cannot ${what}: the connection is ${this.state === 'closing' ? 'closing' : 'closed'}`);
  }

  private checkControl(payload: Uint8Array): void {
    if (payload.length > 125) {
      throw Object.assign(new RangeError(`Control frame payload must be at most 125 bytes, got ${payload.length}`), {
        code: ErrorCodes.CONTROL_TOO_LONG,
      });
    }
  }

  private sendClose(payload: Uint8Array): void {
    this.closeSent = true;
    this.writeFrame(0x80 | OP_CLOSE, payload, false);
  }

  private writeFrame(b0: number, payload: Uint8Array, compressed: boolean): void {
    const frame = this.server ? encodeUnmaskedFrame(b0, payload) : encodeFrame(b0, payload, this.pool);
    if (this.trace !== undefined) this.traceOut(b0, frame, compressed);
    this.sink.write(frame);
  }

  private traceOut(b0: number, frame: Uint8Array, compressed: boolean): void {
    const l7 = frame[1]! & 0x7f;
    const keyBytes = this.server ? 0 : 4;
    const length = l7 < 126 ? l7 : frame.length - (l7 === 126 ? 4 : 10) - keyBytes;
    this.trace!({
      direction: 'out',
      opcode: b0 & 0x0f,
      fin: (b0 & 0x80) !== 0,
      rsv1: (b0 & 0x40) !== 0,
      rsv2: (b0 & 0x20) !== 0,
      rsv3: (b0 & 0x10) !== 0,
      masked: !this.server,
      length,
      compressed,
    });
  }
}
