/**
 * Message codecs and the byte accounting of outgoing data. A codec turns
 * application values into WebSocket messages (`encode`) and back
 * (`decode`). The client uses the codec of the subprotocol the server
 * selected (RFC 6455 §1.9, §4.2.2 `Sec-WebSocket-Protocol`), or the default
 * codec when none was selected or the selected one has no codec of its own.
 *
 * Owns: the Codec type, the built-in JSON codec, `sizeOf` (the check of what
 * `send()` accepts, and its size on the wire), `decodeWith` (a decode whose
 * failure carries a code).
 * Imports: transport types, errors and the input rules (`utf8Length`, `invalid`).
 */
import { ErrorCodes, LifelineError } from '../protocol/errors.js';
import { invalid, utf8Length } from '../protocol/input.js';
import type { IncomingData, OutgoingData } from '../transport/types.js';

/** Encodes application values (`Out`) to messages and decodes messages to values (`In`). */
export interface Codec<In = unknown, Out = In> {
  /** Value → message (a string is sent as text, bytes as binary). Throw to refuse a value: send() then throws it. */
  encode(value: Out): OutgoingData;
  /** Message → value. A throw is reported as an `error` event (WS_ERR_DECODE_FAILED, with the thrown error as `cause`) and the message is skipped. */
  decode(data: IncomingData): In;
}

/** The message type of a connection made with options `O`: what its codec decodes to, else raw data. */
export type MessageOf<O> = O extends { codec: Codec<infer In, any> }
  ? In
  : O extends { codecs: Readonly<Record<string, Codec<infer In, any>>> }
    ? In | IncomingData
    : IncomingData;

/** What `send()` takes on a connection made with options `O`: what its codec encodes, else raw data. */
export type SendOf<O> = O extends { codec: Codec<any, infer Out> } ? Out : O extends { codecs: object } ? unknown : OutgoingData;

let decoder: TextDecoder | undefined;

/** JSON as text messages; decodes text, or binary messages holding UTF-8 JSON. */
export const json: Codec<unknown, unknown> = {
  encode: (value) => JSON.stringify(value),
  decode: (data) => JSON.parse(typeof data === 'string' ? data : (decoder ??= new TextDecoder()).decode(data)),
};

/**
 * Decodes a received message with `codec` (none: the data as it came). A
 * codec that throws is reported with a code of lifeline's, whatever it threw
 * (the built-in `json` throws a bare SyntaxError), and its error as `cause`.
 */
export function decodeWith(codec: Codec<unknown, unknown> | undefined, data: IncomingData, subprotocol: string): unknown {
  if (!codec) return data;
  try {
    return codec.decode(data);
  } catch (error) {
    const which = subprotocol ? `subprotocol ${JSON.stringify(subprotocol)}` : 'no subprotocol';
    // The codec's own words (an Error's name and message), never its whole input: V8's JSON errors can quote a long payload.
    const said = error instanceof Error ? `${error.name}: ${error.message.slice(0, 120)}` : typeof error;
    throw new LifelineError(ErrorCodes.DECODE_FAILED, `lifeline: the codec for ${which} could not decode a message (${said}); it is skipped`, undefined, { cause: error });
  }
}

/**
 * Bytes `data` occupies on the wire (payload only: UTF-8 for text). Throws
 * a `TypeError` (`WS_ERR_INVALID_DATA`) for anything a WebSocket cannot send.
 */
export function sizeOf(data: unknown): number {
  if (typeof data === 'string') return utf8Length(data);
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) return data.byteLength;
  if (typeof Blob !== 'undefined' && data instanceof Blob) return data.size;
  throw invalid('TypeError', ErrorCodes.INVALID_DATA, 'send() data', 'a string, an ArrayBuffer or view, or a Blob (or a value for the codec)', data);}
