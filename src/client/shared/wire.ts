/**
 * What the tabs of one shared connection say to each other over their
 * BroadcastChannel (HTML §9.5: every other channel of the same name in the
 * same storage partition gets each message, in the order one sender posted
 * them). The leader tab owns the socket and speaks `LeaderMessage`s; every
 * tab speaks `TabMessage`s to it. Each message carries the leader's term
 * (a leader tab id plus a count), so that what was meant for a leader that
 * has since left is recognised and ignored.
 *
 * Everything here is structured-cloneable: strings, numbers, plain objects,
 * Uint8Array, ArrayBuffer and Blob. Errors travel as plain objects (a
 * structured clone keeps an Error's message but not its class or `code`)
 * and are rebuilt on arrival.
 *
 * Owns: the message shapes, the names of the lock and channel, error
 * (de)serialisation. Imports: types, the error class.
 */
import { LifelineError } from '../../protocol/errors.js';
import type { CloseInfo, IncomingData, OutgoingData } from '../../transport/types.js';
import type { State } from '../state.js';
import type { Stats } from '../stats.js';

/**
 * Version of this message format. It is part of the lock and channel names,
 * so tabs running lifeline builds that speak different versions never talk:
 * each version elects its own leader (one socket per version).
 */
export const WIRE_VERSION = 1;

/** The name of the Web Lock and of the BroadcastChannel for one (url, key): both are scoped to the origin by the browser. */
export function sharedName(url: string | undefined, key: string): string {
  return `lifeline-ws/shared/${WIRE_VERSION} ${JSON.stringify([url ?? null, key])}`;
}

/** The connection as a leader last described it. */
export interface Snapshot {
  state: State;
  protocol: string;
  extensions: string;
  /** The leader's stats (the socket's counters), `queued` excepted: each tab counts its own. */
  stats: Stats;
  /** The leader's wall clock when taken, to advance `uptime` from. */
  at: number;
  /** A connection has been open before (a later open is a reconnect). */
  opened: boolean;
}

/** An Error on the wire. */
export interface WireError {
  name: string;
  message: string;
  code?: string;
  closeCode?: number;
}

/** A CloseInfo on the wire (its `error` flattened). */
export type WireClose = Omit<CloseInfo, 'error'> & { error?: WireError; willReconnect?: boolean };

/** Events the leader mirrors to every tab. */
export type MirroredEvent = 'state' | 'open' | 'close' | 'reconnecting' | 'heartbeat' | 'session' | 'drain' | 'error' | 'end';

/** Per-send options on the wire: `ttl` is what is left of it. */
export interface WireSendOptions {
  ttl?: number;
  dropOnReconnect?: boolean;
  compress?: boolean;
}

/** A message whose tab went away before it was sent: whoever leads next sends it. */
export interface Orphan {
  data: OutgoingData;
  options: WireSendOptions;
}

export type LeaderMessage =
  /** "I lead term `term`": on election and in answer to `hello`. */
  | { type: 'lead'; term: string; snapshot: Snapshot }
  | { type: 'event'; term: string; name: MirroredEvent; payload: unknown; snapshot: Snapshot }
  /** An inbound message, as the socket delivered it (each tab decodes it with its own codec). */
  | { type: 'message'; term: string; data: IncomingData; snapshot: Snapshot }
  /** Tab `to`'s send `id` was handed to the socket, or (with `error`) rejected. */
  | { type: 'ack'; term: string; to: string; id: number; error?: WireError; snapshot: Snapshot }
  | { type: 'pong'; term: string; to: string }
  /** The counters changed by the leader tab's own sends (no other message carried them yet). */
  | { type: 'stats'; term: string; snapshot: Snapshot }
  /** The leader steps down; `orphans` are its own unsent messages when its tab is going away; `snapshot` its last description (counters go on across leaders). */
  | { type: 'bye'; term: string; orphans: Orphan[]; snapshot?: Snapshot };

export type TabMessage =
  /** A tab joined: the leader answers with `lead`. */
  | { type: 'hello'; from: string }
  | { type: 'send'; from: string; term: string; id: number; data: OutgoingData; options: WireSendOptions }
  /** `open()`, `reconnect()` or a page wake-up (online, visible, restored) in a follower tab. */
  | { type: 'control'; from: string; term: string; op: 'open' | 'reconnect' | 'wake' }
  /** Is the leader still there? (asked after a silence) */
  | { type: 'ping'; from: string; term: string }
  /** A follower tab going away with messages it could not hand to a leader yet. */
  | { type: 'adopt'; from: string; orphans: Orphan[] };

export type WireMessage = LeaderMessage | TabMessage;

/** Flattens an error for the wire. */
export function toWire(error: unknown): WireError {
  const source = (error ?? {}) as { name?: unknown; message?: unknown; code?: unknown; closeCode?: unknown };
  const wire: WireError = {
    name: typeof source.name === 'string' ? source.name : 'Error',
    message: typeof source.message === 'string' ? source.message : String(error),
  };
  if (typeof source.code === 'string') wire.code = source.code;
  if (typeof source.closeCode === 'number') wire.closeCode = source.closeCode;
  return wire;
}

/** Rebuilds an error from the wire: a LifelineError when it has a code, else an Error of the same name. */
export function fromWire(wire: WireError): Error {
  if (wire.code !== undefined) {
    const error = new LifelineError(wire.code, wire.message, wire.closeCode);
    if (wire.name !== 'LifelineError') error.name = wire.name;
    return error;
  }
  const error = new Error(wire.message);
  error.name = wire.name;
  return error;
}

export function closeToWire(close: CloseInfo & { willReconnect?: boolean }): WireClose {
  const { error, ...rest } = close;
  return error ? { ...rest, error: toWire(error) } : rest;
}

export function closeFromWire<T extends WireClose>(close: T): Omit<T, 'error'> & { error?: Error } {
  const { error, ...rest } = close;
  return error ? { ...rest, error: fromWire(error) } : rest;
}

/** A mirrored event's payload for the wire: the errors in `close`, `end` and `error` flattened, the others as they are. */
export function eventToWire(type: MirroredEvent, payload: unknown): unknown {
  switch (type) {
    case 'close':
      return closeToWire(payload as CloseInfo);
    case 'end': {
      const end = payload as { reason: string; close?: CloseInfo };
      return { reason: end.reason, close: end.close && closeToWire(end.close) };
    }
    case 'error':
      return toWire(payload);
    default:
      return payload;
  }
}

/** A mirrored event's payload as it came from the wire (see eventToWire), its errors rebuilt. */
export function eventFromWire(type: MirroredEvent, payload: unknown): unknown {
  switch (type) {
    case 'close':
      return closeFromWire(payload as WireClose);
    case 'end': {
      const end = payload as { reason: string; close?: WireClose };
      return { reason: end.reason, close: end.close && closeFromWire(end.close) };
    }
    case 'error':
      return fromWire(payload as WireError);
    default:
      return payload;
  }
}

/** A message's send options for the wire, with `ttl` as what is left of it (undefined: none). */
export function wireOptions(options: { dropOnReconnect?: boolean; compress?: boolean }, ttl: number | undefined): WireSendOptions {
  const wire: WireSendOptions = {};
  if (ttl !== undefined) wire.ttl = ttl;
  if (options.dropOnReconnect) wire.dropOnReconnect = true;
  if (options.compress !== undefined) wire.compress = options.compress;
  return wire;
}
