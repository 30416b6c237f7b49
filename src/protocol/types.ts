/**
 * The shapes the sans-I/O core exchanges with its transports and extensions.
 * Types only. A transport implements `ProtocolSink` and passes
 * `ProtocolOptions` to the core (protocol.ts, `Protocol`); permessage-deflate
 * implements `ExtensionFactory` and `Extension`. The opcodes are in frame.ts.
 */
import type { ProtocolError } from './errors.js';

/** Fills `buf` with cryptographically secure random bytes. */
export type RandomSource = (buf: Uint8Array) => void;

/** One frame as seen by the trace hook (both directions). */
export interface FrameTrace {
  direction: 'in' | 'out';
  opcode: number;
  fin: boolean;
  rsv1: boolean;
  rsv2: boolean;
  rsv3: boolean;
  masked: boolean;
  /** Payload length on the wire. */
  length: number;
  /** True when this frame belongs to a message an extension compressed. */
  compressed: boolean;
}

/** Where the core delivers what it decoded, and the bytes it wants written. */
export interface ProtocolSink {
  /** Bytes to put on the wire, in order. The core never reuses a buffer it passed here. */
  write(bytes: Uint8Array): void;
  /**
   * A complete data message. Text has already been validated as UTF-8 (the
   * transport decodes it). Unless `owned`, `data` may be a view into a
   * received chunk or into a buffer the core reuses for the next frame: copy
   * it to keep it beyond the call.
   *
   * `owned` is true when `data` is a fresh buffer (from the `alloc` option)
   * that exactly holds this message and that the core never touches again:
   * the sink may keep it without a copy. The core does this for whole,
   * uncompressed binary messages whose frame spanned several reads.
   */
  message(data: Uint8Array, binary: boolean, owned: boolean): void;
  /** A ping arrived; the core has already queued the pong. */
  ping?(payload: Uint8Array): void;
  pong?(payload: Uint8Array): void;
  /**
   * The peer's close frame arrived (code 1005 when it carried none). If we had
   * not sent a close yet, the core has queued the echo. A client should now
   * wait for the server to close TCP (RFC 6455 §7.1.1), bounded by its timer;
   * a server closes TCP itself.
   */
  close(code: number, reason: string): void;
  /**
   * The peer violated the protocol. The core has queued a close frame with
   * `error.closeCode` and now discards input. The transport arms its close timer.
   */
  error(error: ProtocolError): void;
  /** Optional trace hook; the core calls it only when present. */
  trace?(frame: FrameTrace): void;
  /**
   * Optional: an extension is decoding a message off the event loop
   * (`Extension.decodeOrDefer` returned a promise). `true` when the core
   * starts waiting for it, `false` when it resumes (before it delivers that
   * message). Meanwhile `receive()` only queues bytes, so a transport should
   * stop reading until `false` (receive backpressure, as ws's receiver does
   * while zlib works).
   */
  decoding?(pending: boolean): void;
}

/**
 * Which end of the connection the core plays (RFC 6455 §5.1, §5.3): a
 * `'client'` masks every frame it sends and fails on a masked frame from the
 * server; a `'server'` sends unmasked frames and fails (1002) on an unmasked
 * frame from the client, unmasking the rest as they arrive.
 */
export type ProtocolRole = 'client' | 'server';

export interface ProtocolOptions {
  /** Which end this core plays. Default `'client'`. */
  role?: ProtocolRole;
  /** Largest message accepted, after decompression (bytes). Default 100 MiB. Over it: close 1009. */
  maxPayload?: number;
  /** Largest single frame accepted (bytes). Default: `maxPayload`. Over it: close 1009. */
  maxFrameSize?: number;
  /** Mask keys come from here (pooled; the client role only). Default: `globalThis.crypto.getRandomValues`. */
  random?: RandomSource;
  /** Extensions agreed in the handshake, in the order of the response header. */
  extensions?: readonly Extension[];
}

export type ProtocolState = 'open' | 'closing' | 'closed';

/**
 * One agreed extension, applied to whole messages (RFC 6455 §9). The core
 * hands it the payload of a message whose first frame had the extension's
 * RSV bit, and asks it to encode outgoing data messages.
 */
export interface Extension {
  readonly name: string;
  /** RSV bits this extension owns on the first frame of a message: 0x40 = RSV1. */
  readonly rsvMask: number;
  /**
   * Decode one received message (the concatenated payload of its frames).
   * Must throw a `ProtocolError` (1009 past `maxLength`, 1007/1002 for bad data)
   * rather than allocate beyond `maxLength`. Must not keep `payload` (or a
   * view of it) after returning: it may be the transport's read memory,
   * which is reused.
   */
  decode(payload: Uint8Array, maxLength: number): Uint8Array;
  /**
   * Optional, preferred by the core when present: `decode`, or a promise for
   * a message the extension decodes off the event loop (a large
   * permessage-deflate message inflated on zlib's thread pool). The core then
   * waits: it parses nothing further and delivers nothing else until the
   * promise settles, so messages keep their order (and the extension's state,
   * such as an inflate window, sees messages in order). A rejection is
   * handled as a throw from `decode`. The promised bytes must be a buffer
   * the extension does not keep: the core hands them on as owned. Unlike
   * with `decode`, the extension may read `payload` until the promise
   * settles (no copy of a large payload): the core keeps it unchanged and
   * reports its memory as retained (`retains()`) until then, and must not
   * be asked to read it after.
   */
  decodeOrDefer?(payload: Uint8Array, maxLength: number): Uint8Array | Promise<Uint8Array>;
  /**
   * Encode one outgoing message, or return `null` to send it as is (RSV bit
   * clear). `compress` is the caller's per-send preference (undefined = default).
   */
  encode(payload: Uint8Array, compress: boolean | undefined): Uint8Array | null;
  /** Release buffers; called when the connection ends. */
  dispose(): void;
}

/** One extension offer in `Sec-WebSocket-Extensions`: name and parameters (value `true` when bare). */
export interface ExtensionParams {
  name: string;
  params: Record<string, string | true>;
}

/**
 * Negotiates one extension: builds our offer, then checks the server's answer
 * and builds the `Extension`. `accept` throws a `HandshakeError`
 * (WS_ERR_HANDSHAKE_EXTENSION) for anything we did not offer or cannot honour.
 */
export interface ExtensionFactory {
  readonly name: string;
  /** The offer(s) as header value elements, e.g. `permessage-deflate; client_max_window_bits`. */
  offer(): string;
  accept(response: ExtensionParams): Extension;
}
