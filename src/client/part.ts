/**
 * The seam for the optional parts of a connection: the heartbeat, the
 * reliable session, later a tab-shared connection. A part is created by a
 * function the application imports and passes in the options
 * (`heartbeat: heartbeat({...})`, `session: session({...})`), so a bundle
 * carries only the parts it uses. The client calls the part's hooks at the
 * moments named below; the part acts through the host.
 *
 * Parts are stacked, the one nearest the wire first (session, then
 * heartbeat): a message coming in passes through `received` in that order,
 * and each part sees what the one before it passed on.
 *
 * Owns: the Part, PartHost and PartHooks types. Imports: types only.
 */
import type { IncomingData, Transport, TransportData } from '../transport/types.js';
import type { ClientEvents } from './client.js';
import type { Clock } from './clock.js';
import type { ClientFeatures } from './features.js';
import type { Delivery, QueuedMessage } from './send-queue.js';

/** What a part sees of its connection. */
export interface PartHost {
  /** The open transport (undefined while not open). */
  readonly transport: Transport | undefined;
  /** The connection's clock: its callbacks run inside the client's event ordering (./emitter.ts). */
  readonly clock: Clock;
  /** What the platform can do (a protocol ping in Node). */
  readonly features: ClientFeatures;
  /** True while the page is hidden (browsers throttle timers there). */
  hidden(): boolean;
  /** The connection is dead or unusable: it is dropped at once (no closing handshake), reported with close `code` (default 1006), and the retry rules decide what follows. */
  lost(error: Error, code?: number): void;
  /** A heartbeat probe was answered after `ms`: counted in stats and reported as a `heartbeat` event. */
  answered(ms: number): void;
  /** Reports a problem that does not end the connection (application code the part called threw) as an `error` event. */
  error(error: unknown): void;
  /** Hands a part's own message to the current socket (open, or between its handshake and `ready()`), beside the send queue; false when no socket takes it. */
  send(data: TransportData): boolean;
  /** The open that `handshake` held may complete now: the queue is flushed and `open` emitted. */
  ready(): void;
  /** A part that answered `wait` to `deliver` can take messages again: the queue is flushed. */
  flush(): void;
  /** A liveness probe of a part's own (asked of the first part with a `ping` hook), or undefined when it has none now. */
  ping(): Promise<number> | undefined;
  /** Emits one of the connection's events (handed out when the current operation is complete, in order). */
  emit<K extends keyof ClientEvents>(type: K, payload: ClientEvents[K]): void;
}

/** When the client calls a part. Every hook is optional. */
export interface PartHooks {
  /** Before each attempt: the subprotocols to offer, given the application's (already checked). */
  offer?(protocols: readonly string[]): readonly string[];
  /**
   * The opening handshake completed with `protocol` selected. Returns the
   * subprotocol the application sees (a part that added its own to the
   * offer takes it off again) and whether the open waits for `host.ready()`
   * (the connection stays `connecting`, within `connectTimeout`).
   */
  handshake?(protocol: string): { protocol: string; hold: boolean };
  /** A connection opened (before the queue is flushed and `open` is emitted). */
  opened?(): void;
  /** The connection ended, or was let go (also after a held handshake). */
  closed?(): void;
  /** A message arrived, before decoding: returns what to pass on (it may change it), or undefined when it was the part's own; the parts after it then count it as activity. */
  received?(data: IncomingData): IncomingData | undefined;
  /** Inbound traffic that is not a message for this part (control frames, another part's messages). */
  activity?(): void;
  /**
   * The open connection stopped (false) or resumed (true) reading from the
   * network: the application paused it (receive backpressure, `pause()`).
   * Nothing arrives while it is stopped, not even answers to probes. Every
   * connection opens reading.
   */
  reading?(reading: boolean): void;
  /** The page came back (online, visible, restored) while the connection is open. */
  wake?(): void;
  /**
   * A queued message may go out now: undefined leaves it to the client (it
   * is sent as usual), `wait` keeps it first in the queue (until
   * `host.flush()`), `taken` means the part sent it and will settle its
   * promise (and report a rejection as `drop`). The first part with this
   * hook is asked.
   */
  deliver?(message: QueuedMessage): Delivery | undefined;
  /** A liveness probe of the part's own (a session's ping), resolving with the round trip; undefined when it has none now. */
  ping?(): Promise<number> | undefined;
  /** The application closes (`close()`): the socket still takes the part's last messages; `closed` follows when the closing handshake is over. */
  closing?(): void;
  /** The client ended (closed, terminated, given up): the part lets go of what it holds. */
  ended?(): void;
}

/** A part: given its host once, when the connection is created; returns its hooks. */
export type Part = (host: PartHost) => PartHooks;
