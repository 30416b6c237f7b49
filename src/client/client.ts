/**
 * The resilient client: one `Connection` that outlives its sockets. It
 * dials through a `TransportFactory` (the seam in src/transport/types.ts),
 * moves through the transition table of ./state.ts (one method here per
 * action the table names), retries by ./retry.ts, watches the page with
 * ./lifecycle.ts, and sends through ./send-queue.ts. Optional parts (the
 * heartbeat, the reliable session) plug in through the seam of ./part.ts.
 * What only some platforms have (protocol pings, receive pause, drain
 * events, Retry-After) arrives as injected features (./features.ts).
 *
 * Consistency: every entry point (a public method, a transport callback, a
 * timer) runs inside the emitter's `run()`, so events are handed out only
 * when the client's state is complete, in order, and a throwing handler
 * cannot leave the client half-updated (./emitter.ts). Callbacks of a
 * transport the client has let go of are recognised by their generation
 * and ignored.
 *
 * Owns: the connection's lifecycle, stats, the public Connection API.
 * Must not import: a concrete transport, node:*, the protocol frame layer, fflate.
 */
import { ErrorCodes, LifelineError, type ErrorCode } from '../protocol/errors.js';
import { checkClose, checkProtocols, type OptionSpec } from '../protocol/input.js';
import { checkUrl } from '../protocol/url.js';
import type { CloseInfo, IncomingData, Transport, TransportData, TransportFactory, TransportHandlers } from '../transport/types.js';
import type { Clock, TimerHandle } from './clock.js';
import type { Stats } from './stats.js';
import { sizeOf, type Codec } from './codecs.js';
import { createEmitter, type Handler } from './emitter.js';
import type { ClientFeatures } from './features.js';
import type { PartHooks, PartHost } from './part.js';
import type { Lifecycle } from './lifecycle.js';
import { CONNECT_OPTIONS, checkSendOptions, resolveOptions, type ConnectOptions, type Provider } from './options.js';
import { retryDelay } from './retry.js';
import { createSendQueue, type Delivery, type QueuedMessage, type SendOptions } from './send-queue.js';
import type { SessionEvent } from './session.js';
import { createStats } from './stats.js';
import { step, type Action, type State, type Transition } from './state.js';

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
  /** Connect now if closed (or waiting out a backoff delay); no-op while connecting or open. */
  open(): void;
  /** Close (code 1000 or 3000-4999, reason ≤ 123 UTF-8 bytes) and stop reconnecting. */
  close(code?: number, reason?: string): void;
  /** Drop the socket at once (no close handshake) and stop reconnecting. */
  terminate(): void;
  /** Reconnect now (closing a current connection), resetting the attempt counter; also revives a closed client. */
  reconnect(): void;
  /** Stop reading from the network, for receive backpressure, where the platform can (Node); in browsers it does nothing (they cannot). Messages already received may still arrive. */
  pause(): void;
  /** Read from the network again after `pause()`. */
  resume(): void;
}

/** What the entry points inject. */
export interface ClientEnv {
  clock: Clock;
  /** Uniform in [0, 1), for backoff jitter. */
  random: () => number;
  lifecycle?: Lifecycle | undefined;
  features: ClientFeatures;
}

/** What a step's action receives. */
interface StepDetail {
  /** `finish`, `wait`: how the socket or attempt ended. */
  close?: CloseInfo | undefined;
  /** `finish`: why the client ends. */
  reason?: EndEvent['reason'];
  /** `wait`: the delay before the next attempt. */
  delay?: number;
  /** `activate`: what the handshake agreed. */
  opened?: { protocol: string; extensions: string };
  /** `startClosing`: our close frame. */
  code?: number | undefined;
  closeReason?: string | undefined;
}

const abnormal = (error?: Error, code = 1006): CloseInfo => (error ? { code, reason: '', wasClean: false, error } : { code, reason: '', wasClean: false });
const clientError = (code: ErrorCode, message: string): LifelineError => new LifelineError(code, `lifeline: ${message}`);
const call = <T>(provider: Provider<T>): T | Promise<T> => (typeof provider === 'function' ? (provider as () => T | Promise<T>)() : provider);

/** Builds a Connection on `factory`. Entry points wrap this as `connect(url, options)`. */
export function connectWith<In = IncomingData, Out = unknown>(
  factory: TransportFactory,
  url: Provider<string | URL>,
  options: ConnectOptions | undefined,
  env: ClientEnv,
): Connection<In, Out> {
  const { features } = env;
  const extra = features.options;
  const spec: OptionSpec = extra
    ? { ...CONNECT_OPTIONS, defaults: { ...CONNECT_OPTIONS.defaults, ...extra.defaults }, types: { ...CONNECT_OPTIONS.types, ...extra.types } }
    : CONNECT_OPTIONS;
  const resolved = resolveOptions(options, spec);
  /** The options with defaults, for the platform features that read their own (`headers`, `maxRetryAfter`). */
  const given = resolved as unknown as Readonly<Record<string, unknown>>;
  // Checked now unless it is a provider (then before each attempt).
  const target: Provider<string | URL> = typeof url === 'function' ? url : checkUrl(url);
  const events = createEmitter<ClientEvents<In>>();
  /** The injected clock, with every callback run inside the emitter's `run()`. */
  const clock: Clock = {
    now: () => env.clock.now(),
    set: (callback, ms) => env.clock.set(() => events.run(callback), ms),
    clear: (handle) => env.clock.clear(handle),
  };
  const queue = createSendQueue(resolved, clock, {
    dropped: (data, error) => events.emit('drop', { data, error }),
    readable: () => events.run(flush),
  });
  const stats = createStats(clock);
  /** The parts (./part.ts), nearest the wire first. */
  const parts: PartHooks[] = [];
  /** Calls hook `name` of every part that has it. */
  const notify = (name: 'opened' | 'closed' | 'activity' | 'wake' | 'closing' | 'ended'): void => {
    for (const part of parts) part[name]?.();
  };

  let state: State = 'closed';
  let transport: Transport | undefined;
  /** Bumped whenever the current transport is let go of; stale callbacks compare it. */
  let generation = 0;
  /** A transport was made since the parts were last told `closed`. */
  let dialled = false;
  /** The backoff timer, or the deadline of an attempt or of our closing handshake (one at a time). */
  let timer: TimerHandle;
  let stopWatchingDrain: (() => void) | undefined;
  let stopWatchingPage: (() => void) | undefined;
  /** Above the high-water mark: new sends wait until the socket drains. */
  let backpressure = false;
  /** The application paused reading (receive backpressure). */
  let paused = false;
  /** Failed attempts in a row. */
  let attempt = 0;
  let protocol = '';
  /** A completed handshake whose open a part holds until `host.ready()`. */
  let held: { protocol: string; extensions: string } | undefined;
  /** The subprotocol to encode for while not open: the last one negotiated, or the first offered. */
  let expectedProtocol = typeof resolved.protocols === 'function' ? '' : (resolved.protocols[0] ?? '');

  // --- the state machine ---

  /** Takes the table's step for `event`: the new state (and its `state` event), then the action. */
  function take(event: Transition, detail: StepDetail = {}): void {
    const from = state;
    const { to, action } = step(from, event);
    state = to;
    if (from !== to) events.emit('state', { from, to });
    perform(action, detail, from);
  }

  function perform(action: Action, detail: StepDetail, from: State): void {
    switch (action) {
      case 'dial':
        return dial();
      case 'redial':
        // An open connection is closed politely; an attempt or a closing socket is dropped.
        letGo(from === 'open');
        return dial();
      case 'activate':
        return activate(detail.opened!);
      case 'probe':
        return notify('wake');
      case 'wait':
        return wait(detail.close!, detail.delay!);
      case 'startClosing':
        return startClosing(detail.code, detail.closeReason);
      case 'finish':
        return finish(detail.reason ?? 'closed', detail.close);
      case 'none':
        return;
    }
  }

  // --- actions (one per `Action` of the table) ---

  /** Opens a transport: providers first (async), then the factory. */
  function dial(): void {
    letGo(false);
    const lifecycle = env.lifecycle;
    if (resolved.lifecycle && lifecycle && !stopWatchingPage) stopWatchingPage = lifecycle.watch(() => events.run(() => take('wake')));
    const current = generation;
    const { connectTimeout } = resolved;
    if (connectTimeout) {
      timer = clock.set(
        () => lost(abnormal(clientError(ErrorCodes.CONNECT_TIMEOUT, `not open after connectTimeout ${connectTimeout} ms`))),
        connectTimeout,
      );
    }
    // Providers run async, so one that throws rejects like one that rejects.
    const providers = [target, resolved.protocols, given['headers']] as Provider<unknown>[];
    Promise.all(providers.map(async (provider) => call(provider))).then(
      ([href, protocols, headers]) => events.run(() => current === generation && openTransport(href, protocols, headers)),
      (error: unknown) => events.run(() => current === generation && lost(abnormal(error as Error))),
    );
  }

  function openTransport(href: unknown, protocols: unknown, headers: unknown): void {
    try {
      // Input no retry can fix (an invalid URL, subprotocol or header from a provider) ends the client.
      const checkedUrl = checkUrl(href);
      let offered: readonly string[] = checkProtocols(protocols);
      for (const part of parts) offered = part.offer?.(offered) ?? offered;
      dialled = true;
      transport = factory(checkedUrl, headers === undefined ? { protocols: offered } : { protocols: offered, headers }, handlers(generation));
    } catch (error) {
      events.emit('error', error);
      take('giveUp', { reason: 'error', close: abnormal(error as Error) });
      return;
    }
    if (paused) features.pauseReading?.(transport, true);
  }

  function activate(opened: { protocol: string; extensions: string }): void {
    env.clock.clear(timer);
    protocol = expectedProtocol = opened.protocol;
    stats.opened();
    notify('opened');
    // Queued messages go first, before anything sent from an open handler.
    flush();
    events.emit('open', { protocol: opened.protocol, extensions: opened.extensions });
  }

  function wait(close: CloseInfo, delay: number): void {
    letGo(false);
    timer = clock.set(() => take('connect'), delay);
    events.emit('close', { ...close, willReconnect: true });
    events.emit('reconnecting', { attempt, delay });
  }

  function startClosing(code: number | undefined, reason: string | undefined): void {
    notify('closing');
    const { connectTimeout } = resolved;
    if (connectTimeout) {
      const timeout = abnormal(clientError(ErrorCodes.CLOSE_TIMEOUT, `not closed after connectTimeout ${connectTimeout} ms`));
      timer = clock.set(() => take('closed', { reason: 'closed', close: timeout }), connectTimeout);
    }
    // Queued messages are rejected when the close completes (`finish`).
    transport!.close(code ?? 1000, reason ?? '');
  }

  function finish(reason: EndEvent['reason'], close: CloseInfo | undefined): void {
    letGo(false);
    stopWatchingPage?.();
    stopWatchingPage = undefined;
    queue.rejectAll(`client ended (${reason}) before sending`);
    notify('ended');
    if (close) events.emit('close', { ...close, willReconnect: false });
    events.emit('end', { reason, close });
  }

  // --- helpers ---

  /** Lets go of the current transport (if any): stale callbacks are ignored from here on. */
  function letGo(polite: boolean): void {
    generation++;
    if (dialled) notify('closed');
    dialled = false;
    env.clock.clear(timer);
    stopWatchingDrain?.();
    stopWatchingDrain = undefined;
    backpressure = false;
    protocol = '';
    held = undefined;
    const old = transport;
    transport = undefined;
    if (!old) return;
    if (polite) old.close(1000, '');
    else old.terminate();
  }

  /** An attempt or a connection ended without our asking: retry or give up, by the retry rules. */
  function lost(close: CloseInfo): void {
    if (state === 'open') {
      // Only a connection that stayed open long enough resets the backoff: a server that accepts and then closes at once is still backed off.
      if (stats.uptime() >= resolved.stableAfter) attempt = 0;
      queue.dropOnReconnect();
    }
    if (close.error) events.emit('error', close.error);
    let retry = attempt < resolved.maxAttempts;
    try {
      retry &&= resolved.shouldReconnect({ ...close, attempt });
    } catch (error) {
      retry = false;
      events.emit('error', error);
    }
    if (!retry) {
      take('giveUp', { reason: attempt < resolved.maxAttempts ? 'noRetry' : 'maxAttempts', close });
      return;
    }
    const delay = retryDelay(attempt, resolved, env.random, features.serverDelay?.(close, given));
    attempt++;
    take('retry', { close, delay });
  }

  function handlers(current: number): TransportHandlers {
    const live = <A>(callback: (arg: A) => void) => (arg: A) => events.run(() => current === generation && callback(arg));
    return {
      open: live((info) => {
        let opened = info;
        let hold = false;
        // A part that added its own subprotocol to the offer says what the application sees.
        for (const part of parts) {
          const seen = part.handshake?.(opened.protocol);
          if (seen) {
            opened = { ...opened, protocol: seen.protocol };
            hold ||= seen.hold;
          }
        }
        // A part may have found the connection unfit (host.lost): it is let go already.
        if (current !== generation) return;
        if (resolved.requireProtocol && !opened.protocol) {
          lost(abnormal(clientError(ErrorCodes.HANDSHAKE_PROTOCOL, 'no subprotocol selected (requireProtocol)'), 1002));
        } else if (hold) held = opened;
        else take('opened', { opened });
      }),
      message: live(receive),
      close: live((close) => {
        transport = undefined; // it is closed: nothing to terminate
        if (state === 'closing') take('closed', { reason: 'closed', close });
        else lost(close);
      }),
      activity: live<void>(() => notify('activity')),
    };
  }

  function receive(data: IncomingData): void {
    // Each part passes on what is not its own (a session unwraps data, a heartbeat keeps its pong); the parts after one that kept it see activity.
    let passed: IncomingData | undefined = data;
    for (const part of parts) {
      if (passed === undefined) part.activity?.();
      else passed = part.received ? part.received(passed) : passed;
    }
    if (passed === undefined) return;
    stats.received(sizeOf(passed));
    const codec = codecFor(protocol);
    let message: In;
    try {
      message = (codec ? codec.decode(passed) : passed) as In;
    } catch (error) {
      events.emit('error', error);
      return;
    }
    events.emit('message', message);
  }

  function answered(roundTrip: number): void {
    stats.roundTrip(roundTrip);
    events.emit('heartbeat', { rtt: roundTrip });
  }

  function codecFor(subprotocol: string): Codec<unknown, unknown> | undefined {
    return resolved.codecs[subprotocol] ?? resolved.codec;
  }

  /** Hands queued messages to the socket while it is open and below the high-water mark. */
  function flush(): void {
    const current = transport;
    if (state !== 'open' || !current || backpressure) return;
    queue.flush(codecFor(protocol), (message) => deliver(current, message));
  }

  function deliver(current: Transport, message: QueuedMessage): Delivery {
    if (backpressure) return 'wait';
    // A part that carries messages itself (a session) may take it over.
    let delivery = carrier?.deliver?.(message);
    if (!delivery) {
      const { compress } = message.options;
      delivery = write(current, message.data as TransportData, compress === undefined ? undefined : { compress }) ? 'sent' : 'wait';
    }
    if (delivery !== 'wait') stats.sent(message.bytes);
    return delivery;
  }

  /** Hands `data` to the socket and watches its buffer; false when the socket refused it (it is going away). */
  function write(current: Transport, data: TransportData, options?: { compress: boolean }): boolean {
    try {
      current.send(data, options);
    } catch {
      return false; // the socket is going away; the message waits for the next one
    }
    if (!backpressure && current.bufferedAmount > resolved.highWaterMark) {
      backpressure = true;
      stopWatchingDrain = features.watchDrain(current, resolved.lowWaterMark, clock, () =>
        events.run(() => {
          stopWatchingDrain = undefined;
          backpressure = false;
          flush();
          if (!backpressure) events.emit('drain', undefined);
        }),
      );
    }
    return true;
  }

  // --- the public API ---

  const connection: Connection<In, Out> = {
    get state() {
      return state;
    },
    get protocol() {
      return protocol;
    },
    get stats() {
      return stats.snapshot(state === 'open', queue);
    },
    on: events.on,
    once: events.once,
    off: events.off,
    send: (data, sendOptions) =>
      events.run(() => {
        const checked = checkSendOptions(sendOptions);
        const mustWait = state !== 'open' || backpressure || queue.length > 0;
        const closed = state === 'closed' || state === 'closing';
        const sent = queue.add(data, checked, codecFor(expectedProtocol), mustWait, closed ? 'client closed (open() first)' : undefined);
        flush();
        return sent;
      }),
    open: () =>
      events.run(() => {
        if (state === 'closed' || state === 'waiting' || state === 'closing') take('connect');
      }),
    close(code, reason) {
      const checked = checkClose(code, reason);
      events.run(() => take('close', { code: checked.code, closeReason: checked.reason }));
    },
    terminate: () =>
      events.run(() => {
        const hadSocket = state === 'open' || state === 'closing';
        take('terminate', { reason: 'closed', close: hadSocket ? abnormal() : undefined });
      }),
    reconnect: () =>
      events.run(() => {
        attempt = 0;
        if (state === 'open') events.emit('close', { code: 1000, reason: '', wasClean: true, willReconnect: true });
        take('connect');
      }),
    pause: () => setPaused(true),
    resume: () => setPaused(false),
  };

  function setPaused(pause: boolean): void {
    if (paused === pause) return;
    paused = pause;
    if (transport) features.pauseReading?.(transport, pause);
  }

  // --- the parts (./part.ts), nearest the wire first ---

  const host: PartHost = {
    get transport() {
      return state === 'open' ? transport : undefined;
    },
    clock,
    features,
    hidden: () => env.lifecycle?.hidden() ?? false,
    // A part may find the connection unusable during a held handshake too.
    // Also during the opening handshake (a part that finds the server unfit); not while closing.
    lost: (error, code) => events.run(() => (state === 'open' || state === 'connecting' ? lost(abnormal(error, code)) : undefined)),
    answered: (roundTrip) => events.run(() => answered(roundTrip)),
    send: (data) => (transport ? write(transport, data) : false),
    ready: () =>
      events.run(() => {
        const opened = held;
        held = undefined;
        if (opened) take('opened', { opened });
      }),
    flush: () => events.run(flush),
    ping: () => prober?.ping?.(),
    emit: (type, payload) => events.emit(type, payload as ClientEvents<In>[typeof type]),
  };
  for (const part of [resolved.session, resolved.heartbeat]) if (part) parts.push(part(host));
  /** The parts asked to carry messages (a session) and to probe the peer (a session too), if any. */
  const carrier = parts.find((part) => part.deliver);
  const prober = parts.find((part) => part.ping);
  if (!resolved.startClosed) connection.open();
  return connection;
}
