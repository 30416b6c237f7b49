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
import { UTF8_ACCEPT, Utf8Stream, utf8Step } from './utf8.js';

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
  private buffer: Uint8Array = EMPTY;
  private readonly text: Utf8Stream;

  constructor(
    private readonly sink: ProtocolSink,
    private readonly extensions: readonly Extension[],
    private readonly maxPayload: number,
    isUtf8: ((bytes: Uint8Array) => boolean) | undefined,
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
   * Returns the violation that must fail the connection, if any.
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
      const decoded = this.decode(message, rsv);
      if (decoded instanceof ProtocolError) return decoded;
      if (!binary && utf8Step(UTF8_ACCEPT, decoded) !== UTF8_ACCEPT) return invalidText();
      message = decoded;
    }
    this.sink.message(message, binary, owned);
    return undefined;
  }

  /** Lets go of the assembly buffer (the connection failed or closed). */
  release(): void {
    this.buffer = EMPTY;
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
   * Runs the message through the extensions whose RSV bits it carries, last
   * agreed first. A `ProtocolError` from an extension is the violation; any
   * other throw is taken as undecodable data: WS_ERR_INFLATE_FAILED, 1007.
   */
  private decode(message: Uint8Array, rsv: number): Uint8Array | ProtocolError {
    try {
      for (let i = this.extensions.length - 1; i >= 0; i--) {
        const extension = this.extensions[i]!;
        if ((extension.rsvMask & rsv) !== 0) message = extension.decode(message, this.maxPayload);
      }
    } catch (error) {
      if (error instanceof ProtocolError) return error;
      return new ProtocolError(ErrorCodes.INFLATE_FAILED, `Extension could not decode the message: ${String((error as Error)?.message ?? error)}`, 1007);
    }
    if (message.length > this.maxPayload) return new ProtocolError(ErrorCodes.MESSAGE_TOO_BIG, `Message exceeds maxPayload ${this.maxPayload}`, 1009);
    return message;
  }
}
