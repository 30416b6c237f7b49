/**
 * `connect()` options: their types, TSDoc with defaults, the rules they are
 * checked by at the call (src/protocol/input.ts: an unknown key or a wrong
 * type is a TypeError, a value out of range a RangeError, both with
 * `WS_ERR_INVALID_OPTION` and a message naming the option), and their
 * resolution into the values the client runs on.
 *
 * Owns: ConnectOptions, HeartbeatOptions, Provider, the option specs and
 * defaults, `resolveOptions`.
 * Imports: types from the transport seam and sibling modules, the input rules.
 */
import { checkOptions, checkOrder, checkProtocols, describe, inputError, type OptionSpec } from '../protocol/input.js';
import { ErrorCodes } from '../protocol/errors.js';
import type { IncomingData, OutgoingData } from '../transport/types.js';
import type { Codec } from './codecs.js';
import { defaultShouldReconnect, type RetryInfo } from './retry.js';
import type { SendOptions } from './send-queue.js';

/** A value, or a function returning it (sync or async), called before every connection attempt. */
export type Provider<T> = T | (() => T | Promise<T>);

/**
 * Liveness checking. Where the platform can send protocol pings (Node) and
 * no `message` is given, protocol pings (RFC 6455 §5.5.2) are sent. With
 * `message`, an app-level heartbeat is sent instead (the only kind browsers
 * can send). With neither it is an idle timeout: no inbound traffic for
 * `interval + timeout` ms drops the connection. Any inbound traffic counts
 * as a sign of life, and the next probe is timed from the last one.
 */
export interface HeartbeatOptions {
  /** Probe after this much inbound silence, ms. Default 30,000. */
  interval?: number;
  /** Drop the connection (at once, no close handshake) and reconnect when nothing arrives this long after a probe, ms. Default 10,000. */
  timeout?: number;
  /** App-level heartbeat message (or a function making one). Default: none. */
  message?: OutgoingData | (() => OutgoingData);
  /** Recognises the reply to `message`; matches are not delivered as messages. Default: `data === 'pong'`. */
  isPong?: (data: IncomingData) => boolean;
  /** Enforce the timeout while the page is hidden (browsers throttle timers there). Default false. */
  whileHidden?: boolean;
}

/** Options of `connect()`, on every platform. Every one is optional. */
export interface ConnectOptions {
  /** Subprotocols to offer, or a provider called before every attempt. Default: none. */
  protocols?: Provider<string | readonly string[]>;
  /** Fail (close code 1002, not retried by default) when the server selects no subprotocol. Default false. */
  requireProtocol?: boolean;
  /** The codec used when no subprotocol was selected, or the selected one has no entry in `codecs`. Default: none (raw strings and bytes). */
  codec?: Codec<any, any>;
  /** Codecs by subprotocol, used when the server selects that subprotocol; each key must be an offered subprotocol. Default: none. */
  codecs?: Readonly<Record<string, Codec<any, any>>>;
  /** Do not connect until `open()` (or `reconnect()`) is called. Default false. */
  startClosed?: boolean;
  /** Time allowed for one attempt (providers and handshake), and for our closing handshake, ms; 0 = no limit. Default 10,000. */
  connectTimeout?: number;
  /** Upper bound of the first reconnect delay, ms. Default 1,000. */
  minDelay?: number;
  /** Cap of the reconnect delay, ms. Default 30,000. */
  maxDelay?: number;
  /** Growth of the delay bound per failed attempt. Default 2. */
  factor?: number;
  /** A connection must stay open this long for the attempt counter (and so the backoff) to reset, ms. Default 5,000. */
  stableAfter?: number;
  /** Failed attempts in a row (no stable connection between) before giving up with `end` (reason `maxAttempts`); 0 = never retry. Default Infinity. */
  maxAttempts?: number;
  /** Whether to retry after an attempt or connection ended without our asking. Default: `defaultShouldReconnect`. */
  shouldReconnect?: (info: RetryInfo) => boolean;
  /** Liveness checking; `false` disables it. Default: protocol pings where the platform can send them (Node), otherwise off. */
  heartbeat?: HeartbeatOptions | false;
  /** Most messages waiting in the send queue. Default 1,000. */
  maxQueued?: number;
  /** Most bytes (UTF-8 for text) waiting in the send queue. Default 1 MiB. */
  maxQueuedBytes?: number;
  /** When the queue is full: reject the new send (`WS_ERR_QUEUE_FULL`), or drop the oldest or the newest message (`WS_ERR_SEND_DROPPED`). Default 'reject'. */
  overflow?: 'reject' | 'drop-oldest' | 'drop-newest';
  /** Above this many bytes buffered in the socket, new sends wait in the queue. Default 1 MiB. */
  highWaterMark?: number;
  /** `drain` fires when the socket buffer falls to this many bytes. Default 256 KiB. */
  lowWaterMark?: number;
  /** Messages an async iterator may hold before reading from the network pauses (where the platform can pause: Node). Default 64. */
  receiveHighWaterMark?: number;
  /** React to the page's lifecycle (online, page visible, bfcache restore) in browsers. Default true. */
  lifecycle?: boolean;
}

/** A heartbeat as the client runs it. `message` undefined: protocol pings or an idle timeout. */
export interface ResolvedHeartbeat {
  interval: number;
  timeout: number;
  message: HeartbeatOptions['message'];
  isPong: (data: IncomingData) => boolean;
  whileHidden: boolean;
}

/** Options after checking, with defaults applied. */
export interface Resolved {
  /** The checked list, or the provider to call (and check) before each attempt. */
  protocols: readonly string[] | (() => string | readonly string[] | Promise<string | readonly string[]>);
  requireProtocol: boolean;
  codec: Codec<unknown, unknown> | undefined;
  codecs: Readonly<Record<string, Codec<unknown, unknown>>>;
  startClosed: boolean;
  connectTimeout: number;
  minDelay: number;
  maxDelay: number;
  factor: number;
  stableAfter: number;
  maxAttempts: number;
  shouldReconnect: (info: RetryInfo) => boolean;
  heartbeat: ResolvedHeartbeat | undefined;
  maxQueued: number;
  maxQueuedBytes: number;
  overflow: 'reject' | 'drop-oldest' | 'drop-newest';
  highWaterMark: number;
  lowWaterMark: number;
  receiveHighWaterMark: number;
  lifecycle: boolean;
}

/** The options every platform knows, by their defaults; a platform adds its own (see `ClientFeatures.options`). */
export const CONNECT_OPTIONS = {
  defaults: {
    requireProtocol: false,
    codecs: {},
    startClosed: false,
    connectTimeout: 10_000,
    minDelay: 1_000,
    maxDelay: 30_000,
    factor: 2,
    stableAfter: 5_000,
    maxAttempts: Infinity,
    shouldReconnect: defaultShouldReconnect,
    maxQueued: 1_000,
    maxQueuedBytes: 1 << 20,
    overflow: 'reject',
    highWaterMark: 1 << 20,
    lowWaterMark: 1 << 18,
    receiveHighWaterMark: 64,
    lifecycle: true,
  },
  // protocols and heartbeat take several shapes; resolveOptions checks them.
  types: { protocols: 'any', codec: 'object', heartbeat: 'any' },
  least: { factor: 1, receiveHighWaterMark: 1 },
  unbounded: ['maxAttempts'],
  choices: { overflow: ['reject', 'drop-oldest', 'drop-newest'] },
} satisfies OptionSpec;

const HEARTBEAT_OPTIONS: OptionSpec = {
  defaults: { interval: 30_000, timeout: 10_000, isPong: (data: IncomingData) => data === 'pong', whileHidden: false },
  types: { message: 'any' },
  least: { interval: 1, timeout: 1 },
};

const SEND_OPTIONS: OptionSpec = {
  defaults: { ttl: 0, dropOnReconnect: false },
  types: { compress: 'boolean' },
};

const WHERE = 'connect()';

function isCodec(value: unknown): value is Codec {
  return typeof (value as Codec)?.encode === 'function' && typeof (value as Codec).decode === 'function';
}

/**
 * Checks `options` against `spec` (the common rules plus the platform's)
 * and resolves them with the defaults. Throws at the call: TypeError or
 * RangeError with `WS_ERR_INVALID_OPTION`, or the subprotocol rule's error.
 * `pingHeartbeat`: the platform sends protocol pings, so the heartbeat
 * defaults to on.
 */
export function resolveOptions(options: ConnectOptions | undefined, spec: OptionSpec, pingHeartbeat: boolean): Resolved {
  const resolved = checkOptions<Omit<Resolved, 'heartbeat'> & { heartbeat: HeartbeatOptions | false | undefined | ResolvedHeartbeat }>(options, spec, WHERE);
  checkOrder(WHERE, resolved, 'minDelay', 'maxDelay');
  checkOrder(WHERE, resolved, 'lowWaterMark', 'highWaterMark');
  const invalid = (message: string): Error => inputError('TypeError', ErrorCodes.INVALID_OPTION, `${WHERE}: ${message}`);

  const protocols = resolved.protocols;
  resolved.protocols = typeof protocols === 'function' ? protocols : checkProtocols(protocols);
  if (resolved.codec !== undefined && !isCodec(resolved.codec)) throw invalid('option codec must have encode() and decode() methods');
  for (const [name, codec] of Object.entries(resolved.codecs)) {
    if (!isCodec(codec)) throw invalid(`codecs[${describe(name)}] must have encode() and decode() methods`);
    // A codec is picked by the subprotocol the server selects: one for a subprotocol never offered is never used.
    if (Array.isArray(resolved.protocols) && !resolved.protocols.includes(name)) {
      throw invalid(`codecs has ${describe(name)}, which is not an offered subprotocol; use the codec option for a codec without one`);
    }
  }

  const heartbeat = resolved.heartbeat;
  if (heartbeat !== undefined && heartbeat !== false && typeof heartbeat !== 'object') throw invalid(`option heartbeat must be an object or false, got ${describe(heartbeat)}`);
  // Without protocol pings and without a message, a heartbeat is an idle timeout.
  resolved.heartbeat = heartbeat || (heartbeat === undefined && pingHeartbeat) ? checkOptions<ResolvedHeartbeat>(heartbeat || {}, HEARTBEAT_OPTIONS, `${WHERE} heartbeat`) : undefined;
  return resolved as Resolved;
}

/** Checks `send()`'s options. */
export function checkSendOptions(options: SendOptions | undefined): SendOptions {
  return checkOptions<SendOptions>(options, SEND_OPTIONS, 'send()');
}
