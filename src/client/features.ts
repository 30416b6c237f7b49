/**
 * What a platform adds to the resilient client beyond the WHATWG WebSocket
 * surface every platform has. The entry points inject it: src/node.ts hands
 * the client `nodeFeatures` (./node-features.ts: protocol-ping heartbeat,
 * receive pause, drain events, Retry-After, the Node-only options); the
 * browser entry hands it `browserFeatures` below and never imports the Node
 * ones, so a browser bundle carries none of their code. One code path runs
 * on both: the client calls a feature when present and does without it
 * when absent.
 *
 * Owns: the ClientFeatures seam, the browser's (polling) drain watcher.
 * Imports: transport and clock types, the option rule types.
 */
import type { OptionSpec } from '../protocol/input.js';
import type { CloseInfo, Transport } from '../transport/types.js';
import type { Clock } from './clock.js';
import type { Part } from './part.js';

/** How the client learns that a socket's buffer fell back to the low-water mark. Returns the function that stops watching. */
export type DrainWatcher = (transport: Transport, lowWaterMark: number, clock: Clock, drained: () => void) => () => void;

export interface ClientFeatures {
  /** Options this platform accepts beyond the common ones (Node: `headers`, `socket`, `maxRetryAfter`): their defaults and types. */
  readonly options?: Pick<OptionSpec, 'defaults' | 'types'>;
  /** Waits for a socket's buffer to drain. */
  readonly watchDrain: DrainWatcher;
  /** The heartbeat when the options give none (Node: protocol pings, `heartbeat()`). */
  readonly defaultHeartbeat?: () => Part;
  /** Sends a protocol ping (RFC 6455 §5.5.2) and resolves with the round trip in ms. */
  readonly ping?: (transport: Transport, data?: Uint8Array) => Promise<number>;
  /** Stops (true) or resumes (false) reading from the network (receive backpressure: `pause()`/`resume()`). */
  readonly pauseReading?: (transport: Transport, paused: boolean) => void;
  /** The delay the server asked for before the next attempt (Retry-After), in ms, already capped. */
  readonly serverDelay?: (info: CloseInfo, options: Readonly<Record<string, unknown>>) => number | undefined;
}

/** How often a polling drain watcher looks at `bufferedAmount`, ms. */
const DRAIN_POLL = 50;

/** Browsers have no drain event: look at `bufferedAmount` every 50 ms until it is at or below the low-water mark. */
export const pollDrain: DrainWatcher = (transport, lowWaterMark, clock, drained) => {
  let timer = clock.set(check, DRAIN_POLL);
  function check(): void {
    if (transport.bufferedAmount > lowWaterMark) timer = clock.set(check, DRAIN_POLL);
    else drained();
  }
  return () => clock.clear(timer);
};

/** What the browser entry injects: only the polling drain watcher. */
export const browserFeatures: ClientFeatures = { watchDrain: pollDrain };
