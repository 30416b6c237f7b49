/**
 * The resilient client: one `Connection` that outlives its sockets. It
 * dials through a `TransportFactory` (the seam in src/transport/types.ts),
 * moves through the transition table of ./state.ts (one function here per
 * action the table names), retries by ./retry.ts, wakes on the page's
 * lifecycle (./lifecycle.ts), queues in ./send-queue.ts and sends through
 * ./sender.ts. Optional parts (the heartbeat, the reliable session) plug in
 * through ./part.ts;
 * what only some platforms have (protocol pings, receive pause, drain
 * events, Retry-After) arrives as injected features (./features.ts).
 *
 * Consistency: every entry point (a public method, a transport callback, a
 * timer) runs inside the emitter's `run()`, so events are handed out only
 * when the client's state is complete, in order, and a throwing handler
 * cannot leave the client half-updated (./emitter.ts). Callbacks of a
 * transport the client has let go of are recognised by their generation
 * and ignored.
 *
 * Owns: the connection's lifecycle (which transport is current, the
 * attempt counter, the deadlines), the public Connection API.
 * Must not import: a concrete transport, node:*, the protocol frame layer, fflate.
 */
import { ErrorCodes, LifelineError, type ErrorCode } from '../protocol/errors.js';
import { checkClose, checkPingPayload, checkProtocols, type OptionSpec } from '../protocol/input.js';
import { checkUrl } from '../protocol/url.js';
import type { CloseInfo, IncomingData, Transport, TransportData, TransportFactory, TransportHandlers } from '../transport/types.js';
import type { ClientEnv, ClientEvents, Connection, EndEvent, Supports } from './api.js';
import type { Clock, TimerHandle } from './clock.js';
import { decodeWith, sizeOf, type Codec } from './codecs.js';
import { createEmitter } from './emitter.js';
import type { PartHooks, PartHost } from './part.js';
import { CONNECT_OPTIONS, checkSendOptions, resolveOptions, type ConnectOptions, type Provider } from './options.js';
import { retryDelay } from './retry.js';
import { createSender } from './sender.js';
import { createSendQueue } from './send-queue.js';
import { createStats } from './stats.js';
import { step, type Action, type State, type Transition } from './state.js';

export type { ClientEnv, ClientEvents, CloseEvent, Connection, EndEvent, Supports } from './api.js';

/** What a step's action receives. */
interface StepDetail {
  /** `finish`, `wait`: how the socket or attempt ended. */
  close?: CloseInfo | undefined;
  /** `finish`: why the client ends. */
  reason?: EndEvent['reason'];
  /** `wait`: the delay before the next attempt. */
  delay?: number;
  /** `wait`, `finish`: the connection that ended was open (messages marked dropOnReconnect go with it). */
  wasOpen?: boolean;
  /** `wait`, `finish`: errors to report (the close's cause, a throwing shouldReconnect), after the state change. */
  errors?: unknown[];
  /** `activate`: what the handshake agreed. */
  opened?: { protocol: string; extensions: string };
  /** `startClosing`: our close frame. */
  ourClose?: { code: number | undefined; reason: string | undefined };
}

const abnormal = (error?: Error, code = 1006): CloseInfo => (error ? { code, reason: '', wasClean: false, error } : { code, reason: '', wasClean: false });
const clientError = (code: ErrorCode, message: string): LifelineError => new LifelineError(code, `lifeline: ${message}`);
const resolveProvider = <T>(provider: Provider<T>): T | Promise<T> => (typeof provider === 'function' ? (provider as () => T | Promise<T>)() : provider);

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
  const resolved = resolveOptions(options, spec, features.defaultHeartbeat);
  /** Every option with its default, for the platform features that read their own (`headers`, `maxRetryAfter`). */
  const optionValues = resolved as unknown as Readonly<Record<string, unknown>>;
  // Checked now unless it is a provider (then before each attempt).
  const target: Provider<string | URL> = typeof url === 'function' ? url : checkUrl(url, env.baseUrl?.());
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
  const sender = createSender(queue, resolved, features, clock, {
    sent: stats.sent,
    // A part that carries messages itself (a session) may take each one over.
    carry: (message) => carrier?.deliver?.(message),
    drained: () =>
      events.run(() => {
        flush();
        if (state === 'open' && !sender.full) events.emit('drain', undefined);
      }),
  });
  /** The parts (./part.ts), nearest the wire first. */
  const parts: PartHooks[] = [];
  /** Calls hook `name` of every part that has it. */
  const notify = (name: 'opened' | 'closed' | 'activity' | 'wake' | 'closing' | 'ended'): void => {
    for (const part of parts) part[name]?.();
  };
  const supports: Supports = { ping: features.ping !== undefined, pause: features.pauseReading !== undefined };

  let state: State = 'closed';
  /**
   * open() has been called. A client made with `startClosed` queues what is
   * sent before its first open() (as partysocket and socket.io do); one the
   * application closed, or that ended, refuses sends until it is opened again.
   */
  let started = false;
  let transport: Transport | undefined;
  /** Bumped whenever the current transport is let go of; stale callbacks compare it. */
  let generation = 0;
  /** A transport was made since the parts were last told `closed`. */
  let dialled = false;
  /** A completed handshake whose open a part holds until `host.ready()`. */
  let held: { protocol: string; extensions: string } | undefined;
  /** The backoff timer, or the deadline of an attempt or of our closing handshake (one at a time). */
  let deadline: TimerHandle;
  let stopWatchingPage: (() => void) | undefined;
  /**
   * The application paused reading (receive backpressure). It applies to an
   * open connection only: an opening handshake (a session's answer to its
   * hello) and a closing one are always read.
   */
  let paused = false;
  /** Failed attempts in a row. */
  let attempt = 0;
  let protocol = '';
  let extensions = '';
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
        return redial(from);
      case 'activate':
        return activate(detail.opened!);
      case 'probe':
        return notify('wake');
      case 'wait':
        return wait(detail);
      case 'startClosing':
        return startClosing(detail.ourClose!);
      case 'finish':
        return finish(detail);
      case 'none':
        return;
    }
  }

  // --- actions (one per `Action` of the table) ---

  /** Opens a transport: providers first (async), then the factory. */
  function dial(): void {
    env.clock.clear(deadline); // the backoff timer, when a wake-up or open() cut the wait short
    const lifecycle = env.lifecycle;
    if (resolved.lifecycle && lifecycle && !stopWatchingPage) stopWatchingPage = lifecycle.watch(() => events.run(() => take('wake')));
    const current = generation;
    const { connectTimeout } = resolved;
    if (connectTimeout) {
      const timeout = clientError(ErrorCodes.CONNECT_TIMEOUT, `not open after connectTimeout ${connectTimeout} ms`);
      // The transport may know what it was still waiting on (a proxy, in Node) and name it.
      deadline = clock.set(() => lost(abnormal(transport?.timedOut?.(timeout) ?? timeout)), connectTimeout);
    }
    // Providers run async, so one that throws rejects like one that rejects.
    const providers = [target, resolved.protocols, optionValues['headers']] as Provider<unknown>[];
    Promise.all(providers.map(async (provider) => resolveProvider(provider))).then(
      ([href, protocols, headers]) => events.run(() => current === generation && openTransport(href, protocols, headers)),
      (error: unknown) => events.run(() => current === generation && lost(abnormal(error as Error))),
    );
  }

  /** `reconnect()`: an open connection is closed politely (reported as a clean close that will reconnect); an attempt or a closing socket is dropped. */
  function redial(from: State): void {
    if (from === 'open') {
      events.emit('close', { code: 1000, reason: '', wasClean: true, willReconnect: true });
      queue.dropOnReconnect();
    }
    letGo(from === 'open');
    dial();
  }

  function openTransport(href: unknown, protocols: unknown, headers: unknown): void {
    let opened: Transport;
    try {
      // Input no retry can fix (an invalid URL, subprotocol or header from a provider) ends the client.
      const checkedUrl = checkUrl(href, env.baseUrl?.());
      let offered: readonly string[] = checkProtocols(protocols);
      for (const part of parts) offered = part.offer?.(offered) ?? offered;
      dialled = true;
      opened = factory(checkedUrl, headers === undefined ? { protocols: offered } : { protocols: offered, headers }, handlers(generation));
    } catch (error) {
      take('giveUp', { reason: 'error', close: abnormal(error as Error), errors: [error] });
      return;
    }
    transport = opened;
  }

  function activate(opened: { protocol: string; extensions: string }): void {
    env.clock.clear(deadline);
    protocol = expectedProtocol = opened.protocol;
    extensions = opened.extensions;
    stats.opened();
    notify('opened');
    // Queued messages go first, before anything sent from an open handler.
    flush();
    if (paused) pauseReading(true);
    events.emit('open', { protocol: opened.protocol, extensions: opened.extensions });
  }

  function wait(detail: StepDetail): void {
    letGo(false);
    report(detail);
    deadline = clock.set(() => take('connect'), detail.delay!);
    events.emit('close', { ...detail.close!, willReconnect: true });
    events.emit('reconnecting', { attempt, delay: detail.delay! });
  }

  function startClosing(ourClose: { code: number | undefined; reason: string | undefined }): void {
    notify('closing');
    sender.stop();
    const closing = transport;
    // The socket is already gone (close() called from shouldReconnect as it closed): nothing to wait for.
    if (!closing) {
      take('closed', { reason: 'closed' });
      return;
    }
    // The server's close frame must be read even if the application paused reading (RFC 6455 §7.1.1).
    if (paused) features.pauseReading?.(closing, false);
    const { connectTimeout } = resolved;
    if (connectTimeout) {
      const timedOut = abnormal(clientError(ErrorCodes.CLOSE_TIMEOUT, `not closed after connectTimeout ${connectTimeout} ms`));
      deadline = clock.set(() => take('closed', { reason: 'closed', close: timedOut }), connectTimeout);
    }
    // Queued messages are rejected when the close completes (`finish`).
    closing.close(ourClose.code ?? 1000, ourClose.reason ?? '');
  }

  function finish(detail: StepDetail): void {
    const reason = detail.reason ?? 'closed';
    letGo(false);
    stopWatchingPage?.();
    stopWatchingPage = undefined;
    report(detail);
    queue.rejectAll(`client ended (${reason}) before sending`);
    notify('ended');
    if (detail.close) events.emit('close', { ...detail.close, willReconnect: false });
    events.emit('end', { reason, close: detail.close });
  }

  // --- helpers ---

  /** What `wait` and `finish` report first: the errors, and the messages that were meant for the connection that ended. */
  function report(detail: StepDetail): void {
    for (const error of detail.errors ?? []) events.emit('error', error);
    if (detail.wasOpen) queue.dropOnReconnect();
  }

  /** Lets go of the current transport (if any): stale callbacks are ignored from here on. */
  function letGo(polite: boolean): void {
    generation++;
    if (dialled) notify('closed');
    dialled = false;
    held = undefined;
    env.clock.clear(deadline);
    sender.stop();
    protocol = '';
    extensions = '';
    const old = transport;
    transport = undefined;
    if (!old) return;
    if (!polite) {
      old.terminate();
      return;
    }
    // The server's close frame must be read, or the socket lingers until the transport's close timeout (RFC 6455 §7.1.1).
    if (paused) features.pauseReading?.(old, false);
    old.close(1000, '');
  }

  /** An attempt or a connection ended without our asking: retry or give up, by the retry rules. */
  function lost(close: CloseInfo): void {
    const wasOpen = state === 'open';
    // Only a connection that stayed open long enough resets the backoff: a server that accepts and then closes at once is still backed off.
    if (wasOpen && stats.uptime() >= resolved.stableAfter) attempt = 0;
    const errors: unknown[] = close.error ? [close.error] : [];
    const current = generation;
    let retry = attempt < resolved.maxAttempts;
    try {
      retry &&= resolved.shouldReconnect({ ...close, attempt });
    } catch (error) {
      retry = false;
      errors.push(error);
    }
    // shouldReconnect is the application's code: if it closed, terminated or reconnected the client, that decided.
    if (current !== generation || (state !== 'connecting' && state !== 'open')) {
      for (const error of errors) events.emit('error', error);
      return;
    }
    if (!retry) {
      take('giveUp', { reason: attempt < resolved.maxAttempts ? 'noRetry' : 'maxAttempts', close, errors, wasOpen });
      return;
    }
    const delay = retryDelay(attempt, resolved, env.random, features.serverDelay?.(close, optionValues));
    attempt++;
    take('retry', { close, delay, errors, wasOpen });
  }

  function handlers(current: number): TransportHandlers {
    const live =
      <A>(callback: (arg: A) => void) =>
      (arg: A): void =>
        events.run(() => {
          if (current === generation) callback(arg);
        });
    const receiveCurrent = (data: IncomingData, bytes: number): void => {
      if (current === generation) receive(data, bytes);
    };
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
          // A LifelineError, not a HandshakeError: the handshake itself was valid; the application's rule refused it (and browser bundles need not carry that class).
          lost(abnormal(clientError(ErrorCodes.HANDSHAKE_PROTOCOL, 'the server selected no subprotocol (requireProtocol)'), 1002));
        } else if (hold) held = opened;
        else take('opened', { opened });
      }),
      // Not through `live`, and no closure per message: each message brings its own data, this path adds no garbage (nor would a rest parameter's array).
      message: (data, bytes) => events.run(receiveCurrent, data, bytes),
      close: live((close) => {
        transport = undefined; // it is closed: nothing to terminate
        if (state === 'closing') take('closed', { reason: 'closed', close });
        else lost(close);
      }),
      control: (kind, data) =>
        events.run(() => {
          if (current !== generation) return;
          notify('activity');
          // The payload is only valid during the call: the event gets a copy (at most 125 bytes).
          events.emit(kind, data.slice());
        }),
    };
  }

  function receive(data: IncomingData, bytes: number): void {
    // Each part passes on what is not its own (a session unwraps data, a heartbeat keeps its pong); the parts after one that kept it see activity.
    let passed: IncomingData | undefined = data;
    for (const part of parts) {
      if (passed === undefined) part.activity?.();
      else if (part.received) {
        try {
          passed = part.received(passed);
        } catch (error) {
          events.emit('error', error); // a part calling application code (isPong) that throws; the message goes on
        }
      }
    }
    if (passed === undefined) return;
    // The transport counted the message's bytes; a part that changed it (a session unwrapping its frame) hands on a new one.
    stats.received(passed === data ? bytes : sizeOf(passed));
    let message: In;
    try {
      message = decodeWith(codecFor(protocol), passed, protocol) as In;
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
    if (state === 'open' && transport) sender.flush(transport, codecFor(protocol));
  }

  /** close() or terminate() of a `startClosed` client before its first open(): what it queued is refused, as later sends are. */
  function closeUnopened(): void {
    if (started) return;
    started = true;
    queue.rejectAll('client closed before it was opened');
  }

  function setPaused(pause: boolean): void {
    if (paused === pause) return;
    paused = pause;
    if (state === 'open') pauseReading(pause);
  }

  /** Stops or resumes reading the open connection, where the platform can, and tells the parts (nothing read: no liveness to judge). */
  function pauseReading(pause: boolean): void {
    if (!transport || !features.pauseReading) return;
    features.pauseReading(transport, pause);
    for (const part of parts) part.reading?.(!pause);
  }

  // --- the public API ---

  const connection: Connection<In, Out> = {
    get state() {
      return state;
    },
    get protocol() {
      return protocol;
    },
    get extensions() {
      return extensions;
    },
    get bufferedAmount() {
      return state === 'open' ? (transport?.bufferedAmount ?? 0) : 0;
    },
    supports,
    get stats() {
      return stats.snapshot(state === 'open', queue);
    },
    on: events.on,
    once: events.once,
    off: events.off,
    send: (data, sendOptions) =>
      events.run(() => {
        const checked = checkSendOptions(sendOptions);
        const mustWait = state !== 'open' || sender.full || queue.length > 0;
        const closed = state === 'closing' || (state === 'closed' && started);
        const sent = queue.add(data, checked, codecFor(expectedProtocol), mustWait, closed ? 'client closed (open() first)' : undefined);
        // The codec is application code: if it closed the client while encoding, a closed client keeps no messages.
        if (state === 'closed' && started) queue.rejectAll('client closed while encoding');
        flush();
        return sent;
      }),
    open: () =>
      events.run(() => {
        started = true;
        if (state === 'closed' || state === 'waiting' || state === 'closing') take('connect');
      }),
    close(code, reason) {
      const ourClose = checkClose(code, reason);
      events.run(() => {
        closeUnopened();
        take('close', { ourClose });
      });
    },
    terminate: () =>
      events.run(() => {
        closeUnopened();
        const hadSocket = state === 'open' || state === 'closing';
        take('terminate', { reason: 'closed', close: hadSocket ? abnormal() : undefined });
      }),
    reconnect: () =>
      events.run(() => {
        started = true;
        attempt = 0;
        take('connect');
      }),
    ping(data) {
      const ping = features.ping;
      if (!ping) return Promise.reject(clientError(ErrorCodes.UNSUPPORTED, 'ping() needs protocol pings, which browsers cannot send'));
      let payload: Uint8Array | undefined;
      try {
        payload = checkPingPayload(data);
      } catch (error) {
        return Promise.reject(error);
      }
      if (state !== 'open' || !transport) return Promise.reject(clientError(ErrorCodes.INVALID_STATE, `ping() needs an open connection, state is ${state}`));
      return ping(transport, payload);
    },
    pause: () => setPaused(true),
    resume: () => setPaused(false),
  };

  // --- the parts (./part.ts), nearest the wire first ---

  const host: PartHost = {
    get transport() {
      return state === 'open' ? transport : undefined;
    },
    clock,
    features,
    hidden: () => env.lifecycle?.hidden() ?? false,
    // Also during the opening handshake (a part that finds the server unfit); not while closing.
    lost: (error, code) =>
      events.run(() => {
        if (state === 'open' || state === 'connecting') lost(abnormal(error, code));
      }),
    answered: (roundTrip) => events.run(() => answered(roundTrip)),
    error: (error) => events.run(() => events.emit('error', error)),
    send: (data: TransportData) => (transport ? sender.write(transport, data) : false),
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
