/**
 * The send queue: messages given to `send()` that cannot go to the socket
 * yet (not open, socket buffer above the high-water mark, earlier messages
 * still waiting), in order. It owns everything a message goes through
 * before the socket:
 * - encoding by the codec, at `send()` (a value the codec or the WebSocket
 *   refuses throws there), and again if a different subprotocol than the
 *   one guessed was negotiated by the time it is sent;
 * - the bounds (`maxQueued` messages, `maxQueuedBytes` UTF-8 bytes) and the
 *   overflow policy, applied only to messages that have to wait;
 * - per-message TTL and `dropOnReconnect`;
 * - Blobs: read to bytes before sending, and sent in their place in the
 *   order, whatever the transport (a Blob sent before a string arrives
 *   first); a Blob that cannot be read rejects its own send alone;
 * - settling every message's promise exactly once: resolved when handed to
 *   the socket, rejected with a coded LifelineError otherwise, each
 *   rejection also reported through `dropped`; or, for a message a part
 *   takes over (a session holds it until the peer acknowledges it), handing
 *   that duty to the part.
 *
 * Owns: QueuedMessage, SendOptions, the queue. Does not know about states or
 * transports: the client hands it a `deliver` function when it may send.
 * Imports: the clock type, codecs, errors.
 */
import { ErrorCodes, LifelineError, type ErrorCode } from '../protocol/errors.js';
import type { OutgoingData } from '../transport/types.js';
import type { Clock, TimerHandle } from './clock.js';
import { sizeOf, type Codec } from './codecs.js';

/** Per-message options of `send()`. */
export interface SendOptions {
  /** Reject with `WS_ERR_SEND_EXPIRED` if still queued after this many ms. Default: no limit. */
  ttl?: number;
  /** If the connection is lost while this message is queued, reject it (`WS_ERR_SEND_DROPPED`) rather than send it on the next connection. Default false. */
  dropOnReconnect?: boolean;
  /** Compress this message (Node, when permessage-deflate was negotiated). Default: the transport's choice. */
  compress?: boolean;
}

/** Bounds of the queue (see `ConnectOptions` for defaults). */
export interface QueueLimits {
  readonly maxQueued: number;
  readonly maxQueuedBytes: number;
  readonly overflow: 'reject' | 'drop-oldest' | 'drop-newest';
}

/** A message on its way to the socket. It is settled (its promise resolved or rejected) exactly when it leaves the queue. */
export interface QueuedMessage {
  /** The value given to send(). */
  readonly value: unknown;
  readonly options: SendOptions;
  /** The encoded message; a Blob until its bytes have been read. */
  data: OutgoingData;
  /** The codec that encoded `data` (undefined: sent as given). */
  codec: AnyCodec | undefined;
  /** Payload bytes on the wire. */
  bytes: number;
  expiry: TimerHandle;
  resolve(): void;
  reject(error: Error): void;
}

/**
 * What became of a message offered to `deliver`: handed to the socket
 * (`sent`: the queue resolves it), left first in line (`wait`), or taken
 * over by a part that settles it itself (`taken`).
 */
export type Delivery = 'sent' | 'wait' | 'taken';

/** What the queue tells its owner. */
export interface QueueHooks {
  /** A message was rejected (its promise already is). */
  dropped(value: unknown, error: Error): void;
  /** A Blob finished reading: a flush may now make progress. */
  readable(): void;
}

/** The queue as the client uses it. */
export interface SendQueue {
  /** Messages waiting. */
  readonly length: number;
  /** Bytes waiting. */
  readonly bytes: number;
  /**
   * Takes a message. Encodes it with `codec` now (throws what the codec or
   * `sizeOf` throws: nothing is queued then). With `mustWait`, the bounds
   * apply and a message that does not fit is rejected by the overflow
   * policy; without it the caller is about to flush, so it is not counted
   * against them. With `closedWhy`, it is rejected at once (the client is
   * closed) with that explanation.
   */
  add(value: unknown, options: SendOptions, codec: AnyCodec | undefined, mustWait: boolean, closedWhy?: string): Promise<void>;
  /**
   * Hands waiting messages to `deliver`, oldest first, until it answers
   * `wait` (the socket cannot take more; the message stays first in line).
   * Stops at a Blob still being read. A message encoded by another codec
   * than `codec` is encoded again first; one that fails that is rejected
   * and the flush goes on.
   */
  flush(codec: AnyCodec | undefined, deliver: (message: QueuedMessage) => Delivery): void;
  /** Rejects every waiting message that asked for `dropOnReconnect`: the connection it was meant for is gone. */
  dropOnReconnect(): void;
  /** Rejects every waiting message with `WS_ERR_CLIENT_CLOSED`, saying `why`. */
  rejectAll(why: string): void;
}

type AnyCodec = Codec<unknown, unknown>;

const noop = (): void => {};
const isBlob = (data: unknown): data is Blob => typeof Blob !== 'undefined' && data instanceof Blob;

export function createSendQueue(limits: QueueLimits, clock: Clock, hooks: QueueHooks): SendQueue {
  const messages: QueuedMessage[] = [];
  /** The sum of the waiting messages' `bytes`. */
  let queuedBytes = 0;

  const push = (message: QueuedMessage): void => {
    messages.push(message);
    queuedBytes += message.bytes;
  };

  /** Takes `message` out of the queue; false when it had already left (it is settled then). */
  const remove = (message: QueuedMessage): boolean => {
    clock.clear(message.expiry);
    // Mostly the first in line (flushed): shift() on an array below some 16k entries moves nothing (V8 trims it in place).
    const index = messages[0] === message ? 0 : messages.indexOf(message);
    if (index < 0) return false;
    if (index === 0) messages.shift();
    else messages.splice(index, 1);
    queuedBytes -= message.bytes;
    return true;
  };

  const drop = (message: QueuedMessage, error: Error): void => {
    message.reject(error);
    hooks.dropped(message.value, error);
  };

  const reject = (message: QueuedMessage, code: ErrorCode, why: string): void => {
    if (remove(message)) drop(message, new LifelineError(code, `lifeline: ${why}`));
  };

  /**
   * Encodes `message` with `codec` (again, when it is `waiting` and another
   * codec was negotiated); throws what the codec or `sizeOf` throws.
   */
  const encode = (message: QueuedMessage, codec: AnyCodec | undefined, waiting = false): void => {
    const data = codec ? codec.encode(message.value) : (message.value as OutgoingData);
    const bytes = sizeOf(data);
    if (waiting) queuedBytes += bytes - message.bytes;
    message.data = data;
    message.bytes = bytes;
    message.codec = codec;
    // A Blob is read in the background; the message keeps its place and waits until its bytes are in.
    if (isBlob(data)) {
      data.arrayBuffer().then(
        (buffer) => {
          if (message.data !== data || !messages.includes(message)) return;
          message.data = new Uint8Array(buffer);
          hooks.readable();
        },
        (cause: unknown) => {
          reject(message, ErrorCodes.BLOB_UNREADABLE, `unreadable Blob (${cause})`);
          hooks.readable();
        },
      );
    }
  };

  /** Applies the bounds to `message`, which has to wait; false when the overflow policy rejected it. */
  const makeRoom = (message: QueuedMessage): boolean => {
    const { maxQueued, maxQueuedBytes, overflow } = limits;
    const fits = (): boolean => messages.length < maxQueued && queuedBytes + message.bytes <= maxQueuedBytes;
    // drop-oldest makes room only for a message that could fit an empty queue.
    while (overflow === 'drop-oldest' && message.bytes <= maxQueuedBytes && messages.length && !fits()) {
      reject(messages[0]!, ErrorCodes.SEND_DROPPED, 'dropped for a newer message (overflow drop-oldest)');
    }
    if (fits()) return true;
    const why = `send queue full (maxQueued ${maxQueued}, maxQueuedBytes ${maxQueuedBytes}; overflow ${overflow})`;
    drop(message, new LifelineError(overflow === 'reject' ? ErrorCodes.QUEUE_FULL : ErrorCodes.SEND_DROPPED, `lifeline: ${why}`));
    return false;
  };

  return {
    get length() {
      return messages.length;
    },
    get bytes() {
      return queuedBytes;
    },
    add(value, options, codec, mustWait, closedWhy) {
      let message!: QueuedMessage;
      const promise = new Promise<void>((resolvePromise, rejectPromise) => {
        message = { value, options, data: '', codec, bytes: 0, expiry: undefined, resolve: resolvePromise, reject: rejectPromise };
      });
      // The caller may ignore the promise: a rejection is also reported through `dropped`.
      promise.catch(noop);
      encode(message, codec);
      if (closedWhy) drop(message, new LifelineError(ErrorCodes.CLIENT_CLOSED, `lifeline: ${closedWhy}`));
      else if (!mustWait || makeRoom(message)) {
        push(message);
        const ttl = options.ttl;
        if (ttl) message.expiry = clock.set(() => reject(message, ErrorCodes.SEND_EXPIRED, `still queued after ttl ${ttl} ms`), ttl);
      }
      return promise;
    },
    flush(codec, deliver) {
      for (let message = messages[0]; message; message = messages[0]) {
        if (message.codec !== codec) {
          try {
            encode(message, codec, true);
          } catch (error) {
            if (remove(message)) drop(message, error as Error);
            continue;
          }
        }
        if (isBlob(message.data)) return;
        const delivery = deliver(message);
        if (delivery === 'wait') return;
        remove(message);
        if (delivery === 'sent') message.resolve();
      }
    },
    dropOnReconnect() {
      for (const message of messages.filter((waiting) => waiting.options.dropOnReconnect)) {
        reject(message, ErrorCodes.SEND_DROPPED, 'connection lost while queued (dropOnReconnect)');
      }
    },
    rejectAll(why) {
      for (const message of messages.slice()) reject(message, ErrorCodes.CLIENT_CLOSED, why);
    },
  };
}
