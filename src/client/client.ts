/**
 * The resilient client: one `Connection` that outlives its sockets. It dials
 * through a `TransportFactory` (the seam in src/transport/types.ts), moves
 * through the states of ./state.ts, retries with ./backoff.ts, watches
 * liveness with ./heartbeat.ts and the page with ./lifecycle.ts, and keeps a
 * bounded send queue with backpressure.
 *
 * Consistency rule: every entry point (public method, transport callback,
 * timer) runs inside `batch`, which defers events until the client's state
 * is complete, then emits them in order. Handlers run in a try/catch: a throw
 * goes to `error` listeners, or (if none, or from an `error` listener) is
 * rethrown asynchronously, so it is never swallowed and never leaves the
 * client half-updated.
 *
 * Owns: connection lifecycle, send queue, stats, events.
 * Must not import: a concrete transport, node:*, the protocol frame layer, fflate.
 */
import mittDefault from 'mitt';
import { LifelineError, type ErrorCode } from '../protocol/errors.js';
import type { CloseInfo, IncomingData, OutgoingData, Transport, TransportConnectOptions, TransportFactory, TransportHandlers } from '../transport/types.js';
import { backoff } from './backoff.js';
import { RICH } from './build.js';
import type { Clock, TimerHandle } from './clock.js';
import { sizeOf, utf8Length, type Codec } from './codecs.js';
import { createHeartbeat, type Heartbeat } from './heartbeat.js';
import type { Lifecycle } from './lifecycle.js';
import { checkProtocols, checkUrl, fail as bad, merge, resolveOptions, type ConnectOptions, type Provider } from './options.js';
import { next, type State, type Transition } from './state.js';

/** Per-message options of `send()`. */
export interface SendOptions {
  /** Reject with `WS_ERR_SEND_EXPIRED` if still queued after this many ms. Default: no limit. */
  ttl?: number;
  /** If the connection is lost while this message is queued, reject it (`WS_ERR_SEND_DROPPED`) rather than send it on the next connection. Default false. */
  dropOnReconnect?: boolean;
  /** Compress this message (Node, when permessage-deflate was negotiated). Default: the transport's choice. */
  compress?: boolean;
}

/** A socket (or an attempt) ended. */
export interface CloseEvent extends CloseInfo {
  /** A reconnect is scheduled (`reconnecting` follows). */
  willReconnect: boolean;
}

/** The client stopped for good (until `reconnect()`): `closed` by `close()`/`terminate()`, `maxAttempts` reached, or `noRetry` (shouldReconnect said no). */
export interface EndEvent {
  reason: 'closed' | 'maxAttempts' | 'noRetry';
  /** The close that ended it, if a socket or attempt ended it. */
  close: CloseInfo | undefined;
}

/** Counters since `connect()`. Bytes are payload bytes (UTF-8 for text). */
export interface Stats {
  messagesIn: number;
  messagesOut: number;
  bytesIn: number;
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

/** Events of a Connection and their payloads. */
export type ClientEvents<In = IncomingData> = {
  /** A connection opened (queued messages are already flushed). */
  open: { protocol: string; extensions: string };
  /** A message, decoded by the codec of the negotiated subprotocol if any. */
  message: In;
  close: CloseEvent;
  /** A retry is scheduled: attempt number (1-based) and delay in ms. */
  reconnecting: { attempt: number; delay: number };
  /** Every state change. */
  state: { from: State; to: State };
  /** The socket buffer fell to `lowWaterMark` after exceeding `highWaterMark`. */
  drain: undefined;
  /** A heartbeat answer with its round trip. */
  heartbeat: { rtt: number };
  /** A queued message was rejected (full queue, TTL, dropOnReconnect, close); its send() promise rejected with `error`. */
  drop: { data: unknown; error: Error };
  /** Non-fatal problems: failed attempts, decode errors, exceptions thrown by handlers. */
  error: unknown;
  end: EndEvent;
};

/** A connection that reconnects. Create with `connect()`. */
export interface Connection<In = IncomingData> extends AsyncIterable<In> {
  readonly state: State;
  /** The negotiated subprotocol ('' when none or not open). */
  readonly protocol: string;
  /** A snapshot of the counters. */
  readonly stats: Stats;
  /** Subscribe; returns the unsubscribe function. */
  on<K extends keyof ClientEvents<In>>(type: K, handler: (event: ClientEvents<In>[K]) => void): () => void;
  /**
   * Send `data` (encoded by the negotiated subprotocol's codec, if any). While
   * not open, or above `highWaterMark`, it waits in the queue, and queued
   * messages go out in order before newer ones. Resolves when handed to the
   * socket; rejects (LifelineError) if dropped, expired or the client closes.
   * Throws TypeError at once for data that cannot be sent.
   */
  send(data: unknown, options?: SendOptions): Promise<void>;
  /** Close (code 1000 or 3000-4999, reason ≤ 123 UTF-8 bytes) and stop reconnecting. */
  close(code?: number, reason?: string): void;
  /** Drop the socket at once (no close handshake) and stop reconnecting. */
  terminate(): void;
  /** Reconnect now (closes a current connection), resetting the attempt counter; also revives a closed client. */
  reconnect(): void;
}

/** What the entry points inject. */
export interface ClientEnv {
  clock: Clock;
  /** Uniform in [0, 1), for backoff jitter. */
  random: () => number;
  lifecycle?: Lifecycle | undefined;
}

interface Item {
  v: unknown; // the value given to send()
  d: OutgoingData; // encoded
  c: Codec | undefined; // codec that encoded it
  n: number; // bytes
  o: SendOptions;
  x: TimerHandle; // TTL timer
  res: () => void;
  rej: (e: Error) => void;
}

// mitt ships CJS-shaped typings; at run time the ESM build's default export is the factory.
const mitt = mittDefault as unknown as typeof mittDefault.default;
const noop = () => {};
type Code = ErrorCode extends `WS_ERR_${infer C}` ? C : never;
/** A LifelineError with code `WS_ERR_<c>` and the message 'lifeline: <c>' (e.g. 'lifeline: QUEUE_FULL'). */
const E = (c: Code) => new LifelineError(('WS_ERR_' + c) as ErrorCode, 'lifeline: ' + c);
const abnormal = (error?: Error, code = 1006) => ({ code, reason: '', wasClean: false, error }) as CloseInfo;
const call = <T>(p: Provider<T>): T | Promise<T> => (typeof p == 'function' ? (p as () => T)() : p);

/** Builds a Connection on `factory`. Entry points wrap this as `connect(url, options)`. */
export function connectWith<In = IncomingData>(
  factory: TransportFactory,
  url: Provider<string | URL>,
  options: ConnectOptions = {},
  env: ClientEnv,
): Connection<In> {
  const o = resolveOptions(options, factory.capabilities);
  if (typeof url != 'function') url = checkUrl(url);
  const { clock, lifecycle } = env;
  // Typed events on mitt; each handler is wrapped (below) so one that throws cannot stop the others.
  const em = mitt<Record<string, unknown>>();
  const pending: [string, unknown][] = [];
  const q: Item[] = [];
  // Stats counters, as locals (named once, in the stats getter).
  let mIn = 0;
  let mOut = 0;
  let bIn = 0;
  let bOut = 0;
  let rtt: number | undefined;
  const hbo = o.heartbeat;
  let depth = 0;
  let state: State = 'closed';
  let t: Transport | undefined;
  let gen = 0; // bumped whenever the current transport is abandoned; stale callbacks compare it
  let timer: TimerHandle; // backoff, connect or close deadline (one at a time)
  let sampler: TimerHandle; // bufferedAmount sampling while above the high mark
  let full = false; // above highWaterMark
  let attempt = 0;
  let opens = 0;
  let openedAt = 0;
  let protocol = '';
  let guess = (o.protocols as string[])[0] ?? ''; // codec key while not open ('' while the offer is a provider: a function has no [0])
  /** Bytes waiting in the queue (summed when asked: the queue is bounded, and this keeps no second count to go stale). */
  const qBytes = () => q.reduce((a, i) => a + i.n, 0);
  let rttSum = 0;
  let rttN = 0;
  let lag = 0; // async iterators over their receive mark
  let unwatch: (() => void) | undefined;

  const emit = (k: keyof ClientEvents, v?: unknown) => void pending.push([k, v]);
  const batch =
    <A extends unknown[], R>(f: (...a: A) => R) =>
    (...a: A): R => {
      depth++;
      try {
        return f(...a);
      } finally {
        if (!--depth) for (let e; (e = pending.shift()); ) em.emit(e[0], e[1]);
      }
    };
  const go = (ev: Transition) => {
    const from = state;
    state = next(state, ev);
    if (from != state) emit('state', { from, to: state });
  };

  /** Rejects `it` (taking it out of the queue if it is there) with `e`, or the error of code `e`. */
  const fail = (it: Item, e: Code | Error) => {
    take(it);
    clock.clear(it.x);
    if (typeof e == 'string') e = E(e);
    it.rej(e);
    emit('drop', { data: it.v, error: e });
  };
  const take = (it: Item) => {
    const i = q.indexOf(it);
    if (i >= 0) q.splice(i, 1);
    return it;
  };
  const encode = (it: Item, c: Codec | undefined) => {
    const d = c ? c.encode(it.v) : (it.v as OutgoingData);
    const n = sizeOf(d);
    it.d = d;
    it.c = c;
    it.n = n;
  };

  const flush = () => {
    for (let it; state == 'open' && !full && (it = q[0]); ) {
      const c = o.codecs[protocol];
      if (it.c !== c)
        try {
          encode(it, c); // negotiated a different subprotocol than guessed when it was queued
        } catch (e) {
          fail(it, e as Error);
          continue;
        }
      try {
        t!.send(it.d, it.o);
      } catch {
        break; // the socket is going away; the message waits for the next one
      }
      take(it);
      mOut++;
      bOut += it.n;
      clock.clear(it.x);
      it.res();
      if (t!.bufferedAmount > o.highWaterMark) watchDrain((full = true) && t!);
    }
  };
  const watchDrain = (tr: Transport) => {
    const sample = !RICH || !('onDrain' in tr);
    const f = batch(() => {
      if (t != tr) return;
      if (tr.bufferedAmount > o.lowWaterMark) {
        if (sample) sampler = clock.set(f, 50);
        return;
      }
      full = false;
      flush();
      if (!full) emit('drain');
    });
    if (sample) sampler = clock.set(f, 50);
    else tr.onDrain = f;
  };

  const pong = (ms: number | undefined) => {
    if (ms === undefined) return;
    rttSum += rtt = ms;
    rttN++;
    emit('heartbeat', { rtt: ms });
  };
  // Without a heartbeat its controls do nothing.
  const [hbStart, hbStop, seen, probe]: Heartbeat = hbo
    ? createHeartbeat(
        hbo,
        clock,
        () => {
          const my = gen;
          try {
            if (hbo.message !== undefined) t!.send(call(hbo.message as Provider<OutgoingData>) as OutgoingData);
            else if (RICH) t!.ping?.().then(batch((ms) => my == gen && (seen(), pong(ms))), noop);
          } catch {}
        },
        batch(() => lost(abnormal(E('HEARTBEAT_TIMEOUT')))),
        () => !!lifecycle?.hidden(),
      )
    : [noop, noop, noop as () => undefined, noop];

  /** Arms `timer` with the connect (or close handshake) deadline, if there is one. */
  const deadline = (f: () => void) => {
    if (o.connectTimeout) timer = clock.set(batch(f), o.connectTimeout);
  };

  /** Abandon the current transport: stale callbacks are ignored from here on. */
  const drop = (polite?: boolean) => {
    gen++;
    hbStop();
    clock.clear(timer);
    clock.clear(sampler);
    full = false;
    protocol = '';
    const old = t;
    t = undefined;
    if (old) polite ? old.close(1000, '') : old.terminate();
  };

  const finish = (reason: EndEvent['reason'], info?: CloseInfo) => {
    drop();
    unwatch?.();
    unwatch = undefined;
    for (const it of q.slice()) fail(it, 'CLIENT_CLOSED');
    if (info) emit('close', { ...info, willReconnect: false });
    go('end');
    emit('end', { reason, close: info });
  };

  /** An attempt or connection ended without our asking: retry or give up. */
  const lost = (info: CloseInfo) => {
    if (state == 'open') {
      if (clock.now() - openedAt >= o.stableAfter) attempt = 0;
      for (const it of q.filter((i) => i.o.dropOnReconnect)) fail(it, 'SEND_DROPPED');
    }
    drop();
    if (info.error) emit('error', info.error);
    let retry = attempt < o.maxAttempts;
    try {
      retry &&= o.shouldReconnect({ ...info, attempt });
    } catch (e) {
      retry = false;
      emit('error', e);
    }
    if (!retry) return finish(attempt < o.maxAttempts ? 'noRetry' : 'maxAttempts', info);
    let delay = backoff(attempt++, o, env.random);
    if (RICH) delay = Math.max(delay, info.retryAfterMs ?? 0); // Retry-After, where the transport sees it
    timer = clock.set(dial, delay);
    emit('close', { ...info, willReconnect: true });
    go('lost');
    emit('reconnecting', { attempt, delay });
  };

  const handlers = (my: number): TransportHandlers => {
    const live =
      <A>(f: (a: A) => void) =>
      (a: A) =>
        my == gen && batch(f)(a);
    const alive = live<unknown>(() => seen()) as () => void;
    const h: TransportHandlers = {
      open: live(({ protocol: p, extensions }) => {
        if (o.requireProtocol && !p) return lost(abnormal(E('HANDSHAKE_PROTOCOL'), 1002));
        clock.clear(timer);
        protocol = guess = p;
        openedAt = clock.now();
        opens++;
        go('opened');
        hbStart();
        flush(); // queued messages go first, before anything sent from the open handler
        emit('open', { protocol: p, extensions });
      }),
      message: live((d) => {
        mIn++;
        bIn += sizeOf(d);
        if (hbo && hbo.message !== undefined && hbo.isPong(d)) return pong(seen(true));
        seen();
        const c = o.codecs[protocol];
        try {
          emit('message', c ? c.decode(d) : d);
        } catch (e) {
          emit('error', e);
        }
      }),
      close: live((info) => {
        t = undefined; // it is closed: nothing to terminate
        state == 'closing' ? finish('closed', info) : lost(info);
      }),
    };
    if (RICH) h.activity = h.pong = alive; // liveness only; the RTT comes from the ping() promise
    return h;
  };

  const dial = batch(() => {
    drop();
    go('dial');
    if (o.lifecycle && lifecycle) unwatch ??= lifecycle.watch(wake);
    const my = gen;
    deadline(() => lost(abnormal(E('CONNECT_TIMEOUT'))));
    // async: a provider that throws rejects like one that rejects.
    Promise.all([url, o.protocols, o.headers].map(async (p) => call(p as Provider<unknown>)))
      .then(
        batch(([u, p, h]) => {
          if (my != gen) return;
          // headers undefined = none (the transports treat a missing and an undefined `headers` alike).
          t = factory(checkUrl(u), { protocols: checkProtocols(p as string | string[]), headers: h } as TransportConnectOptions, handlers(my));
          if (RICH && lag) t.pause?.();
        }),
      )
      .catch(batch((e) => my == gen && lost(abnormal(e))));
  });
  const wake = batch(() => (state == 'waiting' ? dial() : state == 'open' && probe()));
  /** An async iterator went over (+1) or back under (-1) its receive mark: pause reading while any is over. */
  const setLag = (d: number) => {
    if (!RICH) return;
    lag += d;
    if (lag == +(d > 0)) d > 0 ? t?.pause?.() : t?.resume?.();
  };

  /** Subscribes `f` wrapped so that a throw goes to `error` handlers, or is rethrown asynchronously (never swallowed). */
  const on = (k: string, f: (e: any) => void) => {
    const g = (v: unknown) => {
      try {
        f(v);
      } catch (x) {
        if (k != 'error' && em.all.get('error')?.length) pending.push(['error', x]);
        else queueMicrotask(() => {
          throw x;
        });
      }
    };
    em.on(k, g);
    return () => em.off(k, g);
  };

  const conn: Connection<In> = {
    get state() {
      return state;
    },
    get protocol() {
      return protocol;
    },
    get stats() {
      // prettier-ignore
      return { messagesIn: mIn, messagesOut: mOut, bytesIn: bIn, bytesOut: bOut, reconnects: opens && opens - 1, rtt, rttAvg: rttN ? rttSum / rttN : undefined, uptime: state == 'open' ? clock.now() - openedAt : 0, queued: q.length, queuedBytes: qBytes() };
    },
    on,
    send: batch((data: unknown, so: SendOptions = {}) => {
      so = merge({ ttl: 0, dropOnReconnect: false }, so);
      if (so.compress !== undefined) merge({ compress: false }, so);
      let it!: Item;
      const p = new Promise<void>((res, rej) => (it = { v: data, o: so, res, rej } as Item));
      encode(it, o.codecs[guess]); // throws TypeError here, at the call
      p.catch(noop); // the caller may ignore it: a rejection is also reported as a `drop` event
      const fits = () => q.length < o.maxQueued && qBytes() + it.n <= o.maxQueuedBytes;
      let why: Code | undefined;
      if (state == 'closed' || state == 'closing') why = 'CLIENT_CLOSED';
      else if (state != 'open' || full || q.length) {
        // It has to wait: apply the bounds (a message that can go straight to the socket is not queued).
        if (o.overflow == 'drop-oldest' && it.n <= o.maxQueuedBytes && o.maxQueued) while (!fits()) fail(q[0]!, 'SEND_DROPPED');
        if (!fits()) why = o.overflow == 'reject' ? 'QUEUE_FULL' : 'SEND_DROPPED';
      }
      if (why) fail(it, why);
      else {
        q.push(it);
        if (so.ttl) it.x = clock.set(batch(() => fail(it, 'SEND_EXPIRED')), so.ttl);
        flush();
      }
      return p;
    }),
    close: batch((code?: number, reason = '') => {
      // WHATWG WebSocket close() rules; a reason fits a control frame with the code (RFC 6455 §5.5).
      bad(code !== undefined && code !== 1000 && !(code >= 3000 && code <= 4999 && code % 1 == 0), 'close code ' + code, true);
      bad(typeof reason != 'string' || utf8Length(reason) > 123, 'close reason', true);
      if (state == 'open') {
        go('close');
        hbStop(); // queued messages are rejected when the close completes (finish)
        deadline(() => finish('closed', abnormal(E('CLOSE_TIMEOUT'))));
        t!.close(code ?? 1000, reason);
      } else if (state != 'closed' && state != 'closing') finish('closed');
    }),
    terminate: batch(() => {
      if (state != 'closed') finish('closed', state == 'open' || state == 'closing' ? abnormal() : undefined);
    }),
    reconnect: batch(() => {
      attempt = 0;
      if (state == 'open') emit('close', { code: 1000, reason: '', wasClean: true, willReconnect: true });
      drop(state == 'open');
      dial();
    }),
    async *[Symbol.asyncIterator]() {
      const buf: In[] = [];
      let done = state == 'closed';
      let over = false;
      let wakeUp = noop;
      const offs = [
        on('message', (v: In) => {
          buf.push(v);
          if (RICH && !over && buf.length >= o.receiveHighWaterMark) setLag(+(over = true));
          wakeUp();
        }),
        on('end', () => {
          done = true;
          wakeUp();
        }),
      ];
      try {
        for (;;) {
          if (buf.length) {
            if (RICH && over && buf.length <= (o.receiveHighWaterMark >> 2) + 1) setLag(-!(over = false));
            yield buf.shift()!;
          } else if (done) return;
          else await new Promise<void>((r) => (wakeUp = r));
        }
      } finally {
        offs.forEach((f) => f());
        if (RICH && over) setLag(-1);
      }
    },
  };
  dial();
  return conn;
}
