/**
 * The reliable session, as a part (./part.ts) created by `session()`: the
 * client end of src/session/PROTOCOL.md. With it the application sees
 * every message the server sent exactly once and in order across any number
 * of reconnects, and the server sees every message `send()` took, in order,
 * exactly once, or the application is told that it may not have (a `drop`
 * and a `session` event of type `lost`).
 *
 * How it plugs in:
 * - `offer` adds `lifeline.s1+<subprotocol>` to the offer and `handshake`
 *   takes it off again; when the server selected a session subprotocol the
 *   open is held while `new` or `resume` goes out and the server answers
 *   (`session`, or `lost` then `session`); the held messages the server has
 *   not received go out again, oldest first, then `host.ready()` opens the
 *   connection and the queue flushes newer ones.
 * - `deliver` takes each queued message over: it is numbered, sent and held
 *   until acknowledged, when its `send()` resolves (or at once with
 *   `resolveOn: 'send'`). A full buffer answers `wait`: messages then wait
 *   in the send queue, whose bounds and overflow policy apply.
 * - `received` unwraps data, counts it and acknowledges it (after
 *   `ackEvery` messages, 64 KiB, or `ackDelay` ms), and keeps control
 *   frames; `ping` gives the heartbeat a probe the server's session layer
 *   answers.
 * - `closing` tells the server the session ends (`end`); `ended` rejects
 *   what the server never acknowledged (`WS_ERR_CLIENT_CLOSED`).
 * A server that selects no session subprotocol, or answers the hello with
 * anything but `session`/`lost` (within `handshakeTimeout`), does not speak
 * the protocol: the connection goes on plain (reported as `unsupported`), or
 * fails with `WS_ERR_SESSION_UNSUPPORTED` (close 1002) when `required`.
 *
 * Owns: `session()`, its options, the SessionEvent, the client's phases.
 * Imports: the session core (../session/), the input rules, errors, the part seam.
 */
import { ErrorCodes, LifelineError, SessionErrorCodes, type ErrorCode } from '../protocol/errors.js';
import { checkOptions, type OptionSpec } from '../protocol/input.js';
import { Endpoint } from '../session/endpoint.js';
import { isControl, offerProtocols, readControl, splitProtocol, unwrapData, wrapData, writeControl, type ControlFrame } from '../session/wire.js';
import type { TransportData } from '../transport/types.js';
import type { TimerHandle } from './clock.js';
import type { Part, PartHooks, PartHost } from './part.js';
import type { QueuedMessage } from './send-queue.js';

/** Options of `session()`. */
export interface SessionOptions {
  /** Fail (close 1002, not retried by default) when the server does not speak the session protocol, instead of going on as a plain connection. Default false. */
  required?: boolean;
  /** When `send()` resolves: `'ack'` when the server acknowledged the message, `'send'` when it was handed to the socket (it is held for replay until acknowledged either way). Default 'ack'. */
  resolveOn?: 'ack' | 'send';
  /** Most messages held until the server acknowledges them; beyond it, sends wait in the send queue. Default 1,000. */
  maxBuffered?: number;
  /** Most bytes held (UTF-8 for text); one larger message is still taken when nothing else is held. Default 1 MiB. */
  maxBufferedBytes?: number;
  /** Acknowledge received messages at the latest after this many. Default 32. */
  ackEvery?: number;
  /** ...or this long after the first one not yet acknowledged, ms. Default 10. */
  ackDelay?: number;
  /** How long to wait for the server's answer to the session hello before taking it for a server that does not speak the protocol, ms. Default 5,000. */
  handshakeTimeout?: number;
}

/**
 * What became of the session on a connection (the `session` event):
 * - `started`: a new session (the first connection, or after `lost`);
 * - `resumed`: the session goes on; `replayed` messages were sent again;
 * - `lost`: the server no longer has the session (it restarted, or the
 *   session expired): `rejected` sends were rejected (`WS_ERR_SESSION_LOST`,
 *   each also a `drop`) since the server may not have received them, and
 *   what the server sent while the client was away is gone: resynchronise.
 *   A `started` event follows;
 * - `unsupported`: the server does not speak the session protocol; the
 *   connection goes on plain (nothing is replayed or acknowledged).
 */
export interface SessionEvent {
  type: 'started' | 'resumed' | 'lost' | 'unsupported';
  /** The session's id ('' when unsupported). */
  id: string;
  /** Messages sent again on this connection. */
  replayed: number;
  /** Sends rejected because the session was lost. */
  rejected: number;
}

const SESSION_OPTIONS: OptionSpec = {
  defaults: { required: false, resolveOn: 'ack', maxBuffered: 1_000, maxBufferedBytes: 1_048_576, ackEvery: 32, ackDelay: 10, handshakeTimeout: 5_000 },
  least: { maxBuffered: 1, maxBufferedBytes: 1, ackEvery: 1, handshakeTimeout: 1 },
  choices: { resolveOn: ['ack', 'send'] },
};

/**
 * Where the session is on the current connection: `idle` (no connection),
 * `hello` (our `new`/`resume` is out, the open is held), `open` (the
 * connection carries the session), `plain` (the server does not speak it).
 */
type Phase = 'idle' | 'hello' | 'open' | 'plain';

/** What is held for each message: the queued message, settled on ack or rejected on loss. */
type Item = QueuedMessage;

/**
 * A reliable session for `connect()`'s `session` option. Options are
 * checked here, at the call (TypeError / RangeError, `WS_ERR_INVALID_OPTION`).
 */
export function session(options?: SessionOptions): Part {
  const limits = checkOptions<Required<SessionOptions>>(options, SESSION_OPTIONS, 'session():');
  return (host) => createSession(host, limits);
}

function createSession(host: PartHost, options: Required<SessionOptions>): PartHooks {
  const endpoint = new Endpoint<Item>(options);
  const { clock } = host;
  let phase: Phase = 'idle';
  /** The session this client holds, once the server named it. */
  let identity: { id: string; token: string } | undefined;
  /** The current socket refused a message: nothing more goes on it (numbers must not skip); the next connection replays. */
  let broken = false;
  /** `deliver` answered `wait` for lack of room: flush once acks make room. */
  let waiting = false;
  let ackTimer: TimerHandle;
  let helloTimer: TimerHandle;
  let probe: { sentAt: number; answer: (roundTrip: number) => void; fail: (error: Error) => void } | undefined;

  const error = (code: ErrorCode, message: string) => new LifelineError(code, `lifeline: ${message}`);

  const send = (data: TransportData): void => {
    if (!broken && !host.send(data)) broken = true;
  };

  const sendAck = (): void => {
    clock.clear(ackTimer);
    ackTimer = undefined;
    const frame = endpoint.ack();
    if (frame) send(frame);
  };

  /** Rejects every held message with `code` (each also a `drop`); returns how many. */
  const rejectHeld = (code: ErrorCode, why: string): number => {
    const items = endpoint.reset();
    for (const message of items) {
      const reason = error(code, why);
      message.reject(reason);
      host.emit('drop', { data: message.value, error: reason });
    }
    return items.length;
  };

  const report = (type: SessionEvent['type'], replayed = 0): void => host.emit('session', { type, id: identity?.id ?? '', replayed, rejected: 0 });

  /** The server no longer has our session: what it never acknowledged is rejected (`WS_ERR_SESSION_LOST`), and the application told. */
  const lose = (): void => {
    const lostId = identity!.id;
    identity = undefined;
    const rejected = rejectHeld(SessionErrorCodes.SESSION_LOST, `session ${lostId} was lost before the server acknowledged this message`);
    host.emit('session', { type: 'lost', id: lostId, replayed: 0, rejected });
  };

  /** The server does not speak the protocol: returns true when the connection goes on plain, false when it fails (the session is required). */
  const fallBack = (why: string): boolean => {
    clock.clear(helloTimer);
    if (options.required) {
      phase = 'idle';
      host.lost(error(SessionErrorCodes.SESSION_UNSUPPORTED, `the server does not speak the session protocol (${why}) and the session is required`), 1002);
      return false;
    }
    phase = 'plain';
    // A session held so far cannot go on over a plain connection.
    if (identity) lose();
    report('unsupported');
    return true;
  };

  const violation = (why: string): void => {
    host.lost(error(SessionErrorCodes.SESSION_PROTOCOL, `the server broke the session protocol: ${why}`), 1002);
  };

  /** The server's answer to our hello (phase `hello`). */
  function answer(frame: ControlFrame): void {
    if (frame.type === 'lost') {
      if (!identity) return violation(`'lost' in answer to 'new'`);
      lose();
      return; // a `session` frame for a new one follows
    }
    if (frame.type !== 'session') {
      // Our own hello coming back (an echo server), or another frame a session server never sends first.
      if (fallBack(`answered the hello with '${frame.type}'`)) host.ready();
      return;
    }
    const resumed = identity !== undefined;
    if (resumed && frame.id !== identity!.id) return violation(`a session other than ${identity!.id} without 'lost' first`);
    const released = endpoint.release(frame.received);
    if (!released) return violation(`it has received ${frame.received} of our ${endpoint.sent} messages`);
    identity = { id: frame.id, token: frame.token };
    for (const message of released) message.resolve();
    clock.clear(helloTimer);
    phase = 'open';
    // What the server has not received goes again, oldest first, before anything new (host.ready() flushes the queue).
    const replay = endpoint.pending();
    for (const held of replay) send(held.wire);
    report(resumed ? 'resumed' : 'started', replay.length);
    host.ready();
  }

  /** A control frame on a connection that carries the session (phase `open`). */
  function control(frame: ControlFrame): void {
    switch (frame.type) {
      case 'ack': {
        const released = endpoint.release(frame.received);
        if (!released) return violation(`acknowledged ${frame.received} of our ${endpoint.sent} messages, after ${endpoint.acked}`);
        for (const message of released) message.resolve();
        if (waiting && endpoint.drained) {
          waiting = false;
          host.flush();
        }
        return;
      }
      case 'ping':
        return send(writeControl({ type: 'pong' }));
      case 'pong': {
        const answered = probe;
        probe = undefined;
        answered?.answer(clock.now() - answered.sentAt);
        return;
      }
      default:
        return violation(`unexpected '${frame.type}' in an open session`);
    }
  }

  return {
    offer: offerProtocols,

    handshake(selected: string) {
      const { session: carried, protocol } = splitProtocol(selected);
      if (!carried) {
        fallBack(selected ? `it selected '${selected}'` : 'it selected no subprotocol');
        return { protocol, hold: false };
      }
      phase = 'hello';
      broken = false;
      send(identity ? writeControl({ type: 'resume', id: identity.id, token: identity.token, received: endpoint.announce() }) : writeControl({ type: 'new' }));
      helloTimer = clock.set(() => {
        if (phase === 'hello' && fallBack(`no answer to the hello within ${options.handshakeTimeout} ms`)) host.ready();
      }, options.handshakeTimeout);
      return { protocol, hold: true };
    },

    received(data) {
      if (phase === 'plain' || phase === 'idle') return data;
      if (typeof data === 'string' && isControl(data)) {
        const frame = readControl(data);
        if (!frame) violation(`malformed control frame ${JSON.stringify(data.slice(0, 40))}`);
        else if (phase === 'hello') answer(frame);
        else control(frame);
        return undefined;
      }
      if (phase === 'hello') {
        // A server that speaks the protocol answers the hello first: this one sends its own messages.
        if (!fallBack('it sent a message before answering the hello')) return undefined;
        host.ready();
        return data;
      }
      const bytes = typeof data === 'string' ? data.length : data.byteLength;
      if (endpoint.arrived(bytes)) sendAck();
      else if (ackTimer === undefined) ackTimer = clock.set(sendAck, options.ackDelay);
      return unwrapData(data);
    },

    deliver(message) {
      if (phase !== 'open') return undefined;
      if (!endpoint.hasRoom(message.bytes)) {
        waiting = true;
        return 'wait';
      }
      const held = endpoint.hold(wrapData(message.data as TransportData), message.bytes, message);
      send(held.wire);
      if (options.resolveOn === 'send') message.resolve();
      return 'taken';
    },

    ping() {
      if (phase !== 'open') return undefined;
      probe?.fail(error(ErrorCodes.HEARTBEAT_TIMEOUT, 'a newer probe was sent'));
      const sentAt = clock.now();
      const answered = new Promise<number>((answer, fail) => (probe = { sentAt, answer, fail }));
      send(writeControl({ type: 'ping' }));
      return answered;
    },

    closing() {
      // The server forgets the session and answers with a last ack, which still arrives before the close completes.
      if (phase === 'open') send(writeControl({ type: 'end' }));
    },

    closed() {
      phase = 'idle';
      clock.clear(ackTimer);
      clock.clear(helloTimer);
      ackTimer = undefined;
      probe?.fail(error(ErrorCodes.HEARTBEAT_TIMEOUT, 'the connection closed before the pong'));
      probe = undefined;
    },

    ended() {
      rejectHeld(ErrorCodes.CLIENT_CLOSED, 'client ended before the server acknowledged this message');
      identity = undefined;
    },
  };
}
