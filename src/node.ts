/**
 * Node entry (`import`/`require('lifeline')` in Node): the resilient client on
 * lifeline's own RFC 6455 transport over node:net / node:tls.
 */
export const version = '__LIFELINE_VERSION__';
export * from './protocol/errors.js';
export { WebSocket } from './transport/node/websocket.js';
export type { BinaryType, WebSocketOptions, TraceRecord, HandshakeTrace } from './transport/node/websocket.js';
export { nodeTransport, createNodeTransport } from './transport/node/index.js';
