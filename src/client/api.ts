/**
 * The resilient client's public types: the Connection API, its events and
 * their payloads, what the entries inject (ClientEnv). The implementation is
 * ./client.ts.
 *
 * Owns: Connection, ClientEvents, CloseEvent, EndEvent, Supports, ClientEnv.
 * Imports: types only.
 */
import type { CloseInfo, IncomingData } from '../transport/types.js';
import type { Clock } from './clock.js';
import type { Handler } from './emitter.js';
import type { ClientFeatures } from './features.js';
import type { Lifecycle } from './lifecycle.js';
import type { SessionEvent } from './session.js';
import type { SendOptions } from './send-queue.js';
import type { State } from './state.js';
import type { Stats } from './stats.js';

/** A socket (or an attempt) ended. */
export interface CloseEvent extends CloseInfo {
  /** A reconnect is scheduled (`reconnecting` follows). */
  willReconnect: boolean;
}

/**
 * The client stopped for good (until `open()` or `reconnect()`): `closed` by
 * `close()`/`terminate()`; `maxAttempts` reached; `noRetry` when the retry
 * rules said no; `error` when a provider returned input no retry can fix
 * (an invalid URL, subprotocol or header), which `close.error` holds.
 */
export interface EndEvent {
  reason: 'closed' | 'maxAttempts' | 'noRetry' | 'error';
  /** The close that ended it, if a socket or attempt ended it. */
  close: CloseInfo | undefined;
}

/** Events of a Connection and their payloads. */
export type ClientEvents<In = IncomingData> = {
  /** A connection opened (queued messages are already flushed). */
  open: { protocol: string; extensions: string };
  /** A message, decoded by the codec in use. */
  message: In;
  close: CloseEvent;
  /** A retry is scheduled: attempt number (1-based) and delay in ms. */
  reconnecting: { attempt: number; delay: number };
  /** Every state change; it comes before the other events of the same step. */
  state: { from: State; to: State };
  /** The socket buffer fell to `lowWaterMark` after exceeding `highWaterMark`. */
  drain: undefined;
  /** A heartbeat answer with its round trip. */
  heartbeat: { rtt: number };
  /** What became of the reliable session on a connection that opened (only with the `session` option). */
  session: SessionEvent;
  /** A ping frame arrived (Node; the pong is already on its way): its payload. */
  ping: Uint8Array;
  /** A pong frame arrived (Node): its payload. */
  pong: Uint8Array;
  /** A send was rejected (full queue, TTL, dropOnReconnect, close, unreadable Blob); its promise rejected with `error`. */
  drop: { data: unknown; error: Error };
  /** Non-fatal problems: failed attempts, decode errors, exceptions thrown by handlers. */
  error: unknown;
  end: EndEvent;
};

/** A connection that reconnects. Create with `connect()`. */
export interface Connection<In = IncomingData, Out = unknown> {
  readonly state: State;
  /** The negotiated subprotocol ('' when none, or not open). */
  readonly protocol: string;
  /** The negotiated extensions, as the server's Sec-WebSocket-Extensions value ('' when none, or not open). */
  readonly extensions: string;
  /** Bytes handed to the socket and not yet written to the network (0 when not open); what waits in the queue is `stats.queuedBytes`. */
  readonly bufferedAmount: number;
  /** What this platform can do beyond the WHATWG WebSocket: `ping` (protocol pings) and `pause` (stop reading) are true in Node, false in browsers. */
  readonly supports: Supports;
  /** A snapshot of the counters. */
  readonly stats: Stats;
  /** Subscribe; returns the unsubscribe function. */
  on<K extends keyof ClientEvents<In>>(type: K, handler: Handler<ClientEvents<In>[K]>): () => void;
  /** Subscribe to the next event of `type` only; returns the unsubscribe function. */
  once<K extends keyof ClientEvents<In>>(type: K, handler: Handler<ClientEvents<In>[K]>): () => void;
  /** Unsubscribe `handler` (no-op if it is not subscribed). */
  off<K extends keyof ClientEvents<In>>(type: K, handler: Handler<ClientEvents<In>[K]>): void;
  /**
   * Send `data`, encoded by the codec in use. While not open, above
   * `highWaterMark`, or behind earlier messages, it waits in the queue;
   * queued messages go out in order before newer ones. Resolves when handed
   * to the socket (within a session: when the peer acknowledged it, unless
   * `resolveOn: 'send'`); rejects (LifelineError) if dropped, expired, the
   * session is lost or the client closes first. Throws at once for data
   * that cannot be sent (TypeError, `WS_ERR_INVALID_DATA`) or bad options.
   */
  send(data: Out, options?: SendOptions): Promise<void>;
  /** Connect now if closed, waiting out a backoff delay, or closing (the closing handshake is abandoned); no-op while connecting or open. */
  open(): void;
  /** Close (code 1000 or 3000-4999, reason ≤ 123 UTF-8 bytes) and stop reconnecting. */
  close(code?: number, reason?: string): void;
  /** Drop the socket at once (no close handshake) and stop reconnecting. */
  terminate(): void;
  /** Reconnect now (closing a current connection), resetting the attempt counter; also revives a closed client. */
  reconnect(): void;
  /**
   * Send a protocol ping (RFC 6455 §5.5.2) and resolve with the round trip in
   * ms when its pong arrives. Node only: in browsers (`supports.ping` false)
   * it rejects with WS_ERR_UNSUPPORTED; while not open, with WS_ERR_INVALID_STATE.
   * `data` (text as UTF-8, or bytes) is at most 125 bytes (RFC 6455 §5.5): a
   * longer one rejects with a RangeError (WS_ERR_CONTROL_PAYLOAD_TOO_LONG),
   * one of another type with a TypeError (WS_ERR_INVALID_DATA).
   */
  ping(data?: Uint8Array | string): Promise<number>;
  /** Stop reading from the network, for receive backpressure, where the platform can (`supports.pause`: Node); in browsers it does nothing. It holds while a connection is open (handshakes are read) and across reconnects. Messages already received may still arrive. */
  pause(): void;
  /** Read from the network again after `pause()`. */
  resume(): void;
}

/** What the platform can do beyond the WHATWG WebSocket surface. */
export interface Supports {
  /** Protocol pings (`ping()`, `ping`/`pong` events, the heartbeat's pings). */
  readonly ping: boolean;
  /** Receive backpressure (`pause()`/`resume()`). */
  readonly pause: boolean;
}

/** What the entry points inject. */
export interface ClientEnv {
  clock: Clock;
  /** Uniform in [0, 1), for backoff jitter. */
  random: () => number;
  lifecycle?: Lifecycle | undefined;
  features: ClientFeatures;
  /** What a relative URL is resolved against, asked at each attempt (browsers: the document's base URL now, as `new WebSocket()` does); none in Node. */
  baseUrl?: (() => string | undefined) | undefined;
}

