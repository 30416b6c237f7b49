/**
 * The frame format (RFC 6455 §5.2, §5.3): opcodes, header arithmetic, and
 * serialization. Client side: every frame masked with a fresh key from the
 * pool; one allocation per frame (header, key and masked payload copy in
 * one buffer), payload masked in place word-at-a-time since the core owns
 * that buffer. Server side: the same layout without mask bit and key
 * (§5.1: a server must not mask).
 *
 * Owns: the opcodes, `encodeFrame`, `encodeTextFrame`, their unmasked
 * (server) forms, header size arithmetic, and `frameTrace`, the one shape
 * of a trace record in either direction. Imports mask.ts and types only.
 */
import { maskInPlace, type MaskKeyPool } from './mask.js';
import type { FrameTrace } from './types.js';

// Opcodes (§5.2, §11.8). 0x3-0x7 and 0xB-0xF are reserved.
export const OP_CONTINUATION = 0x0;
export const OP_TEXT = 0x1;
export const OP_BINARY = 0x2;
export const OP_CLOSE = 0x8;
export const OP_PING = 0x9;
export const OP_PONG = 0xa;
/** Opcodes from here up are control frames (§5.5). */
export const OP_CONTROL = 0x8;

/**
 * What the trace hook is told about one frame: `b0` is its first byte
 * (FIN, RSV bits, opcode), `length` its payload length on the wire. One
 * function for both directions, so the hook always sees one object shape.
 */
export function frameTrace(direction: 'in' | 'out', b0: number, masked: boolean, length: number, compressed: boolean): FrameTrace {
  return {
    direction,
    opcode: b0 & 0x0f,
    fin: (b0 & 0x80) !== 0,
    rsv1: (b0 & 0x40) !== 0,
    rsv2: (b0 & 0x20) !== 0,
    rsv3: (b0 & 0x10) !== 0,
    masked,
    length,
    compressed,
  };
}

/** Payloads below this are copied and masked in one byte loop. */
const SMALL = 64;

/** Header bytes (without mask key) for a payload of `payloadLength` bytes. */
export function headerSize(payloadLength: number): number {
  return payloadLength < 126 ? 2 : payloadLength < 65536 ? 4 : 10;
}

/**
 * Writes a header at `start` for a payload of `payloadLength` bytes, with `maskBit`
 * (0x80: a mask key follows; 0: none), and returns where it ends.
 */
function writeHeader(buf: Uint8Array, start: number, b0: number, payloadLength: number, maskBit: number): number {
  buf[start] = b0;
  if (payloadLength < 126) {
    buf[start + 1] = maskBit | payloadLength;
    return start + 2;
  }
  if (payloadLength < 65536) {
    buf[start + 1] = maskBit | 126;
    buf[start + 2] = payloadLength >>> 8;
    buf[start + 3] = payloadLength & 0xff;
    return start + 4;
  }
  buf[start + 1] = maskBit | 127;
  const hi = Math.floor(payloadLength / 0x100000000);
  buf[start + 2] = 0;
  buf[start + 3] = 0;
  buf[start + 4] = (hi >>> 8) & 0xff;
  buf[start + 5] = hi & 0xff;
  buf[start + 6] = payloadLength >>> 24;
  buf[start + 7] = (payloadLength >>> 16) & 0xff;
  buf[start + 8] = (payloadLength >>> 8) & 0xff;
  buf[start + 9] = payloadLength & 0xff;
  return start + 10;
}

/**
 * One masked frame: `b0` = FIN | RSV | opcode, then `payload` masked with a
 * key from `pool`. `payload` is copied (never modified).
 */
export function encodeFrame(b0: number, payload: Uint8Array, pool: MaskKeyPool): Uint8Array {
  const payloadLength = payload.length;
  const headerLength = headerSize(payloadLength);
  const out = new Uint8Array(headerLength + 4 + payloadLength);
  const keyOffset = writeHeader(out, 0, b0, payloadLength, 0x80);
  pool.next(out, keyOffset);
  const payloadOffset = keyOffset + 4;
  if (payloadLength < SMALL) {
    // One pass: copy and mask together (set() + a second pass costs more for small payloads).
    const k0 = out[keyOffset]!;
    const k1 = out[keyOffset + 1]!;
    const k2 = out[keyOffset + 2]!;
    const k3 = out[keyOffset + 3]!;
    let i = 0;
    for (; i + 4 <= payloadLength; i += 4) {
      out[payloadOffset + i] = payload[i]! ^ k0;
      out[payloadOffset + i + 1] = payload[i + 1]! ^ k1;
      out[payloadOffset + i + 2] = payload[i + 2]! ^ k2;
      out[payloadOffset + i + 3] = payload[i + 3]! ^ k3;
    }
    for (; i < payloadLength; i++) out[payloadOffset + i] = payload[i]! ^ out[keyOffset + (i & 3)]!;
  } else {
    out.set(payload, payloadOffset);
    maskInPlace(out, payloadOffset, payloadOffset + payloadLength, out, keyOffset);
  }
  return out;
}

const encoder = new TextEncoder();
/** Strings up to this many UTF-16 units are encoded straight into a worst-case (3 bytes/unit) frame buffer. */
const DIRECT_TEXT_MAX = 16 * 1024;

/**
 * One masked frame carrying `text` as UTF-8, encoding straight into the
 * frame buffer (TextEncoder.encodeInto) so short strings cost one
 * allocation and no intermediate copy. Returns a view of that buffer.
 */
export function encodeTextFrame(b0: number, text: string, pool: MaskKeyPool): Uint8Array {
  const units = text.length;
  if (units > DIRECT_TEXT_MAX) {
    // Guess ASCII (exact for most large payloads); fall back to encode() if not.
    const out = new Uint8Array(14 + units);
    const encoded = encoder.encodeInto(text, out.subarray(14));
    if (encoded.read === units) return finishText(out, b0, encoded.written, pool);
    return encodeFrame(b0, encoder.encode(text), pool);
  }
  // Worst case 3 bytes per UTF-16 unit; header room of 14 bytes in front.
  const out = new Uint8Array(14 + units * 3);
  const { written } = encoder.encodeInto(text, out.subarray(14));
  return finishText(out, b0, written, pool);
}

function finishText(out: Uint8Array, b0: number, payloadLength: number, pool: MaskKeyPool): Uint8Array {
  const start = 14 - 4 - headerSize(payloadLength);
  const keyOffset = writeHeader(out, start, b0, payloadLength, 0x80);
  pool.next(out, keyOffset);
  maskInPlace(out, 14, 14 + payloadLength, out, keyOffset);
  return out.subarray(start, 14 + payloadLength);
}

/**
 * One unmasked frame (the server role, RFC 6455 §5.1): `b0` = FIN | RSV |
 * opcode, then a copy of `payload` (never modified).
 */
export function encodeUnmaskedFrame(b0: number, payload: Uint8Array): Uint8Array {
  const payloadLength = payload.length;
  const headerLength = headerSize(payloadLength);
  const out = new Uint8Array(headerLength + payloadLength);
  writeHeader(out, 0, b0, payloadLength, 0);
  out.set(payload, headerLength);
  return out;
}

/**
 * One unmasked frame carrying `text` as UTF-8, encoded straight into the
 * frame buffer as `encodeTextFrame` does (one allocation for short strings).
 */
export function encodeUnmaskedTextFrame(b0: number, text: string): Uint8Array {
  const units = text.length;
  if (units > DIRECT_TEXT_MAX) {
    // Guess ASCII (exact for most large payloads); fall back to encode() if not.
    const out = new Uint8Array(10 + units);
    const encoded = encoder.encodeInto(text, out.subarray(10));
    if (encoded.read === units) return finishUnmaskedText(out, b0, encoded.written);
    return encodeUnmaskedFrame(b0, encoder.encode(text));
  }
  // Worst case 3 bytes per UTF-16 unit; header room of 10 bytes in front.
  const out = new Uint8Array(10 + units * 3);
  const { written } = encoder.encodeInto(text, out.subarray(10));
  return finishUnmaskedText(out, b0, written);
}

function finishUnmaskedText(out: Uint8Array, b0: number, payloadLength: number): Uint8Array {
  const start = 10 - headerSize(payloadLength);
  writeHeader(out, start, b0, payloadLength, 0);
  return out.subarray(start, 10 + payloadLength);
}
