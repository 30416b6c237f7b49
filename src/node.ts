/**
 * Node entry (`import`/`require('lifeline-ws')` in Node): the resilient client on
 * lifeline's own RFC 6455 transport over node:net / node:tls.
 */
export const version = '__LIFELINE_VERSION__';
export * from './protocol/errors.js';
export { WebSocket } from './transport/node/websocket.js';
export type { BinaryType, MessageData, WebSocketEventMap, WebSocketOptions, TraceRecord, HandshakeTrace } from './transport/node/websocket.js';
export { nodeTransport, createNodeTransport } from './transport/node/index.js';

// --- resilient client (src/client), wired to the Node transport ---
import { connectWith as _connectWith, type Connection as _Connection } from './client/client.js';
import { realClock as _realClock } from './client/clock.js';
import type { ConnectOptions as _ConnectOptions, Provider as _Provider } from './client/options.js';
import { createNodeTransport as _createNodeTransport, nodeTransport as _nodeTransport } from './transport/node/index.js';
import type { WebSocketOptions as _WebSocketOptions } from './transport/node/options.js';
import type { IncomingData as _IncomingData } from './transport/types.js';

/** `connect()` options in Node: the shared ones, plus `socket` for the Node transport (TLS, proxy, permessage-deflate, limits). */
export interface NodeConnectOptions extends _ConnectOptions {
  /** Options of every socket (see WebSocketOptions); `headers` here are merged under the per-attempt `headers`. */
  socket?: _WebSocketOptions;
}

/**
 * Open a connection that reconnects, over lifeline's own Node transport
 * (protocol pings for the heartbeat, handshake status and Retry-After for
 * the retry rules, receive backpressure for the async iterator).
 */
export const connect = <In = _IncomingData>(url: _Provider<string | URL>, options: NodeConnectOptions = {}): _Connection<In> =>
  _connectWith<In>(options.socket ? _createNodeTransport(options.socket) : _nodeTransport, url, options, { clock: _realClock, random: Math.random });

export { json, type Codec } from './client/codecs.js';
export { defaultShouldReconnect } from './client/options.js';
export type { Connection, ClientEvents, CloseEvent, EndEvent, SendOptions, Stats } from './client/client.js';
export type { ConnectOptions, HeartbeatOptions, Provider, RetryInfo } from './client/options.js';
export type { State } from './client/state.js';
export type { CloseInfo, IncomingData, OutgoingData } from './transport/types.js';
