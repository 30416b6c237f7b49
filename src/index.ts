/**
 * Browser entry (`import 'lifeline-ws'` in a bundle, the `<script>` global
 * `lifeline`). Wires the resilient client to the native WebSocket with the
 * browser's features (./client/features.ts). Must not import node:*, the
 * frame layer, fflate, or the Node features.
 */
import { connectWith, type Connection } from './client/client.js';
import { realClock } from './client/clock.js';
import type { MessageOf, SendOf } from './client/codecs.js';
import { browserFeatures } from './client/features.js';
import { browserLifecycle } from './client/lifecycle.js';
import type { ConnectOptions, Provider } from './client/options.js';
import { browserTransport } from './transport/browser.js';

export const version = '__LIFELINE_VERSION__';
/** The platform's WebSocket (same name as the Node build's class, for isomorphic code). */
export const WebSocket: typeof globalThis.WebSocket = globalThis.WebSocket;

/**
 * Open a connection that reconnects, over the browser's native WebSocket.
 * `url` may be a function (sync or async) called before every attempt, e.g.
 * to put a fresh token in it. See `ConnectOptions` for the options and their
 * defaults.
 */
export function connect<O extends ConnectOptions = ConnectOptions>(url: Provider<string | URL>, options?: O): Connection<MessageOf<O>, SendOf<O>> {
  // A relative URL is resolved against the document's base URL (a worker's location), as `new WebSocket()` does.
  const env = { clock: realClock, random: Math.random, lifecycle: browserLifecycle(), features: browserFeatures, baseUrl: () => globalThis.document?.baseURI ?? globalThis.location?.href };
  // A tab-shared connection (`shared: shared({...})`) is built by the part the application imported; anything else goes to the client, which checks it.
  const sharing = options?.shared;
  return typeof sharing === 'function'
    ? sharing<MessageOf<O>, SendOf<O>>(browserTransport, url, options!, env)
    : connectWith<MessageOf<O>, SendOf<O>>(browserTransport, url, options, env);
}

export { json, type Codec, type MessageOf, type SendOf } from './client/codecs.js';
export { defaultShouldReconnect, type RetryInfo } from './client/retry.js';
export { ErrorCodes, SessionErrorCodes, LifelineError, ProtocolError, HandshakeError, type ErrorCode } from './protocol/errors.js';
export type { Connection, ClientEvents, CloseEvent, EndEvent, Supports } from './client/client.js';
export type { Stats } from './client/stats.js';
export type { SendOptions } from './client/send-queue.js';
export type { ConnectOptions, Provider } from './client/options.js';
export { heartbeat, type HeartbeatOptions } from './client/heartbeat.js';
export { messages, type MessagesOptions } from './client/iterator.js';
export { shared, type SharedOptions, type Sharing, type Role, type RoleInfo } from './client/shared/shared.js';
export { session, type SessionOptions, type SessionEvent } from './client/session.js';
export type { Part, PartHost, PartHooks } from './client/part.js';
export type { State } from './client/state.js';
export type { CloseInfo, IncomingData, OutgoingData } from './transport/types.js';
