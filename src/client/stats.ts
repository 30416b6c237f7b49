/**
 * A connection's counters: messages and bytes each way, reconnects, the
 * heartbeat's round trips, how long the current connection has been open.
 *
 * Owns: the Stats shape and its counters. Imports: the clock type.
 */
import type { Clock } from './clock.js';

/**
 * Counters since `connect()`. Messages are the application's (each counted
 * once, when handed to the socket or to a session; a part's own, such as a
 * heartbeat's probes and pongs or a session's acks and replays, are not);
 * bytes are their payload bytes (UTF-8 for text). Received text in browsers
 * counts its length instead (UTF-16 units: the same for ASCII, fewer
 * otherwise): the browser does not report a frame's size, and counting
 * every message's UTF-8 would cost a page far more than the rest
 * of lifeline's work on it (README, Performance). A message that a part
 * changed on its way in (the rare text a session escapes) counts the UTF-8
 * bytes of what reached the application, on every platform.
 */
export interface Stats {
  messagesIn: number;
  messagesOut: number;
  /** Payload bytes received (in browsers a text message counts its length: see above). */
  bytesIn: number;
  /** Payload bytes handed to the socket (UTF-8 for text, everywhere). */
  bytesOut: number;
  /** Successful reconnects (opens after the first). */
  reconnects: number;
  /** Last heartbeat round trip, ms. */
  rtt: number | undefined;
  /** Mean heartbeat round trip, ms. */
  rttAvg: number | undefined;
  /** Time the current connection has been open, ms (0 when not open). */
  uptime: number;
  /** Messages and bytes waiting in the send queue. */
  queued: number;
  queuedBytes: number;
}

export interface StatsCounter {
  /** A connection opened. */
  opened(): void;
  received(bytes: number): void;
  sent(bytes: number): void;
  roundTrip(ms: number): void;
  /** Time since the last open, ms. */
  uptime(): number;
  /** The counters now; `open` says whether a connection is open, `queue` what waits to be sent. */
  snapshot(open: boolean, queue: { readonly length: number; readonly bytes: number }): Stats;
}

export function createStats(clock: Clock): StatsCounter {
  /**
   * The traffic counters, as fields of one object rather than closure variables: V8 (Node 20) updates a number
   * field in place, but gives a closure variable that has outgrown a small integer (a byte count past 2 GiB) a new
   * heap number on every addition, 16 bytes of garbage per message.
   */
  const traffic = { messagesIn: 0, messagesOut: 0, bytesIn: 0, bytesOut: 0 };
  let opens = 0;
  let openedAt = 0;
  let rtt: number | undefined;
  let rttSum = 0;
  let rttCount = 0;
  return {
    opened() {
      opens++;
      openedAt = clock.now();
    },
    received(bytes) {
      traffic.messagesIn++;
      traffic.bytesIn += bytes;
    },
    sent(bytes) {
      traffic.messagesOut++;
      traffic.bytesOut += bytes;
    },
    roundTrip(ms) {
      rtt = ms;
      rttSum += ms;
      rttCount++;
    },
    uptime: () => clock.now() - openedAt,
    snapshot: (open, queue) => ({
      ...traffic,
      reconnects: Math.max(0, opens - 1),
      rtt,
      rttAvg: rttCount ? rttSum / rttCount : undefined,
      uptime: open ? clock.now() - openedAt : 0,
      queued: queue.length,
      queuedBytes: queue.bytes,
    }),
  };
}
