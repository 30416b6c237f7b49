/**
 * `connect()` options: their types, TSDoc with defaults, and the validation
 * that turns a bad option into a TypeError (wrong type) or RangeError (out of
 * range) at the call, never a late failure.
 *
 * Owns: ConnectOptions, HeartbeatOptions, RetryInfo, the default retry rules
 * (`defaultShouldReconnect`), `resolveOptions`.
 * Imports: types from the transport seam and sibling modules only.
 */
import type { CloseInfo, IncomingData, OutgoingData, TransportCapabilities } from '../transport/types.js';
import type { Codec } from './codecs.js';

/** A value, or a function returning it (sync or async) evaluated on every connection attempt. */
export type Provider<T> = T | (() => T | Promise<T>);

/** What `shouldReconnect` is asked about: the close of an attempt or connection. */
export interface RetryInfo extends CloseInfo {
  /** Failed attempts in a row so far (0 after a stable connection). */
  attempt: number;
}

/**
 * Liveness checking. With a transport that can ping (Node) and no `message`,
 * protocol pings (RFC 6455 §5.5.2) are sent. With `message`, an app-level
 * heartbeat is sent instead (the only kind browsers can send). Without either
 * it is an idle timeout: no inbound traffic for `interval + timeout` ms
 * drops the connection. Any inbound traffic counts as a sign of life, and
 * the next probe is timed from the last one.
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
  /** Enforce the timeout while the page is hidden (timers are throttled there). Default false. */
  whileHidden?: boolean;
}

/** Options of `connect()`. Every one is optional. */
export interface ConnectOptions {
  /** Subprotocols to offer, or a provider evaluated per attempt. Default: none. */
  protocols?: Provider<string | readonly string[]>;
  /** Fail (with close code 1002, not retried by default) when the server selects no subprotocol. Default false. */
  requireProtocol?: boolean;
  /** Codecs by negotiated subprotocol (`''` = none negotiated), applied to send and receive. Default: none (raw data). */
  codecs?: Readonly<Record<string, Codec<any>>>;
  /** Request headers, or a provider per attempt (Node only; a TypeError in browsers). */
  headers?: Provider<Readonly<Record<string, string>>>;
  /** Time allowed for one attempt (providers + handshake), and for our close handshake, ms; 0 = none. Default 10,000. */
  connectTimeout?: number;
  /** Upper bound of the first reconnect delay, ms. Default 1,000. */
  minDelay?: number;
  /** Cap of the reconnect delay, ms. Default 30,000. */
  maxDelay?: number;
  /** Growth of the delay bound per failed attempt. Default 2. */
  factor?: number;
  /** A connection must stay open this long before the attempt counter resets, ms. Default 5,000. */
  stableAfter?: number;
  /** Reconnect attempts in a row (no stable connection between) before giving up with `end` (reason `maxAttempts`); 0 = never reconnect. Default Infinity. */
  maxAttempts?: number;
  /** Decides whether to retry after an attempt or connection ends. Default: `defaultShouldReconnect`. */
  shouldReconnect?: (info: RetryInfo) => boolean;
  /** Liveness checking; `false` disables. Default: protocol pings where the transport can ping (Node), otherwise off. */
  heartbeat?: HeartbeatOptions | false;
  /** Most messages waiting in the send queue. Default 1,000. */
  maxQueued?: number;
  /** Most bytes (UTF-8 for text) waiting in the send queue. Default 1 MiB. */
  maxQueuedBytes?: number;
  /** When the queue is full: reject the new send (`WS_ERR_QUEUE_FULL`), drop the oldest or the newest message (`WS_ERR_SEND_DROPPED`). Default 'reject'. */
  overflow?: 'reject' | 'drop-oldest' | 'drop-newest';
  /** Above this many bytes buffered in the socket, new sends wait in the queue. Default 1 MiB. */
  highWaterMark?: number;
  /** `drain` fires when the socket buffer falls to this many bytes. Default 256 KiB. */
  lowWaterMark?: number;
  /** Messages an async iterator may hold before reading from the network pauses (Node). Default 64. */
  receiveHighWaterMark?: number;
  /** React to browser lifecycle events (online, page visible, bfcache restore). Default true. */
  lifecycle?: boolean;
}

const NO_RETRY_CODES = [1002, 1003, 1007, 1008, 1009, 1010];

/**
 * The default retry rules: do not retry after a close with 1002 (protocol
 * error), 1003 (unsupported data), 1007 (invalid data), 1008 (policy
 * violation), 1009 (too big) or 1010 (missing extension) (RFC 6455 §7.4.1),
 * nor after a refused handshake with a 4xx status other than 408 and 429
 * (where the transport can see the status: Node). Retry everything else
 * (network errors, 1001, 1006, 1011-1014, 5xx, timeouts). A close we asked
 * for ourselves is never retried and never reaches this function.
 */
export const defaultShouldReconnect = (i: RetryInfo): boolean =>
  // A status is three digits: a 4xx other than 408 and 429 (undefined: no status seen).
  !NO_RETRY_CODES.includes(i.code) && !/^4(?!08|29)/.test(i.status as unknown as string);

/** Options after validation, with defaults applied. */
export type Resolved = Required<Omit<ConnectOptions, 'headers' | 'heartbeat'>> & {
  headers: ConnectOptions['headers'];
  heartbeat: (Required<Omit<HeartbeatOptions, 'message'>> & Pick<HeartbeatOptions, 'message'>) | false;
};

/** The defaults; an option's type must be the type of its default. */
const defaults = {
  requireProtocol: false,
  codecs: {},
  connectTimeout: 1e4,
  minDelay: 1e3,
  maxDelay: 3e4,
  factor: 2,
  stableAfter: 5e3,
  maxAttempts: Infinity,
  shouldReconnect: defaultShouldReconnect,
  maxQueued: 1e3,
  maxQueuedBytes: 1 << 20,
  overflow: 'reject',
  highWaterMark: 1 << 20,
  lowWaterMark: 1 << 18,
  receiveHighWaterMark: 64,
  lifecycle: true,
};
const heartbeatDefaults = { interval: 3e4, timeout: 1e4, whileHidden: false, isPong: (d: IncomingData) => d === 'pong' };
const OVERFLOW = ['reject', 'drop-oldest', 'drop-newest'];
/** Numbers that must be at least 1 (all others at least 0). */
const ONE = ['factor', 'receiveHighWaterMark', 'interval', 'timeout'];

/**
 * Throws `lifeline: invalid <what>` if `bad`: a RangeError (out of range) with
 * `range`, else a TypeError (wrong type). The messages are short on purpose
 * (they ship in the browser bundle): they name the option or argument, the
 * class says what kind of problem it is, and the valid values are in the TSDoc.
 */
export const fail = (bad: unknown, what: string, range?: boolean): void => {
  if (bad) throw new (range ? RangeError : TypeError)('lifeline: invalid ' + what);
};

/** `o` over `d` (undefined and null take the default), each value checked against its default's type; numbers ≥ 0 (≥ 1 where listed in ONE). */
export const merge = <T extends object>(d: T, o: object, name = 'options'): T => {
  fail(typeof o != 'object' || !o, name);
  const r: any = { ...o };
  for (const k in d) {
    const v = (r[k] ??= d[k]);
    fail(typeof v != typeof d[k], k);
    fail(v < +ONE.includes(k) || v !== v, k, true);
  }
  return r;
};

/** Validates `o` for a transport with `caps`; throws TypeError/RangeError naming the option. */
export function resolveOptions(o: ConnectOptions, caps: TransportCapabilities): Resolved {
  const r = merge(defaults, o) as Resolved;
  const hb = r.heartbeat ?? (caps.ping && {});
  fail(!OVERFLOW.includes(r.overflow), 'overflow', true);
  fail(r.headers && !caps.headers, 'headers');
  fail(r.lowWaterMark > r.highWaterMark, 'lowWaterMark', true);
  fail(r.minDelay > r.maxDelay, 'minDelay', true);
  r.heartbeat = hb && merge(heartbeatDefaults, hb, 'heartbeat');
  // Checked now unless it is a provider; kept as the checked array (its first entry picks the codec while not open).
  if (typeof r.protocols != 'function') r.protocols = checkProtocols(r.protocols ?? []);
  return r;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~\w]+$/;

/** Subprotocol list as offered (RFC 6455 §4.1: tokens, RFC 7230 §3.2.6; no duplicates); throws TypeError. */
export function checkProtocols(p: string | readonly string[]): string[] {
  const a = typeof p == 'string' ? [p] : [...p];
  a.forEach((s, i) => fail(typeof s != 'string' || !TOKEN.test(s) || a.indexOf(s) < i, 'subprotocol ' + s));
  return a;
}

/** The URL to connect to, checked (ws:, wss:, http: or https:, no fragment, RFC 6455 §3); throws TypeError. */
export function checkUrl(u: unknown): string {
  // Anything else is stringified first, as the WHATWG WebSocket constructor does (42, null, {} are not URLs).
  try {
    const x = new URL(u as string);
    if (/^(ws|http)s?:$/.test(x.protocol) && !x.hash) return x.href;
  } catch {}
  throw fail(1, 'URL ' + u);
}
