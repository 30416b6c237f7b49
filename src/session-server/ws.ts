/**
 * Sessions on a `ws` WebSocketServer (`import { sessionServer } from
 * 'lifeline-ws/server'`): the adapter between `ws` and the hub (./hub.ts).
 *
 * - Subprotocols: it wraps the server's `handleProtocols` (`wss.options`,
 *   read by ws at every upgrade). The application's own selection (or ws's
 *   default, the first offered) runs on the application's subprotocols;
 *   when the client offered a session variant of the one selected, that
 *   variant is selected instead (src/session/PROTOCOL.md §3).
 * - Every connection becomes a session: a client that speaks the session
 *   protocol resumes or starts one; any other gets a plain session that
 *   ends with its connection. Listen to `session` instead of `connection`.
 * - Liveness: every `pingInterval` it sends a protocol ping (RFC 6455
 *   §5.5.2) to each connection, and drops one that showed no sign of life
 *   since the last round, so a vanished client's session detaches and
 *   expires instead of holding on to a dead socket.
 *
 * `ws` is not a dependency: its server and sockets are typed structurally.
 *
 * Owns: sessionServer(), the structural ws types, the ping rounds.
 * Imports: the hub, the session, the input rules, node:crypto (random ids and tokens).
 */
import { randomFillSync } from 'node:crypto';
import { checkOptions } from '../protocol/input.js';
import { applicationProtocols, selectProtocol } from '../session/wire.js';
import type { Handler } from '../client/emitter.js';
import { createHub, HUB_OPTIONS, type HubEvents, type SessionServerOptions } from './hub.js';
import type { Link } from './session.js';
import type { SessionStore } from './store.js';

/** What a `ws` message listener receives (`ws.RawData`). */
export type WsData = Uint8Array | ArrayBuffer | Uint8Array[];

/** The parts of a `ws` WebSocket the adapter uses. */
export interface WsSocketLike {
  readonly protocol: string;
  send(data: string | Uint8Array, options: { binary: boolean }): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
  ping(): void;
  on(event: 'message', listener: (data: WsData, isBinary: boolean) => void): unknown;
  on(event: 'close' | 'pong', listener: () => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

/** The parts of a `ws` WebSocketServer the adapter uses. */
export interface WsServerLike<Request> {
  options: { handleProtocols?: ((protocols: Set<string>, request: Request) => string | false) | null | undefined };
  on(event: 'connection', listener: (socket: WsSocketLike, request: Request) => void): unknown;
  off(event: 'connection', listener: (socket: WsSocketLike, request: Request) => void): unknown;
}

/** Options of `sessionServer()`: the hub's, and the ping rounds. */
export interface WsSessionServerOptions extends SessionServerOptions {
  /** Ping every connection this often and drop one that showed no sign of life since the last round, ms; 0 = never. Default 30,000. */
  pingInterval?: number;
}

export interface SessionServer<Request> {
  /** The sessions held (attached, or waiting for their client to resume). */
  readonly store: SessionStore;
  /** `session`: a session started; `{ session, request }` (the upgrade request of its first connection). */
  on<K extends keyof HubEvents<Request> & string>(type: K, handler: Handler<HubEvents<Request>[K]>): () => void;
  off<K extends keyof HubEvents<Request> & string>(type: K, handler: Handler<HubEvents<Request>[K]>): void;
  /** Lets go of the ws server (its `handleProtocols` restored, no more sessions) and closes every session with `code` (default 1001). */
  close(code?: number, reason?: string): void;
}

const decoder = new TextDecoder();
const TEXT = { binary: false };
const BINARY = { binary: true };

/** A ws message as one byte array. */
function bytesOf(data: WsData): Uint8Array {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (!Array.isArray(data)) return data;
  const whole = new Uint8Array(data.reduce((sum, part) => sum + part.byteLength, 0));
  let offset = 0;
  for (const part of data) {
    whole.set(part, offset);
    offset += part.byteLength;
  }
  return whole;
}

/**
 * Serves sessions on `wss` (a `ws` WebSocketServer). Options are checked at
 * the call (TypeError / RangeError, `WS_ERR_INVALID_OPTION`).
 */
export function sessionServer<Request = unknown>(wss: WsServerLike<Request>, options?: WsSessionServerOptions): SessionServer<Request> {
  const where = 'sessionServer():';
  const spec = { ...HUB_OPTIONS, defaults: { ...HUB_OPTIONS.defaults, pingInterval: 30_000 } };
  const { pingInterval, ...hubOptions } = checkOptions<WsSessionServerOptions & { pingInterval: number }>(options, spec, where);
  // Node 18 has no global crypto.getRandomValues; node:crypto has the same source.
  const hub = createHub<Request>({ random: randomFillSync, ...hubOptions }, where);
  /** Connections and whether they showed life since the last ping round. */
  const alive = new Map<WsSocketLike, boolean>();

  const original = wss.options.handleProtocols;
  const handleProtocols = (offered: Set<string>, request: Request): string | false => {
    const own = applicationProtocols(offered);
    let chosen: string | false = false;
    if (own.size > 0) chosen = original ? original(own, request) : own.values().next().value!;
    return selectProtocol(offered, chosen);
  };
  wss.options.handleProtocols = handleProtocols;

  const onConnection = (socket: WsSocketLike, request: Request): void => {
    alive.set(socket, true);
    const link: Link = {
      send: (data) => socket.send(data, typeof data === 'string' ? TEXT : BINARY),
      close: (code, reason) => socket.close(code, reason),
      terminate: () => socket.terminate(),
    };
    const handlers = hub.connect(link, socket.protocol, request);
    socket.on('error', () => {}); // a close follows
    socket.on('pong', () => alive.set(socket, true));
    socket.on('message', (data, isBinary) => {
      alive.set(socket, true);
      const bytes = bytesOf(data);
      handlers.message(isBinary ? bytes : decoder.decode(bytes), bytes.byteLength);
    });
    socket.on('close', () => {
      alive.delete(socket);
      handlers.closed();
    });
  };
  wss.on('connection', onConnection);

  let rounds: ReturnType<typeof setInterval> | undefined;
  if (pingInterval > 0) {
    rounds = setInterval(() => {
      for (const [socket, lively] of alive) {
        if (!lively) {
          socket.terminate();
          continue;
        }
        alive.set(socket, false);
        socket.ping();
      }
    }, pingInterval);
    (rounds as { unref?: () => void }).unref?.();
  }

  return {
    store: hub.store,
    on: hub.on,
    off: hub.off,
    close(code = 1001, reason = '') {
      clearInterval(rounds);
      wss.off('connection', onConnection);
      if (wss.options.handleProtocols === handleProtocols) wss.options.handleProtocols = original;
      hub.closeAll(code, reason);
    },
  };
}
