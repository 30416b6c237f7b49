/**
 * The rules of a received frame's header (RFC 6455 §5.2-§5.5, RFC 7692
 * §6.1), checked before a single payload byte is buffered: RSV bits only as
 * agreed with an extension, known opcodes, control frames final and at most
 * 125 bytes, continuation only inside a message, a new message only outside
 * one, the 64-bit length's top bit clear, the size limits (1009, §7.4.1),
 * and the mask bit the peer's role requires (§5.1, §5.3).
 *
 * Owns: reading one header out of bytes into its fields (and, from a
 * client, the mask key), and the violation when a rule is broken. Changes
 * nothing else: the core decides what a header starts. Imports errors and
 * frame.ts only.
 */
import { ErrorCodes, ProtocolError, type ErrorCode } from './errors.js';
import { OP_BINARY, OP_CONTINUATION, OP_CONTROL, OP_PONG } from './frame.js';

/** The client role reads no masking key. */
const NO_KEY = new Uint8Array(0);

/** What the header rules need to know about the data message in progress (message assembly, §5.4). */
export interface MessageInProgress {
  /** Opcode of the message being assembled (text or binary), 0 when none. */
  readonly opcode: number;
  /** Bytes of it received so far. */
  readonly length: number;
}

/** The header of the frame being read, and the rules it must pass. */
export class FrameHeader {
  fin = false;
  /** The RSV bits as they sit in the first byte (0x40 = RSV1). */
  rsv = 0;
  opcode = 0;
  /** Payload length. */
  length = 0;
  /** From a client (the server role): this frame's masking key (§5.3). */
  readonly key: Uint8Array;
  /** Why `parse` returned -1. */
  violation: ProtocolError | undefined = undefined;
  /** The mask bit every frame from the peer must carry: 0x80 from a client, 0 from a server. */
  private readonly peerMaskBit: number;

  /**
   * @param server the core plays the server: frames from the peer must be masked.
   * @param extensionRsv the RSV bits agreed extensions own.
   */
  constructor(
    private readonly server: boolean,
    private readonly extensionRsv: number,
    private readonly maxPayload: number,
    private readonly maxFrameSize: number,
    private readonly message: MessageInProgress,
  ) {
    this.peerMaskBit = server ? 0x80 : 0;
    this.key = server ? new Uint8Array(4) : NO_KEY;
  }

  /**
   * Reads the header at buf[offset..offset+avail). Returns its length with the fields
   * set, 0 when more bytes are needed, or -1 when it breaks a rule
   * (`violation` says which). Nothing but this header's fields changes.
   */
  parse(buf: Uint8Array, offset: number, avail: number): number {
    const b0 = buf[offset]!;
    const b1 = buf[offset + 1]!;
    const fin = (b0 & 0x80) !== 0;
    const rsv = b0 & 0x70;
    const opcode = b0 & 0x0f;
    let len = b1 & 0x7f;
    let headerLength = 2;
    if (opcode >= OP_CONTROL) {
      // §5.5: control frames.
      if (opcode > OP_PONG) return this.fail(ErrorCodes.INVALID_OPCODE, `Reserved opcode 0x${opcode.toString(16)}`, 1002);
      if (rsv !== 0) return this.fail(ErrorCodes.RSV_NOT_NEGOTIATED, 'RSV bits set on a control frame', 1002);
      if (!fin) return this.fail(ErrorCodes.CONTROL_FRAGMENTED, 'Fragmented control frame', 1002);
      if (len > 125) return this.fail(ErrorCodes.CONTROL_TOO_LONG, 'Control frame payload longer than 125 bytes', 1002);
    } else {
      const inMessage = this.message.opcode !== 0;
      if (opcode === OP_CONTINUATION) {
        // §5.4: a continuation needs a message in progress; RSV only on its first frame (RFC 7692 §6.1).
        if (!inMessage) return this.fail(ErrorCodes.UNEXPECTED_CONTINUATION, 'Continuation frame without a message in progress', 1002);
        if (rsv !== 0) return this.fail(ErrorCodes.RSV_NOT_NEGOTIATED, 'RSV bits set on a continuation frame', 1002);
      } else if (opcode <= OP_BINARY) {
        if (inMessage) return this.fail(ErrorCodes.EXPECTED_CONTINUATION, 'New data frame while a fragmented message is in progress', 1002);
        // §5.2: RSV bits only as agreed with an extension.
        if ((rsv & ~this.extensionRsv) !== 0) return this.fail(ErrorCodes.RSV_NOT_NEGOTIATED, `RSV bits 0x${rsv.toString(16)} not negotiated`, 1002);
      } else {
        return this.fail(ErrorCodes.INVALID_OPCODE, `Reserved opcode 0x${opcode.toString(16)}`, 1002);
      }
      if (len === 126) {
        if (avail < 4) return 0;
        len = (buf[offset + 2]! << 8) | buf[offset + 3]!;
        headerLength = 4;
      } else if (len === 127) {
        if (avail < 10) return 0;
        const hi = ((buf[offset + 2]! << 24) | (buf[offset + 3]! << 16) | (buf[offset + 4]! << 8) | buf[offset + 5]!) >>> 0;
        // §5.2: "the most significant bit MUST be 0".
        if (hi >= 0x80000000) return this.fail(ErrorCodes.INVALID_LENGTH, '64-bit payload length with the most significant bit set', 1002);
        const lo = ((buf[offset + 6]! << 24) | (buf[offset + 7]! << 16) | (buf[offset + 8]! << 8) | buf[offset + 9]!) >>> 0;
        len = hi * 0x100000000 + lo;
        headerLength = 10;
      }
      // Limits before a payload byte is buffered: 1009 (§7.4.1).
      if (opcode === OP_CONTINUATION ? this.message.length + len > this.maxPayload : len > this.maxPayload) {
        return this.fail(ErrorCodes.MESSAGE_TOO_BIG, `Message exceeds maxPayload ${this.maxPayload}`, 1009);
      }
      if (len > this.maxFrameSize) return this.fail(ErrorCodes.FRAME_TOO_BIG, `Frame of ${len} bytes exceeds maxFrameSize ${this.maxFrameSize}`, 1009);
    }
    // §5.1: a server must not mask; a client must mask every frame. One comparison for both roles.
    if ((b1 & 0x80) !== this.peerMaskBit) {
      if (this.server) return this.fail(ErrorCodes.UNMASKED_FRAME, 'The client sent an unmasked frame', 1002);
      return this.fail(ErrorCodes.MASKED_FRAME, 'The server sent a masked frame', 1002);
    }
    if (this.server) {
      // The 4-byte masking key follows the length (§5.2).
      if (avail < headerLength + 4) return 0;
      const key = this.key;
      key[0] = buf[offset + headerLength]!;
      key[1] = buf[offset + headerLength + 1]!;
      key[2] = buf[offset + headerLength + 2]!;
      key[3] = buf[offset + headerLength + 3]!;
      headerLength += 4;
    }
    this.fin = fin;
    this.rsv = rsv;
    this.opcode = opcode;
    this.length = len;
    return headerLength;
  }

  /** The header's first byte as it came (FIN, RSV bits, opcode), for the trace hook. */
  get firstByte(): number {
    return (this.fin ? 0x80 : 0) | this.rsv | this.opcode;
  }

  private fail(code: ErrorCode, message: string, closeCode: number): -1 {
    this.violation = new ProtocolError(code, message, closeCode);
    return -1;
  }
}
