/**
 * One end of a session, client or server alike, without I/O
 * (src/session/PROTOCOL.md §5-§6): the numbering of data messages, the
 * replay buffer of what the peer has not acknowledged yet, the count of
 * what was received and the acknowledgements it owes.
 *
 * Theory of operation. Data messages are numbered implicitly: the n-th data
 * message a side sends in a session is number n, on whatever connection it
 * travels, and no number goes on the wire. When a connection starts to
 * carry the session, each side tells the other how many messages it has
 * received (`resume` / `session` frames); each then sends its held
 * messages from the next number on, in order, and then new ones. So the
 * receiver never sees a message twice and never misses one: what it counts
 * is what it declared plus what arrives, on a stream TCP keeps in order.
 * Acknowledgements (`ack` frames, cumulative) let the sender drop what the
 * peer has, which bounds the buffer; a full buffer refuses new messages
 * (the caller applies backpressure).
 *
 * Owns: Endpoint (held messages, counts, ack timing by count and bytes).
 * Imports: the wire format. The caller owns sockets, timers and the
 * handshake (client: src/client/session.ts; server: src/session-server/).
 */
import type { TransportData } from '../transport/types.js';
import { writeControl } from './wire.js';

/** Bounds and ack timing of one end (see the session options for the defaults). */
export interface EndpointLimits {
  /** Most messages held for the peer (sent or waiting to be, not yet acknowledged). */
  readonly maxBuffered: number;
  /** Most bytes held; one message larger than this is still taken when nothing else is held. */
  readonly maxBufferedBytes: number;
  /** Acknowledge at the latest after this many received messages. */
  readonly ackEvery: number;
}

/** Also acknowledge once this many received bytes are unacknowledged (§6), so a large-message sender is not held up by the count. */
export const ACK_BYTES = 65_536; // 64 KiB (a literal: esbuild keeps unused constants computed with an operator)

/** A message held until the peer acknowledges it. */
export interface Held<T> {
  /** Its number in the session (1-based). */
  readonly seq: number;
  /** What goes on the wire (escaped: see `wrapData`). */
  readonly wire: TransportData;
  readonly bytes: number;
  /** The caller's handle on it (the client's queued message, the server's pending promise). */
  readonly item: T;
}

export class Endpoint<T> {
  /** Data messages received (and handed to the application): what our acks say. */
  received = 0;
  /** Data messages numbered so far: the number of the newest. */
  sent = 0;
  /** What the peer has acknowledged: every message up to this number. */
  acked = 0;
  private held: Held<T>[] = [];
  private heldBytes = 0;
  /** The count our last ack (or hello) carried. */
  private ackedToPeer = 0;
  /** Bytes received since that ack. */
  private unackedBytes = 0;

  constructor(readonly limits: EndpointLimits) {}

  /** Messages held (not acknowledged). */
  get buffered(): number {
    return this.held.length;
  }

  get bufferedBytes(): number {
    return this.heldBytes;
  }

  /** Whether a message of `bytes` fits the buffer now. */
  hasRoom(bytes: number): boolean {
    const { maxBuffered, maxBufferedBytes } = this.limits;
    if (this.held.length === 0) return true;
    return this.held.length < maxBuffered && this.heldBytes + bytes <= maxBufferedBytes;
  }

  /**
   * Whether the held messages are down to half of both bounds: a sender
   * that found the buffer full goes on from here (in batches, rather than a
   * message or two per ack, which costs a write each).
   */
  get drained(): boolean {
    const { maxBuffered, maxBufferedBytes } = this.limits;
    return this.held.length <= maxBuffered / 2 && this.heldBytes <= maxBufferedBytes / 2;
  }

  /** Numbers an outgoing message and holds it until acknowledged; the caller checked `hasRoom`. */
  hold(wire: TransportData, bytes: number, item: T): Held<T> {
    const held: Held<T> = { seq: ++this.sent, wire, bytes, item };
    this.held.push(held);
    this.heldBytes += bytes;
    return held;
  }

  /**
   * The peer has received every message up to `count` (an ack, or the count
   * in its hello): returns the items released, oldest first, or undefined
   * when `count` is impossible (below an earlier ack, or above what was
   * sent): a violation of the protocol.
   */
  release(count: number): T[] | undefined {
    if (count < this.acked || count > this.sent) return undefined;
    const gone = this.held.splice(0, count - this.acked);
    this.acked = count;
    const items: T[] = [];
    for (const held of gone) {
      this.heldBytes -= held.bytes;
      items.push(held.item);
    }
    return items;
  }

  /** The held messages, oldest first: what a new connection sends again, after `release` of the peer's count. */
  pending(): readonly Held<T>[] {
    return this.held;
  }

  /** One data message arrived; returns true when an ack is due now (by count or bytes), else the caller acks within its delay. */
  arrived(bytes: number): boolean {
    this.received++;
    this.unackedBytes += bytes;
    return this.received - this.ackedToPeer >= this.limits.ackEvery || this.unackedBytes >= ACK_BYTES;
  }

  /** Whether something received is not acknowledged yet. */
  get owesAck(): boolean {
    return this.received !== this.ackedToPeer;
  }

  /** The count to announce (in an ack, or in a resume/session frame): everything received, marked as acknowledged. */
  announce(): number {
    this.ackedToPeer = this.received;
    this.unackedBytes = 0;
    return this.received;
  }

  /** The ack frame owed now, or undefined when everything received is already acknowledged. */
  ack(): string | undefined {
    return this.owesAck ? writeControl({ type: 'ack', received: this.announce() }) : undefined;
  }

  /** Starts over (the session was lost or ended): returns every held item, oldest first, and zeroes the counts. */
  reset(): T[] {
    const items = this.held.map((held) => held.item);
    this.held = [];
    this.heldBytes = 0;
    this.received = this.sent = this.acked = this.ackedToPeer = this.unackedBytes = 0;
    return items;
  }
}
