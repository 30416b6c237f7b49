/**
 * A server's session: the object an application keeps for one client, which
 * outlives that client's connections (src/session/PROTOCOL.md §5-§8). It
 * carries data both ways over whichever connection (a `Link`) is attached,
 * numbers and holds what it sends until the client acknowledges it, counts
 * and acknowledges what it receives, sends its held messages again when the
 * client resumes on a new connection, and expires when no connection comes
 * back within the resume window.
 *
 * Platform-neutral: a Link is whatever the server's WebSocket is (a `ws`
 * socket in ./ws.ts; a Bun or Deno socket in an adapter of your own), time
 * comes from an injected clock. The handshake that picks the session for a
 * connection is ./hub.ts.
 *
 * Owns: ServerSession (its events, send/close, attach/detach/receive).
 * Imports: the session core, the client's emitter and clock types, errors.
 */
import { ErrorCodes, LifelineError, SessionErrorCodes } from '../protocol/errors.js';
import { sizeOf } from '../client/codecs.js';
import type { Clock, TimerHandle } from '../client/clock.js';
import { createEmitter, type Handler } from '../client/emitter.js';
import { Endpoint, type EndpointLimits } from '../session/endpoint.js';
import { isControl, readControl, unwrapData, wrapData, writeControl } from '../session/wire.js';
import type { IncomingData } from '../transport/types.js';

/** What a session needs of a connection. */
export interface Link {
  /** Sends a message (a string as text, bytes as binary); a link that is closing may drop it (what matters is held for replay). */
  send(data: string | Uint8Array): void;
  /** Closes with a closing handshake. */
  close(code: number, reason: string): void;
  /** Drops at once, no closing handshake. */
  terminate(): void;
}

/** What `send()` takes on the server. */
export type ServerData = string | Uint8Array | ArrayBuffer | ArrayBufferView;

/** Why a session ended: the client ended it (`close()` on its side), it expired, the server closed it, or (a plain client) its one connection closed. */
export type SessionEndReason = 'ended' | 'expired' | 'closed' | 'disconnected';

/** Events of a ServerSession and their payloads. */
export type ServerSessionEvents = {
  /** A message from the client, exactly once and in order (text as string, binary as bytes). */
  message: IncomingData;
  /** A connection now carries the session: the first one, or one resuming it (`replayed` messages were sent again). */
  attach: { resumed: boolean; replayed: number };
  /** Its connection closed; the session waits `expireAfter` for the client to resume. */
  detach: undefined;
  /** The buffer, full before (`writable` was false), is down to half: send on. */
  drain: undefined;
  /** The session is over; unacknowledged sends were rejected (`WS_ERR_SESSION_LOST`). */
  close: { reason: SessionEndReason };
  /** Exceptions thrown by handlers. */
  error: unknown;
};

/** The timing and bounds of server sessions (see `SessionServerOptions` for the defaults). */
export interface ServerSessionLimits extends EndpointLimits {
  readonly ackDelay: number;
  readonly expireAfter: number;
}

/** What the hub hands a session when it creates it. */
export interface SessionSetup {
  readonly id: string;
  readonly token: string;
  /** False for a client that does not speak the session protocol: the session ends with its one connection. */
  readonly reliable: boolean;
  /** The application's subprotocol ('' when none). */
  readonly protocol: string;
  readonly limits: ServerSessionLimits;
  readonly clock: Clock;
  /** Called once, when the session ends (the hub forgets it). */
  readonly ended: (session: ServerSession) => void;
}

/** A pending `send()`. */
interface Pending {
  resolve(): void;
  reject(error: Error): void;
}

const noop = (): void => {};

export class ServerSession {
  readonly id: string;
  readonly reliable: boolean;
  readonly protocol: string;
  /** The token that proves a resume (compared by the hub; never sent again after the first connection). */
  readonly token: string;
  private readonly endpoint: Endpoint<Pending>;
  private readonly events = createEmitter<ServerSessionEvents>();
  private readonly setup: SessionSetup;
  private link: Link | undefined;
  private closed = false;
  /** The buffer filled up (or a send was refused for lack of room): `drain` follows when acks make room. */
  private full = false;
  /** Connections that have carried the session. */
  private attachments = 0;
  private ackTimer: TimerHandle;
  private expiry: TimerHandle;

  constructor(setup: SessionSetup) {
    this.setup = setup;
    this.id = setup.id;
    this.token = setup.token;
    this.reliable = setup.reliable;
    this.protocol = setup.protocol;
    this.endpoint = new Endpoint(setup.limits);
  }

  /** `attached` while a connection carries it, `detached` while it waits for the client to resume, `closed` when over. */
  get state(): 'attached' | 'detached' | 'closed' {
    return this.closed ? 'closed' : this.link ? 'attached' : 'detached';
  }

  /** Messages sent and not yet acknowledged (held for replay). */
  get buffered(): number {
    return this.endpoint.buffered;
  }

  get bufferedBytes(): number {
    return this.endpoint.bufferedBytes;
  }

  /** Whether the buffer has room for another message now (else `send()` rejects with `WS_ERR_QUEUE_FULL`; wait for `drain`). */
  get writable(): boolean {
    return !this.closed && this.endpoint.hasRoom(0);
  }

  /** Messages received from the client, and sent to it, in this session. */
  get received(): number {
    return this.endpoint.received;
  }

  get sent(): number {
    return this.endpoint.sent;
  }

  on<K extends keyof ServerSessionEvents & string>(type: K, handler: Handler<ServerSessionEvents[K]>): () => void {
    return this.events.on(type, handler);
  }

  once<K extends keyof ServerSessionEvents & string>(type: K, handler: Handler<ServerSessionEvents[K]>): () => void {
    return this.events.once(type, handler);
  }

  off<K extends keyof ServerSessionEvents & string>(type: K, handler: Handler<ServerSessionEvents[K]>): void {
    this.events.off(type, handler);
  }

  /**
   * Sends `data` to the client (a string as text, bytes as binary), now if
   * a connection is attached, else when the client resumes. Resolves when
   * the client acknowledged it (a plain client: when handed to the socket).
   * Rejects with `WS_ERR_QUEUE_FULL` when the buffer is full (nothing is
   * sent; see `writable` and `drain`), `WS_ERR_SESSION_LOST` when the
   * session ends first. Throws a TypeError for data that is not text or bytes.
   */
  send(data: ServerData): Promise<void> {
    const bytes = sizeOf(data);
    const message = typeof data === 'string' || data instanceof Uint8Array ? data : toBytes(data);
    return this.events.run(() => {
      if (this.closed) return refused(lostError(`session ${this.id} is closed`));
      if (!this.reliable && this.link) {
        this.link.send(message);
        return Promise.resolve();
      }
      if (!this.endpoint.hasRoom(bytes)) {
        this.full = true;
        const { maxBuffered, maxBufferedBytes } = this.setup.limits;
        return refused(new LifelineError(ErrorCodes.QUEUE_FULL, `lifeline: session ${this.id} holds ${this.buffered} unacknowledged messages (maxBuffered ${maxBuffered}, maxBufferedBytes ${maxBufferedBytes}); wait for 'drain'`));
      }
      let pending!: Pending;
      const promise = new Promise<void>((resolve, reject) => (pending = { resolve, reject }));
      promise.catch(noop); // the caller may ignore it; a lost session is also reported by `close`
      // Held until acknowledged (a plain session: until its connection is attached).
      const held = this.endpoint.hold(this.reliable ? wrapData(message) : message, bytes, pending);
      if (!this.endpoint.hasRoom(0)) this.full = true;
      this.link?.send(held.wire as string | Uint8Array);
      return promise;
    });
  }

  /** Ends the session: its connection closes with `code` (default 1000), unacknowledged sends are rejected; a client that resumes it learns it was lost. */
  close(code = 1000, reason = ''): void {
    this.events.run(() => {
      const link = this.link;
      this.end('closed');
      link?.close(code, reason);
    });
  }

  // --- fed by the hub (./hub.ts) ---

  /**
   * `link` carries the session from now on; the client has received
   * `peerReceived` of its messages. Answers with the `session` frame and
   * sends again what the client has not received. A connection still
   * attached (one the client has left) is dropped. Returns false, changing
   * nothing, when `peerReceived` is impossible.
   */
  attach(link: Link, peerReceived: number): boolean {
    return this.events.run(() => {
      if (this.closed) return false;
      const released = this.endpoint.release(peerReceived);
      if (!released) return false;
      for (const pending of released) pending.resolve();
      const stale = this.link;
      this.link = link;
      stale?.terminate();
      this.setup.clock.clear(this.expiry);
      const resumed = this.attachments > 0;
      this.attachments++;
      if (this.reliable) link.send(writeControl({ type: 'session', id: this.id, token: this.token, received: this.endpoint.announce() }));
      for (const held of this.endpoint.pending()) link.send(held.wire as string | Uint8Array);
      // A plain session only held what was sent before its connection came: it is handed over now.
      if (!this.reliable) for (const pending of this.endpoint.reset()) pending.resolve();
      this.events.emit('attach', { resumed, replayed: resumed ? this.endpoint.pending().length : 0 });
      this.checkDrain();
      return true;
    });
  }

  /** `link` closed: if it carried the session, the session waits `expireAfter` for the client (a plain session ends). */
  detach(link: Link): void {
    this.events.run(() => {
      if (this.link !== link) return;
      this.link = undefined;
      this.setup.clock.clear(this.ackTimer);
      this.ackTimer = undefined;
      if (!this.reliable) return this.end('disconnected');
      this.expiry = this.setup.clock.set(() => this.events.run(() => this.end('expired')), this.setup.limits.expireAfter);
      this.events.emit('detach', undefined);
    });
  }

  /** A message arrived on `link` (`bytes`: its payload size). */
  receive(link: Link, data: IncomingData, bytes: number): void {
    this.events.run(() => {
      if (this.link !== link || this.closed) return; // a connection the client has left
      if (!this.reliable) return this.events.emit('message', data);
      if (typeof data === 'string' && isControl(data)) return this.control(link, data);
      if (this.endpoint.arrived(bytes)) this.sendAck();
      else if (this.ackTimer === undefined) this.ackTimer = this.setup.clock.set(() => this.events.run(() => this.sendAck()), this.setup.limits.ackDelay);
      this.events.emit('message', unwrapData(data));
    });
  }

  private control(link: Link, text: string): void {
    const frame = readControl(text);
    switch (frame?.type) {
      case 'ack': {
        const released = this.endpoint.release(frame.received);
        if (!released) return this.violation(link, `acknowledged ${frame.received} of ${this.endpoint.sent} messages, after ${this.endpoint.acked}`);
        for (const pending of released) pending.resolve();
        return this.checkDrain();
      }
      case 'ping':
        return link.send(writeControl({ type: 'pong' }));
      case 'pong':
        return;
      case 'end':
        // The client closes for good: a last ack (so its sends resolve), then the session is over.
        this.sendAck();
        this.end('ended');
        return;
      default:
        return this.violation(link, frame ? `unexpected '${frame.type}' in an open session` : `malformed control frame (letter ${JSON.stringify(text.charAt(1))})`);
    }
  }

  /** The client broke the protocol: its connection closes with 1002; the session waits for a resume like after any loss. */
  private violation(link: Link, why: string): void {
    // A close reason is at most 123 bytes (RFC 6455 §5.5): ASCII only, cut to fit.
    link.close(1002, `session protocol: ${why}`.replace(/[^\x20-\x7e]/g, '?').slice(0, 123));
    this.detach(link);
  }

  private sendAck(): void {
    this.setup.clock.clear(this.ackTimer);
    this.ackTimer = undefined;
    const frame = this.link ? this.endpoint.ack() : undefined;
    if (frame) this.link!.send(frame);
  }

  private checkDrain(): void {
    if (this.full && this.endpoint.drained) {
      this.full = false;
      this.events.emit('drain', undefined);
    }
  }

  private end(reason: SessionEndReason): void {
    if (this.closed) return;
    this.closed = true;
    this.link = undefined;
    this.setup.clock.clear(this.ackTimer);
    this.setup.clock.clear(this.expiry);
    const why = `session ${this.id} ${reason === 'ended' ? 'was ended by the client' : reason === 'expired' ? 'expired' : 'closed'} before the client acknowledged this message`;
    for (const pending of this.endpoint.reset()) pending.reject(lostError(why));
    this.setup.ended(this);
    this.events.emit('close', { reason });
  }
}

/** A rejected promise the caller may ignore (the state it reports is also in `writable`, `state` and the events). */
function refused(error: Error): Promise<void> {
  const promise = Promise.reject(error);
  promise.catch(noop);
  return promise;
}

function lostError(why: string): LifelineError {
  return new LifelineError(SessionErrorCodes.SESSION_LOST, `lifeline: ${why}`);
}

function toBytes(data: ArrayBuffer | ArrayBufferView): Uint8Array {
  return data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}
