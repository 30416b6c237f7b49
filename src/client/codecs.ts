/**
 * Message codecs (per negotiated subprotocol) and the byte accounting of
 * outgoing data. A codec turns application values into WebSocket messages
 * (`encode`) and back (`decode`); the client picks one by the subprotocol the
 * server selected (RFC 6455 §1.9, §4.2.2 `Sec-WebSocket-Protocol`).
 *
 * Owns: the Codec type, the built-in JSON codec, `byteLength` (UTF-8 length
 * of text without encoding it), the check of what `send()` accepts.
 * Imports: transport types only.
 */
import type { IncomingData, OutgoingData } from '../transport/types.js';

/** Encodes application values to messages and decodes messages back. */
export interface Codec<T = unknown> {
  /** Value → message (string is sent as text, bytes as binary). Throw to refuse a value. */
  encode(value: T): OutgoingData;
  /** Message → value. A throw is reported as an `error` event and the message is skipped. */
  decode(data: IncomingData): T;
}

let td: TextDecoder | undefined;

/** JSON as text frames; decodes text or UTF-8 binary frames. */
export const json: Codec = {
  encode: (v) => JSON.stringify(v),
  decode: (d) => JSON.parse(typeof d == 'string' ? d : (td ??= new TextDecoder()).decode(d)),
};

/**
 * UTF-8 byte length of a string (what goes on the wire, RFC 3629), counted
 * without allocating. A lone surrogate counts 3 (it is sent as U+FFFD).
 */
export function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0, c; i < s.length; i++)
    if ((c = s.charCodeAt(i)) > 127) {
      // 2 bytes below U+0800, else 3; a valid surrogate pair (2 units, counted once here) is 4.
      n += c < 2048 ? 1 : ((c & 0xfc00) == 0xd800 && (s.charCodeAt(i + 1) & 0xfc00) == 0xdc00 && i++, 2);
    }
  return n;
}

/** Bytes `d` occupies on the wire (payload only); throws TypeError for data a WebSocket cannot send. */
export const sizeOf = (d: unknown): number => {
  if (typeof d == 'string') return utf8Length(d);
  if (d instanceof ArrayBuffer || ArrayBuffer.isView(d)) return d.byteLength;
  if (d instanceof Blob) return d.size;
  throw TypeError('lifeline: cannot send ' + typeof d);
};
