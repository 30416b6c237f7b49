/**
 * The raw-DEFLATE codec behind permessage-deflate (RFC 7692 §7.2): one
 * `MessageInflater` per connection for received messages and one
 * `MessageDeflater` for sent ones, both synchronous and built on fflate's
 * public API only (`inflateSync`, `Inflate`, `deflateSync`).
 *
 * This module owns buffers, windows and the byte-level tricks; it knows
 * nothing about negotiation or frames. It imports fflate and errors.ts only
 * (never node:*, so it also runs in browsers).
 *
 * Theory of operation, receive side (RFC 7692 §7.2.2):
 * - A message is a run of DEFLATE blocks ending in a sync flush whose last
 *   four bytes (00 00 FF FF) the sender removed. We append them back plus a
 *   final empty stored block (01 00 00 FF FF) so the stream is terminated,
 *   which lets `inflateSync` decode it in one call.
 * - Context takeover: the sender's LZ77 window spans earlier messages, so the
 *   last 32 KiB of our output is passed as fflate's `dictionary`. Output is
 *   written straight into a reused buffer just after that history, so the
 *   history needs no copying and fflate allocates nothing per message
 *   (fflate guesses a large output size whenever it is not given `out`).
 * - With `out` given, fflate never grows it: literal and match writes past
 *   its end are dropped (the returned view is clamped) and stored-block copies
 *   throw a RangeError. A result that fills `out` exactly is therefore treated
 *   as "may be truncated": fail with 1009 when `out` already had room for
 *   `maxLength + 1` bytes, else retry once after compacting the window, else
 *   take the streaming route (and grow the buffer for the next message).
 * - Large inputs (which could expand up to ~1032x) and large outputs go
 *   through fflate's streaming `Inflate`, fed in slices sized so that one
 *   slice cannot expand past the remaining budget by more than ~1 MiB; the
 *   size limit is checked after every slice (RFC 7692 §8.1 leaves the limit to
 *   the implementation; RFC 6455 §10.4 asks for one).
 *
 * - A transport may supply a native synchronous inflater (`NativeInflate`;
 *   Node: node:zlib with `maxOutputLength`) for payloads of 2 KiB and more,
 *   where native code beats pure JS; the limit and window rules are the same.
 *   It may also supply a native compressor (`NativeDeflate`; Node: node:zlib),
 *   which then compresses every message (see `MessageDeflater`).
 *
 * Memory per connection, allocated on first use: receive 32 KiB window + 32 KiB
 * room (the room doubles up to 512 KiB when bigger messages arrive, and stays);
 * send 2 x historySize of history (+ 16 KiB of verification scratch on the
 * fflate route). Per compressed message, fflate allocates ~170 KB of match
 * tables (garbage), zlib about 256 KB of native state (freed at once).
 *
 * Send side (RFC 7692 §7.2.1): see `MessageDeflater`.
 */
import { Inflate, deflateSync, inflateSync } from 'fflate';
import { ErrorCodes, ProtocolError } from './errors.js';

/** The largest LZ77 window DEFLATE allows (RFC 1951 §2): 2^15 bytes. */
export const WINDOW = 32768;

/** 00 00 FF FF: the tail of a sync flush that senders strip (RFC 7692 §7.2.1), plus a final empty stored block. */
const TRAILER = /* @__PURE__ */ Uint8Array.of(0x00, 0x00, 0xff, 0xff, 0x01, 0x00, 0x00, 0xff, 0xff);
const TRAILER_LEN = 9;

/** Payloads up to this size take the one-call route; worst case they expand to ~33 MiB of work, never memory. */
const FAST_INPUT_MAX = 32 * 1024;
/** Room for output after the history in the reused buffer, initially and at most. */
const FAST_ROOM_MIN = 32 * 1024;
const FAST_ROOM_MAX = 512 * 1024;
/**
 * Streaming route: compressed bytes per push, at most / at least / first.
 * DEFLATE expands at most ~1032:1, and fflate holds about three times a push's
 * output at once (its growing buffer, the copy it emits), so a push should not
 * expand to more than PUSH_OUT.
 */
const SLICE_MAX = 16 * 1024;
const SLICE_MIN = 1024;
const SLICE_FIRST = 4 * 1024;
const MAX_RATIO = 1032;
const PUSH_OUT = 1 << 20;

function tooBig(maxLength: number): ProtocolError {
  // RFC 6455 §7.4.1: 1009, message too big to process.
  return new ProtocolError(
    ErrorCodes.MESSAGE_TOO_BIG,
    `Inflated message exceeds the ${maxLength}-byte limit`,
    1009,
  );
}

function inflateFailed(cause: unknown): ProtocolError {
  // Corrupt compressed data is invalid message data: 1007, as ws does
  // (RFC 6455 §7.4.1 "data within a message that was not consistent with the type").
  const why = cause instanceof Error ? cause.message : String(cause);
  return new ProtocolError(ErrorCodes.INFLATE_FAILED, `Invalid compressed data: ${why}`, 1007);
}

/** fflate reports bad data with an Error that carries a numeric `code`; anything else is ours. */
function isFflateError(error: unknown): boolean {
  return error instanceof Error && typeof (error as { code?: unknown }).code === 'number';
}

/**
 * A platform's synchronous raw-DEFLATE inflater, used instead of fflate for
 * large payloads when a transport provides one (Node: node:zlib's
 * `inflateRawSync`, several times faster than pure JS on big messages; the
 * protocol layer cannot import it itself). `data` ends in 00 00 FF FF;
 * `dictionary` is the window (up to 32 KiB) or undefined. Returns the output,
 * or `null` when it would exceed `maxLength` bytes (it must stop there, not
 * inflate everything first); throws on invalid data.
 */
export type NativeInflate = (data: Uint8Array, dictionary: Uint8Array | undefined, maxLength: number) => Uint8Array | null;

/**
 * A platform's synchronous raw-DEFLATE compressor (Node: node:zlib's
 * `deflateRawSync`). When a transport supplies one, `MessageDeflater`
 * compresses every message with it, in one call: zlib's own sync flush
 * (which fflate's public API lacks, hence the BFINAL and padding repair and
 * the verification on that route), zlib's compression ratio, and distances
 * bounded by zlib itself at any window (fflate has to work in segments of
 * half the window there: 128 bytes at 8 bits). Measured on JSON-like text
 * against ws, which compresses with zlib on its thread pool (test/bench:
 * `send deflate` rows and deflate.mjs): the same ratio within ~3% with a
 * 4 KiB history, for well under ws's CPU at 1 KiB and less at 64 KiB, where
 * fflate cost more than ws and compressed ~12% worse.
 * Returns `data` compressed and ending in a sync flush (00 00 FF FF), with
 * `dictionary` (the last plaintext sent) as the window; match distances
 * must stay within `2^windowBits` bytes (zlib: windowBits 9 for 8, whose
 * distances stop at 250 = 512 - MIN_LOOKAHEAD). `null`: send uncompressed.
 */
export type NativeDeflate = (data: Uint8Array, dictionary: Uint8Array | undefined, windowBits: number, level: number) => Uint8Array | null;

/** Payloads from this size take the native inflater when there is one (below it fflate into the reused buffer is faster). */
const NATIVE_MIN_INPUT = 2048;

/**
 * A platform's raw-DEFLATE inflater that works off the event loop (Node:
 * node:zlib on the libuv thread pool). `payload` is a message payload as
 * received: the inflater appends the sync flush's 00 00 FF FF itself (RFC
 * 7692 §7.2.2), so the payload needs no copy. Resolves with a buffer the
 * caller may keep, or `null` past `maxLength` (stopping there); rejects on
 * invalid data. `payload` and `dictionary` stay unchanged until it settles
 * (the protocol core waits; see `Extension.decodeOrDefer`), and it must not
 * read them after.
 */
export type AsyncInflate = (payload: Uint8Array, dictionary: Uint8Array | undefined, maxLength: number) => Promise<Uint8Array | null>;

/**
 * With an asynchronous inflater: compressed payloads from this size go to it
 * at once (about 300 KiB of output and more for text; under a millisecond
 * of zlib work is not worth a hand-off's tens of µs below it).
 */
const ASYNC_MIN_INPUT = 128 * 1024;
/**
 * With an asynchronous inflater: the most output a synchronous inflate may
 * produce (a few ms of zlib, the longest the event loop waits for one
 * message). A smaller payload that expands past it is stopped there and
 * inflated again off the loop: at most this much work is wasted, and only
 * on messages that big.
 */
const SYNC_OUTPUT_MAX = 1024 * 1024;

/**
 * Inflates received messages in order, keeping the sender's window unless
 * `noContextTakeover` (the server agreed `server_no_context_takeover`).
 */
export class MessageInflater {
  private readonly keep: boolean;
  private readonly native: NativeInflate | undefined;
  /** [0, end): output so far (its last WINDOW bytes are the window); [end, length): room for the next message. */
  private buf: Uint8Array;
  private end = 0;
  private disposed = false;
  /** Scratch for payload + TRAILER, reused. */
  private input: Uint8Array;

  constructor(noContextTakeover: boolean, native?: NativeInflate) {
    this.keep = !noContextTakeover;
    this.native = native;
    this.buf = new Uint8Array((this.keep ? WINDOW : 0) + FAST_ROOM_MIN);
    this.input = new Uint8Array(1024);
  }

  /**
   * Inflates one message payload (RSV1 was set on its first frame). Throws a
   * `ProtocolError`: 1009 past `maxLength` bytes of output, 1007 for data
   * that is not valid DEFLATE.
   *
   * The result may be a view into the window buffer: read it, or copy it,
   * before the next `decode()`, and never write to it (it is the history the
   * next message refers back to). This saves an allocation and a copy per
   * message; the core hands it straight to `ProtocolSink.message`, whose
   * contract already says "a view: copy it to keep it", and lifeline's
   * transports copy or decode it there.
   */
  decode(payload: Uint8Array, maxLength: number): Uint8Array {
    // Zero bytes are not a DEFLATE stream (a compliant sender's empty message is
    // 00, RFC 7692 §7.2.3.6); zlib-based peers treat it as "no output yet", so
    // deliver an empty message and leave the window untouched.
    if (payload.length === 0) return new Uint8Array(0);
    if (this.native !== undefined && payload.length >= NATIVE_MIN_INPUT) return this.decodeNative(this.native, payload, maxLength);
    if (payload.length > FAST_INPUT_MAX) return this.decodeStreaming(payload, maxLength);
    const inflated = this.decodeFast(payload, maxLength);
    if (inflated) return inflated;
    // Did not fit: stream this one (it stops at the limit), then size the room
    // so that the next message of this size fits at the first try.
    const result = this.decodeStreaming(payload, maxLength);
    this.sizeRoomFor(result.length);
    return result;
  }

  /** A message of `length` bytes did not fit the reused buffer: size its room so the next one does (up to FAST_ROOM_MAX). */
  private sizeRoomFor(length: number): void {
    const room = this.buf.length - (this.keep ? WINDOW : 0);
    if (room < FAST_ROOM_MAX && length * 2 > room) {
      let want = room;
      while (want < length * 2 && want < FAST_ROOM_MAX) want *= 2;
      this.grow(Math.min(want, FAST_ROOM_MAX));
    }
  }

  /**
   * `decode`, but with an asynchronous inflater: every message that would
   * keep the event loop busy for more than a few ms goes to it instead
   * (compressed payloads of `ASYNC_MIN_INPUT` and more, or output past
   * `SYNC_OUTPUT_MAX`), and comes back as a promise. Small messages keep the
   * synchronous routes, unchanged. The caller must not call `decode` again
   * before the promise settles (the window is only complete then); the
   * protocol core waits for it, keeping `payload` unchanged until then.
   */
  decodeOrDefer(payload: Uint8Array, maxLength: number, inflateAsync: AsyncInflate): Uint8Array | Promise<Uint8Array> {
    if (payload.length === 0 || maxLength <= SYNC_OUTPUT_MAX) return this.decode(payload, maxLength);
    if (payload.length >= ASYNC_MIN_INPUT) return this.decodeAsync(inflateAsync, payload, maxLength, false);
    if (this.native !== undefined && payload.length >= NATIVE_MIN_INPUT) {
      // Synchronously within the budget; past it, start again off the loop.
      const out = this.tryNative(this.native, payload, SYNC_OUTPUT_MAX);
      return out ?? this.decodeAsync(inflateAsync, payload, maxLength, false);
    }
    if (payload.length <= FAST_INPUT_MAX) {
      // The reused buffer's room (at most 512 KiB) is within the budget.
      const out = this.decodeFast(payload, maxLength);
      if (out) return out;
      // Too big for the room: inflate it off the loop, then size the room so the next such message fits.
      return this.decodeAsync(inflateAsync, payload, maxLength, true);
    }
    return this.decodeAsync(inflateAsync, payload, maxLength, false);
  }

  /**
   * Off the event loop; remembers the output once it is there. `growRoom`
   * for a message that missed the fast route's room only for its size.
   * `payload` is read until the promise settles (the caller keeps it so).
   */
  private decodeAsync(inflateAsync: AsyncInflate, payload: Uint8Array, maxLength: number, growRoom: boolean): Promise<Uint8Array> {
    // A view is enough: nothing decodes (so nothing writes the window) until this settles.
    const dict = this.keep && this.end > 0 ? this.buf.subarray(Math.max(0, this.end - WINDOW), this.end) : undefined;
    return inflateAsync(payload, dict, maxLength).then(
      (out) => {
        if (out === null || out.length > maxLength) throw tooBig(maxLength);
        if (!this.disposed) {
          this.remember(out);
          if (growRoom) this.sizeRoomFor(out.length);
        }
        return out;
      },
      (error: unknown) => {
        throw inflateFailed(error);
      },
    );
  }

  /** One `inflateSync` into the reused buffer; `null` when the output does not fit the largest buffer we keep. */
  private decodeFast(payload: Uint8Array, maxLength: number): Uint8Array | null {
    const length = payload.length;
    if (this.input.length < length + TRAILER_LEN) this.input = new Uint8Array(Math.max(length + TRAILER_LEN, this.input.length * 2));
    const input = this.input;
    input.set(payload);
    input.set(TRAILER, length);
    const data = input.subarray(0, length + TRAILER_LEN);
    const cap = maxLength + 1;
    for (;;) {
      if (!this.keep) this.end = 0;
      // Keep more than half the room free: messages up to half of it fit at the first try.
      else if (this.buf.length - this.end <= (this.buf.length - WINDOW) / 2) this.compact();
      const start = this.end;
      const room = Math.min(this.buf.length - start, cap);
      const out = this.buf.subarray(start, start + room);
      const dict = start > 0 ? this.buf.subarray(Math.max(0, start - WINDOW), start) : undefined;
      let got: Uint8Array | undefined;
      try {
        got = inflateSync(data, dict ? { out, dictionary: dict } : { out });
      } catch (error) {
        // A stored block that does not fit `out` makes fflate's `set` throw a RangeError: treat as "full".
        if (!(error instanceof RangeError) || isFflateError(error)) throw inflateFailed(error);
      }
      if (got && got.length < room) {
        if (this.keep) this.end = start + got.length;
        // A view, valid until the next decode() (see the method's contract): no copy.
        return got;
      }
      // Output filled `out`: it may have been truncated.
      if (room === cap) throw tooBig(maxLength);
      if (this.keep && start > WINDOW) {
        this.compact();
        if (this.buf.length - this.end > room) continue;
      }
      // Too big for the room we have: the caller streams it. At most two wasted
      // passes per message, so a payload built to expand ~1000x cannot make us
      // loop through its output again and again.
      return null;
    }
  }

  /** The platform inflater: it enforces the limit itself (and stops there). */
  private decodeNative(native: NativeInflate, payload: Uint8Array, maxLength: number): Uint8Array {
    const out = this.tryNative(native, payload, maxLength);
    if (out === null) throw tooBig(maxLength);
    return out;
  }

  /** The platform inflater, stopped past `maxLength` bytes of output: `null` then, with the window unchanged. */
  private tryNative(native: NativeInflate, payload: Uint8Array, maxLength: number): Uint8Array | null {
    const length = payload.length;
    if (this.input.length < length + 4) this.input = new Uint8Array(Math.max(length + 4, this.input.length * 2));
    this.input.set(payload);
    this.input.set(TRAILER.subarray(0, 4), length);
    const dict = this.keep && this.end > 0 ? this.buf.subarray(Math.max(0, this.end - WINDOW), this.end) : undefined;
    let out: Uint8Array | null;
    try {
      out = native(this.input.subarray(0, length + 4), dict, maxLength);
    } catch (error) {
      throw inflateFailed(error);
    }
    if (out === null || out.length > maxLength) return null;
    this.remember(out);
    return out;
  }

  /** Moves the window (last 32 KiB of output) to the front of the buffer. */
  private compact(): void {
    if (this.end <= WINDOW) return;
    this.buf.copyWithin(0, this.end - WINDOW, this.end);
    this.end = WINDOW;
  }

  private grow(room: number): void {
    const keepLen = this.keep ? Math.min(this.end, WINDOW) : 0;
    const next = new Uint8Array(keepLen + room);
    if (keepLen) next.set(this.buf.subarray(this.end - keepLen, this.end));
    this.buf = next;
    this.end = keepLen;
  }

  /** Appends `bytes` (a finished message) to the window. */
  private remember(bytes: Uint8Array): void {
    if (!this.keep) return;
    if (bytes.length >= WINDOW) {
      this.buf.set(bytes.subarray(bytes.length - WINDOW));
      this.end = WINDOW;
      return;
    }
    if (this.buf.length - this.end < bytes.length) this.compact();
    this.buf.set(bytes, this.end);
    this.end += bytes.length;
  }

  /** Streaming `Inflate`, fed in bounded slices; stops at the limit. */
  private decodeStreaming(payload: Uint8Array, maxLength: number): Uint8Array {
    const dict = this.keep && this.end > 0 ? this.buf.subarray(Math.max(0, this.end - WINDOW), this.end) : undefined;
    const chunks: Uint8Array[] = [];
    let total = 0;
    let over = false;
    const inflater = new Inflate(dict ? { dictionary: dict } : {}, (chunk) => {
      if (over) return;
      total += chunk.length;
      if (total > maxLength) over = true;
      else if (chunk.length) chunks.push(chunk);
    });
    try {
      let off = 0;
      let size = SLICE_FIRST;
      while (off < payload.length && !over) {
        // Even at the maximum DEFLATE ratio a slice cannot overshoot the
        // remaining budget by more than one SLICE_MIN's worth.
        size = Math.max(SLICE_MIN, Math.min(size, Math.floor((maxLength - total) / MAX_RATIO)));
        const before = total;
        inflater.push(payload.subarray(off, off + size), false);
        off += size;
        // Adapt to the expansion seen: ordinary data (a few :1) gets large
        // slices (fewer pushes), a bomb (~1000:1) small ones, so one push
        // yields about PUSH_OUT at most and memory stays near the limit.
        const ratio = Math.max(1, (total - before) / size);
        size = Math.max(SLICE_MIN, Math.min(SLICE_MAX, Math.floor(PUSH_OUT / ratio)));
      }
      if (!over) inflater.push(TRAILER, true);
    } catch (error) {
      if (over) throw tooBig(maxLength);
      throw inflateFailed(error);
    }
    if (over) throw tooBig(maxLength);
    let result: Uint8Array;
    if (chunks.length === 1) result = chunks[0]!;
    else {
      result = new Uint8Array(total);
      let at = 0;
      for (const chunk of chunks) {
        result.set(chunk, at);
        at += chunk.length;
      }
    }
    this.remember(result);
    return result;
  }

  /** Drops the buffers. */
  dispose(): void {
    this.disposed = true;
    this.buf = new Uint8Array(0);
    this.input = this.buf;
    this.end = 0;
  }
}

/** An empty stored block's LEN/NLEN, then a final stored block holding one sentinel byte (0x5A). */
const CHECK_TAIL = /* @__PURE__ */ Uint8Array.of(0x00, 0x00, 0xff, 0xff, 0x01, 0x01, 0x00, 0xfe, 0xff, 0x5a);
const SENTINEL = 0x5a;

export interface DeflaterOptions {
  /** fflate level 0..9. */
  level: 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;
  /** Bytes of previously sent plaintext used as the dictionary (0..32768); 0 = no context takeover. */
  historySize: number;
  /** The receiver's window for our messages, 2^bits bytes (client_max_window_bits, RFC 7692 §7.1.2.2). */
  windowBits: number;
  /** A native compressor, used for every message when given (see `NativeDeflate`). Default: fflate only. */
  native?: NativeDeflate | undefined;
}

/**
 * Compresses outgoing messages.
 *
 * With a platform compressor (`DeflaterOptions.native`; the Node transport
 * passes node:zlib), each message is one call to it, with the last
 * `historySize` bytes of plaintext sent compressed as the dictionary
 * (context takeover) and the sync flush's 00 00 FF FF removed
 * (`compressNative`). Otherwise fflate, as follows.
 *
 * fflate's `deflateSync` emits a complete stream whose last block has BFINAL
 * set; a sync flush (what RFC 7692 §7.2.1 describes) is not available through
 * its public API (`Deflate#flush` output is rejected by zlib with context
 * kept). So each message (or each segment of ≤ 16 KiB, which fflate 0.8.3
 * always emits as a single block) is compressed with `deflateSync`, passing
 * the plaintext the receiver already holds in its window as `dictionary`
 * (context takeover), and then:
 * - BFINAL (bit 0 of byte 0, the header of that single block) is cleared;
 * - the receiver will append 00 00 FF FF, which must parse as an empty stored
 *   block (RFC 1951 §3.2.4): its 3 header bits come from the padding after
 *   the end-of-block code when at least 3 padding bits remain, otherwise from
 *   an extra 0x00 byte we add. We cannot see the bit position through the
 *   API, so we try both with our own inflater (same dictionary), and also
 *   check that no final block ends the stream early: the candidate is followed
 *   by 00 00 FF FF and a final stored block holding a sentinel byte, and must
 *   inflate to exactly the segment plus the sentinel.
 * - Segments are joined with 00 00 FF FF (the candidate plus that tail is a
 *   sync flush point).
 * If no candidate verifies, the message goes out uncompressed (RSV1 clear),
 * which does not touch the receiver's window (RFC 7692 §6.1), and is not
 * added to our history.
 *
 * Window limit: a match reaches at most (dictionary + bytes before it in the
 * segment) back, so keeping `dictionary + segment ≤ 2^windowBits` honours any
 * `client_max_window_bits` the server sets.
 */
export class MessageDeflater {
  private readonly level: DeflaterOptions['level'];
  private readonly historySize: number;
  private readonly window: number;
  private readonly segment: number;
  /** Plaintext already sent compressed: [histStart, histEnd) of `hist`. */
  private hist: Uint8Array;
  private histEnd = 0;
  /** Scratch output for verification. */
  private check: Uint8Array;
  /** The platform compressor: when given, it compresses every message (see `NativeDeflate`). */
  private readonly native: NativeDeflate | undefined;
  private readonly windowBits: number;

  constructor(options: DeflaterOptions) {
    this.level = options.level;
    this.window = 2 ** options.windowBits;
    this.windowBits = options.windowBits;
    this.native = options.native;
    this.historySize = Math.min(options.historySize, WINDOW);
    // Segments stay single-block: fflate 0.8.3 ends a block after 24,576
    // symbols or 7,000 matches, and 16 KiB of input yields at most 16,384
    // symbols and 5,461 matches (a match covers >= 3 bytes). If a future fflate
    // split differently, verification would fail and the message would go out
    // uncompressed, never corrupt. Half the window leaves room for a dictionary.
    this.segment = Math.min(16 * 1024, this.window / 2);
    this.hist = new Uint8Array(this.historySize > 0 ? Math.max(2 * this.historySize, 4096) : 0);
    // Verification scratch, only on the fflate route.
    this.check = new Uint8Array(this.native === undefined ? this.segment + 2 : 0);
  }

  /** Compresses `msg`; `null` means "send it uncompressed". */
  compress(msg: Uint8Array): Uint8Array | null {
    if (this.native !== undefined) return this.compressNative(this.native, msg);
    const seg = this.segment;
    if (msg.length <= seg) {
      const dict = this.historyFor(msg.length);
      const piece = this.compressSegment(msg, dict, false);
      if (piece) this.remember(msg);
      return piece;
    }
    const pieces: Uint8Array[] = [];
    let total = 0;
    for (let at = 0; at < msg.length; at += seg) {
      const part = msg.subarray(at, at + seg);
      const last = at + seg >= msg.length;
      let dict: Uint8Array | undefined;
      // Within a message the dictionary is the preceding plaintext, historySize
      // bytes of it but at least 4 KiB (also without context takeover): each
      // dictionary byte is hashed again per segment, so this is the CPU knob too.
      if (at > 0) dict = msg.subarray(Math.max(0, at - this.dictLimit(Math.max(this.historySize, 4096), part.length)), at);
      else dict = this.historyFor(part.length);
      const piece = this.compressSegment(part, dict, !last);
      if (!piece) return null;
      pieces.push(piece);
      total += piece.length;
    }
    const out = new Uint8Array(total);
    let offset = 0;
    for (const piece of pieces) {
      out.set(piece, offset);
      offset += piece.length;
    }
    this.remember(msg);
    return out;
  }

  /**
   * The whole message in one native call (RFC 7692 §7.2.1): compress with a
   * sync flush and remove its 00 00 FF FF tail. The dictionary is at most the
   * window: the compressor bounds distances to its own (smaller) window.
   */
  private compressNative(native: NativeDeflate, msg: Uint8Array): Uint8Array | null {
    let dict: Uint8Array | undefined;
    if (this.historySize > 0 && this.histEnd > 0) {
      const dictLength = Math.min(this.historySize, this.window, this.histEnd);
      dict = this.hist.subarray(this.histEnd - dictLength, this.histEnd);
    }
    let out: Uint8Array | null;
    try {
      out = native(msg, dict, this.windowBits, this.level);
    } catch {
      out = null;
    }
    const length = out === null ? 0 : out.length;
    // Anything but a sync-flushed stream goes out uncompressed (RSV1 clear leaves the receiver's window alone).
    if (out === null || length < 5 || out[length - 4] !== 0 || out[length - 3] !== 0 || out[length - 2] !== 0xff || out[length - 1] !== 0xff) return null;
    this.remember(msg);
    return out.subarray(0, length - 4);
  }

  /** How much dictionary a segment of `len` bytes may use: any match must stay inside the receiver's window. */
  private dictLimit(want: number, len: number): number {
    // fflate never emits a distance beyond 32767, so the full window (15 bits) needs no care.
    return this.window >= WINDOW ? Math.min(want, WINDOW) : Math.max(0, Math.min(want, this.window - len));
  }

  private historyFor(len: number): Uint8Array | undefined {
    if (this.historySize === 0 || this.histEnd === 0) return undefined;
    const dictLength = this.dictLimit(this.historySize, len);
    return dictLength > 0 ? this.hist.subarray(this.histEnd - Math.min(dictLength, this.histEnd), this.histEnd) : undefined;
  }

  /**
   * One segment → its wire bytes (BFINAL cleared, padding fixed), followed by
   * 00 00 FF FF when `joined`; `null` if no candidate verifies.
   */
  private compressSegment(part: Uint8Array, dict: Uint8Array | undefined, joined: boolean): Uint8Array | null {
    const raw = dict && dict.length
      ? deflateSync(part, { level: this.level, dictionary: dict })
      : deflateSync(part, { level: this.level });
    const rawLength = raw.length;
    const buf = new Uint8Array(rawLength + 1 + CHECK_TAIL.length);
    buf.set(raw);
    buf[0] = buf[0]! & 0xfe; // clear BFINAL of the single block (RFC 1951 §3.2.3)
    for (let extra = 0; extra <= 1; extra++) {
      if (extra) buf[rawLength] = 0;
      buf.set(CHECK_TAIL, rawLength + extra);
      if (this.verify(buf.subarray(0, rawLength + extra + CHECK_TAIL.length), part, dict)) {
        const end = rawLength + extra + (joined ? 4 : 0);
        // Leave 00 00 FF FF in place for a join; otherwise zero what follows for tidiness.
        return buf.subarray(0, end);
      }
    }
    return null;
  }

  /** Inflates `candidate` with our own inflater and compares with `part` + sentinel. */
  private verify(candidate: Uint8Array, part: Uint8Array, dict: Uint8Array | undefined): boolean {
    const out = this.check.subarray(0, part.length + 2);
    let got: Uint8Array;
    try {
      got = inflateSync(candidate, dict && dict.length ? { out, dictionary: dict } : { out });
    } catch {
      return false;
    }
    if (got.length !== part.length + 1 || got[part.length] !== SENTINEL) return false;
    for (let i = 0; i < part.length; i++) if (got[i] !== part[i]) return false;
    return true;
  }

  /** Appends sent plaintext to the history (context takeover only). */
  private remember(msg: Uint8Array): void {
    const historySize = this.historySize;
    if (historySize === 0) return;
    if (msg.length >= historySize) {
      this.hist.set(msg.subarray(msg.length - historySize));
      this.histEnd = historySize;
      return;
    }
    if (this.histEnd + msg.length > this.hist.length) {
      const keep = Math.min(this.histEnd, historySize - msg.length);
      this.hist.copyWithin(0, this.histEnd - keep, this.histEnd);
      this.histEnd = keep;
    }
    this.hist.set(msg, this.histEnd);
    this.histEnd += msg.length;
  }

  dispose(): void {
    this.hist = new Uint8Array(0);
    this.histEnd = 0;
  }
}
