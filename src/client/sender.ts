/**
 * The send path from the queue to an open socket, with backpressure: queued
 * messages go to the transport while its buffer is at or below the
 * high-water mark; above it the sender stops and waits for the platform's
 * drain signal (an event in Node, polling in browsers) at the low-water mark.
 *
 * A part that carries messages itself (a session: it numbers each one,
 * holds it until acknowledged and settles its promise) is offered each
 * message first (`carry`), and sends through `write`.
 *
 * Owns: the high-water state and the drain watch. Does not know about states:
 * the client flushes only an open transport, and stops the sender when it
 * lets go of one.
 * Imports: the queue, the feature seam, codec and transport types.
 */
import type { Transport, TransportData } from '../transport/types.js';
import type { Clock } from './clock.js';
import type { Codec } from './codecs.js';
import type { ClientFeatures } from './features.js';
import type { Delivery, QueuedMessage, SendQueue } from './send-queue.js';

export interface Sender {
  /** True while the socket is above the high-water mark: new sends must wait in the queue. */
  readonly full: boolean;
  /** Hands queued messages (encoded by `codec`) to `transport` until the queue is empty or the socket is full. */
  flush(transport: Transport, codec: Codec<unknown, unknown> | undefined): void;
  /** Hands `data` to `transport` (a part's own message, or a queued one) and watches the high-water mark; false when the socket refused it. */
  write(transport: Transport, data: TransportData, options?: { compress: boolean }): boolean;
  /** Stops waiting for a drain (the transport is gone or closing). */
  stop(): void;
}

export interface SenderOptions {
  readonly highWaterMark: number;
  readonly lowWaterMark: number;
}

/**
 * `sent(bytes)` counts each handed message; `drained()` is called when the
 * socket fell to the low-water mark after being full (the caller flushes
 * again and reports `drain`); `carry(message)` lets a part take a message
 * over (undefined: sent here).
 */
export function createSender(
  queue: SendQueue,
  marks: SenderOptions,
  features: ClientFeatures,
  clock: Clock,
  hooks: { sent(bytes: number): void; drained(): void; carry(message: QueuedMessage): Delivery | undefined },
): Sender {
  let full = false;
  let stopWatching: (() => void) | undefined;

  const stop = (): void => {
    stopWatching?.();
    stopWatching = undefined;
    full = false;
  };

  const deliver = (transport: Transport, message: QueuedMessage): Delivery => {
    if (full) return 'wait';
    let delivery = hooks.carry(message);
    if (!delivery) {
      const { compress } = message.options;
      delivery = write(transport, message.data as TransportData, compress === undefined ? undefined : { compress }) ? 'sent' : 'wait';
    }
    if (delivery !== 'wait') hooks.sent(message.bytes);
    return delivery;
  };

  function write(transport: Transport, data: TransportData, options?: { compress: boolean }): boolean {
    try {
      transport.send(data, options);
    } catch {
      return false; // the socket is going away; the message waits for the next one
    }
    if (!full && transport.bufferedAmount > marks.highWaterMark) {
      full = true;
      stopWatching = features.watchDrain(transport, marks.lowWaterMark, clock, () => {
        stopWatching = undefined;
        full = false;
        hooks.drained();
      });
    }
    return true;
  }

  return {
    get full() {
      return full;
    },
    flush(transport, codec) {
      if (!full) queue.flush(codec, (message) => deliver(transport, message));
    },
    write,
    stop,
  };
}
