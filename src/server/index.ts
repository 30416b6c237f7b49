/**
 * lifeline's WebSocket server for tests and demos (bundled to
 * dist/serve.mjs; the `lifeline serve` command and the demo server run on
 * it): the Node server on the protocol core's server role, the fault
 * controller with its stdin commands, HTTP control endpoint and scripted
 * schedules, and in-process self-signed certificates.
 *
 * Re-exports only; see each module.
 */
export { WebSocketServer, ServerConnection, type ServerOptions, type ServerHandlers, type HttpAnswer, type UpgradeAnswer } from './server.js';
export type { ConnectionPhase } from './connection.js';
export {
  Faults,
  FaultError,
  FAULTS,
  MALFORMED,
  controlRequest,
  runFaultCommand,
  faultHelp,
  findFault,
  resolveFault,
  parseSeconds,
  type FaultEvent,
  type FaultSource,
  type FaultOptions,
  type FaultSpec,
  type ExtraFault,
  type ExtraFaults,
} from './faults.js';
export { parseChaos, startChaos, type ChaosSpec } from './chaos.js';
export { selfSignedCertificate, type SelfSigned } from './self-signed.js';
export type { HttpRequest, UpgradeRequest } from '../protocol/server-handshake.js';
export type { PerMessageDeflateServerOptions } from '../protocol/permessage-deflate-server.js';
