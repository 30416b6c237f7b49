/**
 * The seam for the optional parts of a connection (the heartbeat today; a
 * reliable session or a tab-shared connection can plug in the same way).
 * A part is created by a function the application imports and passes in
 * the options (`heartbeat: heartbeat({...})`), so a bundle carries only the
 * parts it uses. The client calls the part's hooks at the moments named
 * below; the part acts through the host.
 *
 * Owns: the Part, PartHost and PartHooks types. Imports: types only.
 */
import type { IncomingData, Transport } from '../transport/types.js';
import type { Clock } from './clock.js';
import type { ClientFeatures } from './features.js';

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
  /** The connection is dead: it is dropped at once (no closing handshake) and the retry rules decide what follows. */
  lost(error: Error): void;
  /** A heartbeat probe was answered after `ms`: counted in stats and reported as a `heartbeat` event. */
  answered(ms: number): void;
  /** Reports a problem that does not end the connection (application code the part called threw) as an `error` event. */
  error(error: unknown): void;
}

/** When the client calls a part. Every hook is optional. */
export interface PartHooks {
  /** A connection opened (before the queue is flushed and `open` is emitted). */
  opened?(): void;
  /** The open connection ended, or was let go. */
  closed?(): void;
  /** A message arrived, before decoding; return true when it is the part's own and must not reach the application. */
  received?(data: IncomingData): boolean;
  /** Inbound traffic that is not a message (control frames). */
  activity?(): void;
  /** The page came back (online, visible, restored) while the connection is open. */
  wake?(): void;
}

/** A part: given its host once, when the connection is created; returns its hooks. */
export type Part = (host: PartHost) => PartHooks;
