/**
 * Decoding a received text message into a string on Node, for every Node
 * side that delivers text (the WebSocket class, the transport behind
 * connect(), the server's connections).
 *
 * Owns: `utf8Slice`. Imports node:buffer only.
 */
import { Buffer } from 'node:buffer';

/**
 * `Buffer.prototype.utf8Slice`, called on a plain `Uint8Array` as well
 * (`utf8Slice.call(bytes, start, end)`): Node's internal decoder, faster than
 * `TextDecoder` and than `Buffer.from(...).toString()`, with no wrapper
 * allocated. The core has already checked the bytes as UTF-8 (RFC 6455
 * §8.1), so no replacement characters can appear.
 */
export const utf8Slice = (Buffer.prototype as unknown as { utf8Slice(this: Uint8Array, start: number, end: number): string }).utf8Slice;
