/**
 * What the core puts on the wire: each frame encoded for the role (a client
 * masks with a fresh key, §5.3; a server does not, §5.1), data messages
 * run through the agreed extensions first (§9), every frame reported to
 * the trace hook, then handed to `sink.write`.
 *
 * Owns: frame encoding calls, extension encoding of outgoing messages, the
 * outbound trace. Whether a frame may be sent at all (closing rules) is the
 * core's decision, not this module's. Imports frame, mask and types.
 */
import { encodeFrame, encodeTextFrame, encodeUnmaskedFrame, encodeUnmaskedTextFrame, frameTrace, OP_BINARY, OP_TEXT } from './frame.js';
import type { MaskKeyPool } from './mask.js';
import type { Extension, FrameTrace, ProtocolSink } from './types.js';

const encoder = new TextEncoder();

export class FrameWriter {
  /**
   * @param server the server role: frames go out unmasked.
   * @param trace the sink's trace hook, bound (undefined: none).
   */
  constructor(
    private readonly sink: ProtocolSink,
    private readonly server: boolean,
    private readonly pool: MaskKeyPool,
    private readonly extensions: readonly Extension[],
    private readonly trace: ((frame: FrameTrace) => void) | undefined,
  ) {}

  /**
   * One data message as a single final frame: text when `binary` is false
   * (a string is encoded as UTF-8; bytes are sent as given). `compress` is
   * passed to the extensions (undefined = their default).
   */
  message(data: string | Uint8Array, binary: boolean, compress: boolean | undefined): void {
    const b0 = 0x80 | (binary ? OP_BINARY : OP_TEXT);
    if (this.extensions.length === 0) {
      let frame: Uint8Array;
      if (this.server) frame = typeof data === 'string' ? encodeUnmaskedTextFrame(b0, data) : encodeUnmaskedFrame(b0, data);
      else frame = typeof data === 'string' ? encodeTextFrame(b0, data, this.pool) : encodeFrame(b0, data, this.pool);
      if (this.trace !== undefined) this.traceOut(b0, frame, false);
      this.sink.write(frame);
      return;
    }
    let bytes = typeof data === 'string' ? encoder.encode(data) : data;
    let rsv = 0;
    for (const extension of this.extensions) {
      const encoded = extension.encode(bytes, compress);
      if (encoded !== null) {
        bytes = encoded;
        rsv |= extension.rsvMask;
      }
    }
    this.frame(b0 | rsv, bytes, rsv !== 0);
  }

  /** One frame whose first byte is `b0` (FIN, RSV bits, opcode); `compressed` only informs the trace. */
  frame(b0: number, payload: Uint8Array, compressed: boolean): void {
    const frame = this.server ? encodeUnmaskedFrame(b0, payload) : encodeFrame(b0, payload, this.pool);
    if (this.trace !== undefined) this.traceOut(b0, frame, compressed);
    this.sink.write(frame);
  }

  private traceOut(b0: number, frame: Uint8Array, compressed: boolean): void {
    const l7 = frame[1]! & 0x7f;
    const keyBytes = this.server ? 0 : 4;
    const length = l7 < 126 ? l7 : frame.length - (l7 === 126 ? 4 : 10) - keyBytes;
    this.trace!(frameTrace('out', b0, !this.server, length, compressed));
  }
}
