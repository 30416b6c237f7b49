/**
 * Message assembly (RFC 6455 §5.4, §5.6, §8.1; RFC 7692 §6.2): the frames of
 * one data message in, the whole message out to the sink.
 *
 * - Fragments are appended to one buffer that grows by doubling (O(1) per
 *   fragment, one copy per byte), bounded by `maxPayload`; a message in a
 *   single frame is handed on as the view it came in, with no copy.
 * - Uncompressed text is checked as UTF-8 as it arrives (a `Utf8Stream`),
 *   also the part of a frame that arrived before the rest (`checkAhead`),
 *   so invalid text fails with 1007 at once (§8.1).
 * - A message whose first frame carried an extension's RSV bit is decoded
 *   by the agreed extensions, last agreed first (§9: they apply in response
 *   order), then checked against `maxPayload` and, for text, as UTF-8.
 *   An extension may decode off the event loop (`decodeOrDefer` returns a
 *   promise): the assembler then keeps the message's place (`pending`) and
 *   the core waits, parsing nothing, until it settles and calls
 *   `finishDecode`, which goes on with the remaining extensions.
 *
 * Violations are returned, never thrown: the core fails the connection.
 *
 * Owns: the data message in progress (opcode, RSV bits, length, buffer),
 * its text check, extension decoding, and `sink.message`. Imports errors,
 * frame, utf8, types, the queue's retention limit and the header's view of
 * a message in progress (a type).
 */
import { RETAIN_MAX } from './byte-queue.js';
import { ErrorCodes, ProtocolError } from './errors.js';
import { OP_BINARY, OP_CONTINUATION, OP_TEXT } from './frame.js';
import type { MessageInProgress } from './frame-header.js';
import type { Extension, ProtocolSink } from './types.js';
import { NATIVE_UTF8_MIN, UTF8_ACCEPT, Utf8Stream, utf8Step } from './utf8.js';

const EMPTY = new Uint8Array(0);

function invalidText(message = 'Invalid UTF-8 in a text message'): ProtocolError {
  return new ProtocolError(ErrorCodes.INVALID_UTF8, message, 1007);
}

export class MessageAssembler implements MessageInProgress {
  /** Opcode of the message in progress (text or binary), 0 when none. */
  opcode = 0;
  /** RSV bits of its first frame: which extensions encoded it. */
  rsv = 0;
  /** Bytes of it appended so far. */
  length = 0;
  /** The current frame's payload is checked as UTF-8 as it arrives (an uncompressed text message). */
  checkText = false;
  /** Bytes of the current frame's payload already checked by `checkAhead`. */
  checked = 0;
  /** The asynchronous decode of the last message the core waits for, if any. */
  pending: Promise<Uint8Array> | undefined = undefined;
  /** The payload that decode still reads until it settles (so its memory counts as retained). */
  pendingPayload: Uint8Array = EMPTY;
  /** Where the decode goes on after `pending`: its RSV bits, the next extension down, text or binary. */
  private pendingRsv = 0;
  private pendingNext = -1;
  private pendingBinary = false;
  private buffer: Uint8Array = EMPTY;
  private readonly text: Utf8Stream;

  constructor(
    private readonly sink: ProtocolSink,
    private readonly extensions: readonly Extension[],
    private readonly maxPayload: number,
    private readonly isUtf8: ((bytes: Uint8Array) => boolean) | undefined,
  ) {
    this.text = new Utf8Stream(isUtf8);
  }

  /** A data frame's header passed the rules: a text or binary frame starts a message, a continuation adds to it. */
  startFrame(opcode: number, rsv: number): void {
    if (opcode !== OP_CONTINUATION) {
      this.opcode = opcode;
      this.rsv = rsv;
      this.length = 0;
      this.text.reset();
    }
    this.checked = 0;
    this.checkText = this.opcode === OP_TEXT && this.rsv === 0;
  }

  /** Checks bytes[start..end) of the current frame, which arrived before the rest of it (§8.1 fail fast). */
  checkAhead(bytes: Uint8Array, start: number, end: number): ProtocolError | undefined {
    if (!this.text.push(bytes, start, end)) return invalidText();
    this.checked += end - start;
    return undefined;
  }

  /**
   * The current frame's whole payload. Appends it, or, on the final frame,
   * delivers the message to `sink.message`. `owned`: `data` is a fresh
   * buffer holding exactly this whole binary message (passed on as such).
   * Returns the violation that must fail the connection, if any; with none
   * and `pending` set, an extension decodes the message asynchronously.
   */
  frame(data: Uint8Array, fin: boolean, owned: boolean): ProtocolError | undefined {
    if (this.checkText) {
      const from = this.checked;
      if (from < data.length && !this.text.push(data, from, data.length)) return invalidText();
      if (fin && !this.text.complete) return invalidText('Text message ends inside a UTF-8 sequence');
    }
    if (!fin) {
      this.append(data);
      return undefined;
    }
    let message = data;
    if (this.length > 0) {
      this.append(data);
      message = this.buffer.subarray(0, this.length);
      // A large buffer is not kept for the next message (memory per idle connection).
      if (this.buffer.length > RETAIN_MAX) this.buffer = EMPTY;
    }
    const binary = this.opcode === OP_BINARY;
    const rsv = this.rsv;
    this.opcode = 0;
    this.rsv = 0;
    this.length = 0;
    if (rsv !== 0) {
      const decoded = this.decode(message, rsv, this.extensions.length - 1, binary);
      if (decoded === undefined) return undefined;
      if (decoded instanceof ProtocolError) return decoded;
      const violation = this.checkDecoded(decoded, binary);
      if (violation !== undefined) return violation;
      message = decoded;
    }
    this.sink.message(message, binary, owned);
    return undefined;
  }

  /** The asynchronous decode settled (whether or not the core still waits for it): the extension no longer reads the payload. */
  settled(): void {
    this.pendingPayload = EMPTY;
  }

  /**
   * The decode the core waited for settled with `decoded` (or failed with
   * `error`): goes on with the remaining extensions (which may defer again:
   * `pending`), checks and delivers the message. Returns the violation, if any.
   */
  finishDecode(decoded: Uint8Array | undefined, error: unknown): ProtocolError | undefined {
    this.pending = undefined;
    if (decoded === undefined) return decodeError(error);
    const binary = this.pendingBinary;
    const message = this.pendingNext >= 0 ? this.decode(decoded, this.pendingRsv, this.pendingNext, binary) : decoded;
    if (message === undefined) return undefined;
    if (message instanceof ProtocolError) return message;
    const violation = this.checkDecoded(message, binary);
    if (violation !== undefined) return violation;
    // Promised bytes are fresh (Extension.decodeOrDefer): the sink may keep them, unless an extension after it made a view.
    this.sink.message(message, binary, message === decoded);
    return undefined;
  }

  /**
   * Lets go of the assembly buffer and of a decode in progress (the
   * connection failed or closed). `pendingPayload` stays until the decode
   * settles (`settled`): the extension may still read it.
   */
  release(): void {
    this.buffer = EMPTY;
    this.pending = undefined;
  }

  /** Appends a fragment, growing the buffer by doubling (bounded by maxPayload). */
  private append(data: Uint8Array): void {
    const need = this.length + data.length;
    if (need > this.buffer.length) {
      const size = Math.min(Math.max(need, this.buffer.length * 2, 1024), Math.max(need, this.maxPayload));
      const next = new Uint8Array(size);
      next.set(this.buffer.subarray(0, this.length));
      this.buffer = next;
    }
    this.buffer.set(data, this.length);
    this.length = need;
  }

  /**
   * Runs the message through the extensions whose RSV bits it carries, from
   * extensions[from] down, last agreed first. Returns the decoded message,
   * the violation, or undefined when an extension decodes asynchronously
   * (`pending` set, and where to go on after it).
   */
  private decode(message: Uint8Array, rsv: number, from: number, binary: boolean): Uint8Array | ProtocolError | undefined {
    try {
      for (let i = from; i >= 0; i--) {
        const extension = this.extensions[i]!;
        if ((extension.rsvMask & rsv) === 0) continue;
        if (extension.decodeOrDefer === undefined) {
          message = extension.decode(message, this.maxPayload);
          continue;
        }
        const out = extension.decodeOrDefer(message, this.maxPayload);
        if (out instanceof Uint8Array) {
          message = out;
          continue;
        }
        this.pending = out;
        this.pendingPayload = message;
        this.pendingRsv = rsv;
        this.pendingNext = i - 1;
        this.pendingBinary = binary;
        return undefined;
      }
    } catch (error) {
      return decodeError(error);
    }
    return message;
  }

  /** A decoded message's last checks: the size limit (§7.4.1: 1009) and, for text, UTF-8 (§8.1: 1007). */
  private checkDecoded(message: Uint8Array, binary: boolean): ProtocolError | undefined {
    if (message.length > this.maxPayload) return new ProtocolError(ErrorCodes.MESSAGE_TOO_BIG, `Message exceeds maxPayload ${this.maxPayload}`, 1009);
    if (binary) return undefined;
    // A whole message: the native check's "invalid" is final here (no fail-fast position to find).
    const valid = this.isUtf8 !== undefined && message.length >= NATIVE_UTF8_MIN ? this.isUtf8(message) : utf8Step(UTF8_ACCEPT, message) === UTF8_ACCEPT;
    return valid ? undefined : invalidText();
  }
}

/** A throw from an extension's decode: its `ProtocolError` as is; anything else is undecodable data, WS_ERR_INFLATE_FAILED, 1007. */
function decodeError(error: unknown): ProtocolError {
  if (error instanceof ProtocolError) return error;
  return new ProtocolError(ErrorCodes.INFLATE_FAILED, `Extension could not decode the message: ${String((error as Error)?.message ?? error)}`, 1007);
}
