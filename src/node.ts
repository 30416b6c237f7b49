/**
 * Node entry (`import`/`require('lifeline-ws')` in Node): the resilient
 * client on lifeline's own RFC 6455 transport over node:net / node:tls, with
 * the Node features (protocol-ping heartbeat, receive pause, drain events,
 * Retry-After), and the WHATWG-shaped `WebSocket` class.
 */
import { connectWith, type Connection } from './client/client.js';
import { realClock } from './client/clock.js';
import type { MessageOf, SendOf } from './client/codecs.js';
import { nodeFeatures } from './client/node-features.js';
import type { ConnectOptions, Provider } from './client/options.js';
import { nodeTransport, nodeTransportFactory } from './transport/node/index.js';
import type { WebSocketOptions } from './transport/node/options.js';

export const version = '__LIFELINE_VERSION__';
export * from './protocol/errors.js';
export { WebSocket } from './transport/node/websocket.js';
export type { BinaryType, MessageData, WebSocketEventMap, WebSocketOptions, TraceRecord, HandshakeTrace } from './transport/node/websocket.js';
export { nodeTransport, createNodeTransport } from './transport/node/index.js';

/** `connect()` options in Node: the common ones, plus what only Node can do. */
export interface NodeConnectOptions extends ConnectOptions {
  /** Request headers, or a provider called before every attempt (fresh tokens). Merged over `socket.headers`. */
  headers?: Provider<Readonly<Record<string, string>>>;
  /** Options of every socket (see WebSocketOptions: TLS, proxy, permessage-deflate, limits). */
  socket?: WebSocketOptions;
  /** The longest delay a server's Retry-After may impose before the next attempt, ms. Default 600,000 (10 minutes). */
  maxRetryAfter?: number;
}

/**
 * Open a connection that reconnects, over lifeline's own Node transport
 * (protocol pings for the heartbeat, handshake status and Retry-After for
 * the retry rules, receive backpressure for the async iterator).
 */
export function connect<O extends NodeConnectOptions = NodeConnectOptions>(url: Provider<string | URL>, options?: O): Connection<MessageOf<O>, SendOf<O>> {
  // Its `socket` option is checked here, at the call, and named as the caller wrote it.
  const factory = options?.socket ? nodeTransportFactory(options.socket, 'connect({ socket }):') : nodeTransport;
  // The Node features turn the heartbeat on (protocol pings) unless the options choose one or `false`.
  return connectWith<MessageOf<O>, SendOf<O>>(factory, url, options, { clock: realClock, random: Math.random, features: nodeFeatures });
}

export { json, type Codec, type MessageOf, type SendOf } from './client/codecs.js';
export { defaultShouldReconnect, type RetryInfo } from './client/retry.js';
export type { Connection, ClientEvents, CloseEvent, EndEvent } from './client/client.js';
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
