/**
 * Browser entry (`import 'lifeline-ws'` in a bundle, the `<script>` global
 * `lifeline`). Wires the resilient client to the native WebSocket. Must not
 * import node:*, the frame layer or fflate.
 */
import { connectWith, type Connection } from './client/client.js';
import { realClock } from './client/clock.js';
import { browserLifecycle } from './client/lifecycle.js';
import type { ConnectOptions, Provider } from './client/options.js';
import { browserTransport } from './transport/browser.js';
import type { IncomingData } from './transport/types.js';

export const version = '__LIFELINE_VERSION__';
/** The platform's WebSocket (same name as the Node build's class, for isomorphic code). */
export const WebSocket: typeof globalThis.WebSocket = globalThis.WebSocket;

/**
 * Open a connection that reconnects, over the browser's native WebSocket.
 * `url` may be a function (sync or async) evaluated before every attempt,
 * e.g. to put a fresh token in it. See `ConnectOptions` for the options and
 * their defaults.
 */
export const connect = <In = IncomingData>(url: Provider<string | URL>, options?: ConnectOptions): Connection<In> =>
  connectWith<In>(browserTransport, url, options, { clock: realClock, random: Math.random, lifecycle: browserLifecycle() });

export { json, type Codec } from './client/codecs.js';
export { defaultShouldReconnect } from './client/options.js';
export { ErrorCodes, LifelineError, ProtocolError, HandshakeError, type ErrorCode } from './protocol/errors.js';
export type { Connection, ClientEvents, CloseEvent, EndEvent, SendOptions, Stats } from './client/client.js';
export type { ConnectOptions, HeartbeatOptions, Provider, RetryInfo } from './client/options.js';
export type { State } from './client/state.js';
export type { CloseInfo, IncomingData, OutgoingData } from './transport/types.js';
