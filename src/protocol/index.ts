/**
 * `lifeline-ws/protocol`: the sans-I/O RFC 6455 core (client by default,
 * `role: 'server'` for a server) with both halves of the opening handshake.
 * Bytes in, events and bytes out; no sockets, timers or global random source.
 */
export * from './errors.js';
export * from './types.js';
export * from './permessage-deflate.js';
export { parseUrl, type WsUrl } from './url.js';
export { ResponseParser, type HttpResponse, type ResponseLimits } from './http.js';
export {
  createKey,
  acceptFor,
  buildRequest,
  verifyResponse,
  offerExtensions,
  parseExtensionHeader,
  formatExtensionOffer,
  WS_GUID,
  type RequestOptions,
  type Negotiated,
} from './handshake.js';
export {
  RequestParser,
  isUpgradeRequest,
  checkUpgrade,
  selectSubprotocol,
  negotiateServerExtensions,
  acceptResponse,
  refusalResponse,
  responseHead,
  STATUS_TEXT,
  type HttpRequest,
  type RequestLimits,
  type UpgradeRequest,
  type ServerExtensionFactory,
  type AgreedExtensions,
  type AcceptOptions,
  type RefusalOptions,
} from './server-handshake.js';
export { perMessageDeflateServer, respondToOffer, type PerMessageDeflateServerOptions } from './permessage-deflate-server.js';
export { Protocol, DEFAULT_MAX_PAYLOAD, type ProtocolCoreOptions } from './protocol.js';
export { isValidWireCloseCode, CLOSE_NO_STATUS, CLOSE_ABNORMAL } from './close.js';
export { checkProtocols, checkClose, checkHeaders, checkOptions, utf8Length, TOKEN, TIMER_MAX, type InputError, type OptionSpec } from './input.js';
export { UTF8_ACCEPT, UTF8_REJECT, utf8Step, isValidUtf8 } from './utf8.js';
export { maskInPlace, MaskKeyPool } from './mask.js';
export { encodeFrame, encodeTextFrame, encodeUnmaskedFrame, encodeUnmaskedTextFrame, OP_CONTINUATION, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG } from './frame.js';
