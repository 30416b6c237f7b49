/**
 * Server entry (`lifeline-ws/server`, Node): reliable sessions for
 * WebSocket servers (src/session/PROTOCOL.md). `sessionServer(wss)` serves
 * them on a `ws` WebSocketServer; `createHub()` and the session core
 * (`Endpoint` and the wire format) are what an adapter for another server
 * (Deno, Bun, uWebSockets.js) is built from. Never imported by the client
 * entries: a browser bundle carries none of it.
 */
export { sessionServer, type SessionServer, type WsSessionServerOptions, type WsServerLike, type WsSocketLike, type WsData } from './session-server/ws.js';
export { createHub, type SessionHub, type SessionServerOptions, type LinkHandlers, type HubEvents } from './session-server/hub.js';
export { ServerSession, type Link, type ServerData, type ServerSessionEvents, type SessionEndReason } from './session-server/session.js';
export { memoryStore, type SessionStore } from './session-server/store.js';
export { Endpoint, ACK_BYTES, type EndpointLimits, type Held } from './session/endpoint.js';
export {
  SESSION_PROTOCOL,
  MARK,
  offerProtocols,
  splitProtocol,
  applicationProtocols,
  selectProtocol,
  isControl,
  readControl,
  writeControl,
  wrapData,
  unwrapData,
  type ControlFrame,
} from './session/wire.js';
export { ErrorCodes, SessionErrorCodes, LifelineError } from './protocol/errors.js';
