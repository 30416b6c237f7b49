/**
 * `connect()` options: their types, TSDoc with defaults, the rules they are
 * checked by at the call (src/protocol/input.ts: an unknown key or a wrong
 * type is a TypeError, a value out of range a RangeError, both with
 * `WS_ERR_INVALID_OPTION` and a message naming the option), and their
 * resolution into the values the client runs on.
 *
 * Owns: ConnectOptions, Provider, the option specs and defaults,
 * `resolveOptions`, `checkSendOptions`.
 * Imports: the input rules and errors; types and defaults of sibling modules.
 */
import { checkOptions, checkOrder, checkProtocols, invalid, type OptionSpec } from '../protocol/input.js';
import { ErrorCodes } from '../protocol/errors.js';
import type { Codec } from './codecs.js';
import type { Part } from './part.js';
import { defaultShouldReconnect, type RetryInfo } from './retry.js';
import type { SendOptions } from './send-queue.js';
import type { Sharing } from './shared/shared.js';

/** A value, or a function returning it (sync or async), called before every connection attempt. */
export type Provider<T> = T | (() => T | Promise<T>);

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
  /** Liveness checking: a `heartbeat({...})`, or `false` for none. Default: `heartbeat()` (protocol pings) in Node, none in browsers. */
  heartbeat?: Part | false;
  /** A reliable session across reconnects: a `session({...})`, or `false` for none. Default: none. */
  session?: Part | false;
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
  /** React to the page's lifecycle (online, page visible, bfcache restore) in browsers. Default true. */
  lifecycle?: boolean;
  /** One connection for every tab of the origin: a `shared({...})`, or `false`. Browsers only; Node ignores it (a normal connection). Default: not shared. */
  shared?: Sharing | false;
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
  heartbeat: Part | false | undefined;
  session: Part | false | undefined;
  maxQueued: number;
  maxQueuedBytes: number;
  overflow: 'reject' | 'drop-oldest' | 'drop-newest';
  highWaterMark: number;
  lowWaterMark: number;
  lifecycle: boolean;
  shared: Sharing | false | undefined;
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
    lifecycle: true,
  },
  // protocols and the parts take several shapes; resolveOptions checks them.
  types: { protocols: 'any', codec: 'object', heartbeat: 'any', session: 'any', shared: 'any' },
  least: { factor: 1 },
  unbounded: ['maxAttempts'],
  choices: { overflow: ['reject', 'drop-oldest', 'drop-newest'] },
} satisfies OptionSpec;

const SEND_OPTIONS: OptionSpec = {
  defaults: { ttl: 0, dropOnReconnect: false },
  types: { compress: 'boolean' },
};

const WHERE = 'connect():';

function isCodec(value: unknown): value is Codec {
  return typeof (value as Codec)?.encode === 'function' && typeof (value as Codec).decode === 'function';
}

/**
 * Checks `options` against `spec` (the common rules plus the platform's)
 * and resolves them with the defaults. Throws at the call: TypeError or
 * RangeError with `WS_ERR_INVALID_OPTION`, or the subprotocol rule's error.
 */
export function resolveOptions(options: ConnectOptions | undefined, spec: OptionSpec, defaultHeartbeat?: () => Part): Resolved {
  const resolved = checkOptions<Resolved>(options, spec, WHERE);
  checkOrder(WHERE, resolved, 'minDelay', 'maxDelay');
  checkOrder(WHERE, resolved, 'lowWaterMark', 'highWaterMark');
  const refuse = (subject: string, expected: string, got: unknown): Error => invalid('TypeError', ErrorCodes.INVALID_OPTION, `${WHERE} ${subject}`, expected, got);

  const protocols = resolved.protocols;
  resolved.protocols = typeof protocols === 'function' ? protocols : checkProtocols(protocols);
  const codecShape = 'an object with encode() and decode()';
  if (resolved.codec !== undefined && !isCodec(resolved.codec)) throw refuse('option codec', codecShape, resolved.codec);
  for (const [name, codec] of Object.entries(resolved.codecs)) {
    if (!isCodec(codec)) throw refuse(`codecs.${name}`, codecShape, codec);
    // A codec is picked by the subprotocol the server selects: one for a subprotocol never offered is never used.
    if (Array.isArray(resolved.protocols) && !resolved.protocols.includes(name)) {
      throw refuse('codecs keys', 'offered subprotocols (the codec option is for no subprotocol)', name);
    }
  }

  // The optional parts are functions made by their import (`heartbeat({...})`), or false.
  for (const name of ['heartbeat', 'session', 'shared'] as const) {
    const part = resolved[name];
    if (part !== undefined && part !== false && typeof part !== 'function') throw refuse(`option ${name}`, `${name}({...}) or false`, part);
  }
  if (resolved.heartbeat === undefined) resolved.heartbeat = defaultHeartbeat?.();
  return resolved;
}

/** Checks `send()`'s options. */
export function checkSendOptions(options: SendOptions | undefined): SendOptions {
  return checkOptions<SendOptions>(options, SEND_OPTIONS, 'send():');
}
