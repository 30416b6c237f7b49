/**
 * The server side of session negotiation (src/session/PROTOCOL.md §3, §5):
 * for each new connection, which session it carries. A connection whose
 * subprotocol carries no session gets a plain session of its own (one
 * application code path for every client). Otherwise its first message
 * must be `new` (a session starts) or `resume`; a resume that names a
 * session this server holds, with the right token, attaches it (the
 * connection it had is dropped), and anything else is answered with `lost`
 * and a new session.
 *
 * Platform-neutral: an adapter (./ws.ts for `ws`) selects the subprotocol
 * with `selectProtocol`, calls `connect()` for each connection and feeds the
 * returned handlers. Ids and tokens come from an injected random source.
 *
 * Owns: SessionHub, the hub options and their defaults, id and token
 * generation, token comparison.
 * Imports: the session core, ./session.ts, ./store.ts, the client's emitter,
 * clock type and input rules.
 */
import type { Clock } from '../client/clock.js';
import { createEmitter, type Handler } from '../client/emitter.js';
import { checkOptions, type OptionSpec } from '../protocol/input.js';
import { base64Encode } from '../protocol/base64.js';
import { isControl, readControl, splitProtocol, writeControl } from '../session/wire.js';
import type { IncomingData } from '../transport/types.js';
import { ServerSession, type Link, type ServerSessionLimits } from './session.js';
import { memoryStore, type SessionStore } from './store.js';

/** Options of a session server. */
export interface SessionServerOptions {
  /** How long a session whose connection closed waits for the client to resume it, ms. Default 60,000. */
  expireAfter?: number;
  /** Most messages a session holds until the client acknowledges them; beyond it `send()` rejects (WS_ERR_QUEUE_FULL). Default 1,000. */
  maxBuffered?: number;
  /** Most bytes a session holds (UTF-8 for text); one larger message is still taken when nothing else is held. Default 1 MiB. */
  maxBufferedBytes?: number;
  /** Acknowledge received messages at the latest after this many. Default 32. */
  ackEvery?: number;
  /** ...or this long after the first one not yet acknowledged, ms. Default 10. */
  ackDelay?: number;
  /** Where sessions are kept. Default: `memoryStore()`. */
  store?: SessionStore;
  /** Timers and time. Default: the platform's timers (unref'd in Node, so sessions waiting to expire do not keep a process alive). */
  clock?: Clock;
  /** Fills `bytes` with cryptographically strong random bytes (ids and tokens). Default: `crypto.getRandomValues`. */
  random?: (bytes: Uint8Array) => void;
}

export const HUB_OPTIONS = {
  defaults: { expireAfter: 60_000, maxBuffered: 1_000, maxBufferedBytes: 1 << 20, ackEvery: 32, ackDelay: 10 },
  types: { store: 'object', clock: 'object', random: 'function' },
  least: { maxBuffered: 1, maxBufferedBytes: 1, ackEvery: 1 },
} satisfies OptionSpec;

/** What an adapter feeds for one connection. */
export interface LinkHandlers {
  /** A message arrived (text as string, binary as bytes; `bytes`: its payload size). */
  message(data: IncomingData, bytes: number): void;
  /** The connection closed. */
  closed(): void;
}

/** Events of a hub: a session started (its first connection's `request` is what the adapter passed). */
export type HubEvents<Request> = {
  session: { session: ServerSession; request: Request };
  error: unknown;
};

export interface SessionHub<Request = unknown> {
  /** Sessions held now. */
  readonly store: SessionStore;
  on<K extends keyof HubEvents<Request> & string>(type: K, handler: Handler<HubEvents<Request>[K]>): () => void;
  off<K extends keyof HubEvents<Request> & string>(type: K, handler: Handler<HubEvents<Request>[K]>): void;
  /** A connection opened with subprotocol `protocol` selected: returns what to call with its messages and its close. */
  connect(link: Link, protocol: string, request: Request): LinkHandlers;
  /** Closes every session (their connections with `code`, default 1001) and forgets them. */
  closeAll(code?: number, reason?: string): void;
}

/** The platform's timers; in Node unref'd, so that a session waiting to expire does not keep the process alive. */
const platformClock: Clock = {
  now: () => Date.now(),
  set(fn, ms) {
    const timer = setTimeout(fn, ms) as unknown as { unref?: () => void };
    timer.unref?.();
    return timer;
  },
  clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

const webRandom = (bytes: Uint8Array): void => void globalThis.crypto.getRandomValues(bytes as Uint8Array<ArrayBuffer>);

/** Creates a hub. Options are checked here (TypeError / RangeError, `WS_ERR_INVALID_OPTION`). */
export function createHub<Request = unknown>(options?: SessionServerOptions, where = 'sessionServer():'): SessionHub<Request> {
  const resolved = checkOptions<Required<SessionServerOptions>>(options, HUB_OPTIONS, where);
  const store = resolved.store ?? memoryStore();
  const clock = resolved.clock ?? platformClock;
  const random = resolved.random ?? webRandom;
  const limits: ServerSessionLimits = resolved;
  const events = createEmitter<HubEvents<Request>>();
  /** Every session not over yet, plain ones too (the store holds the ones a client can resume). */
  const live = new Set<ServerSession>();

  /** base64url of `length` random bytes (a multiple of 3: no padding). */
  const randomName = (length: number): string => {
    const bytes = new Uint8Array(length);
    random(bytes);
    return base64Encode(bytes).replaceAll('+', '-').replaceAll('/', '_');
  };

  const ended = (session: ServerSession): void => {
    live.delete(session);
    if (store.get(session.id) === session) store.delete(session.id);
  };

  /**
   * A new session on `link`. The application hears of it first (and can
   * subscribe to its events, or send: that waits in the buffer); then the
   * link is attached, which sends the `session` frame and what was sent.
   */
  const start = (link: Link, protocol: string, reliable: boolean, request: Request): ServerSession => {
    // 96-bit ids, 144-bit tokens.
    const session = new ServerSession({ id: randomName(12), token: randomName(18), reliable, protocol, limits, clock, ended });
    live.add(session);
    if (reliable) store.set(session.id, session);
    events.run(() => events.emit('session', { session, request }));
    // A session the application closed at once has nothing to attach to.
    if (!session.attach(link, 0)) link.close(1000, '');
    return session;
  };

  return {
    store,
    on: events.on,
    off: events.off,
    connect(link, selected, request) {
      const { session: carried, protocol } = splitProtocol(selected);
      if (!carried) {
        const plain = start(link, protocol, false, request);
        return { message: (data, bytes) => plain.receive(link, data, bytes), closed: () => plain.detach(link) };
      }
      let current: ServerSession | undefined;
      const hello = (data: IncomingData): void => {
        const frame = typeof data === 'string' && isControl(data) ? readControl(data) : undefined;
        if (frame?.type === 'new') {
          current = start(link, protocol, true, request);
          return;
        }
        if (frame?.type !== 'resume') {
          link.close(1002, "session protocol: expected 'new' or 'resume' first");
          return;
        }
        const found = store.get(frame.id);
        if (found && found.reliable && sameToken(found.token, frame.token)) {
          if (!found.attach(link, frame.received)) {
            link.close(1002, `session protocol: the client claims ${frame.received} of ${found.sent} messages`);
            return;
          }
          current = found;
          return;
        }
        // Unknown, expired, ended, or a wrong token: the same answer, so that an id alone tells nothing.
        link.send(writeControl({ type: 'lost' }));
        current = start(link, protocol, true, request);
      };
      return {
        message(data, bytes) {
          if (current) current.receive(link, data, bytes);
          else hello(data);
        },
        closed() {
          current?.detach(link);
        },
      };
    },
    closeAll(code = 1001, reason = '') {
      for (const session of [...live]) session.close(code, reason);
    },
  };
}

/** Compares two tokens in time independent of where they differ (their length is no secret: every token has 24 characters). */
function sameToken(expected: string, given: string): boolean {
  if (expected.length !== given.length) return false;
  let difference = 0;
  for (let index = 0; index < expected.length; index++) difference |= expected.charCodeAt(index) ^ given.charCodeAt(index);
  return difference === 0;
}
