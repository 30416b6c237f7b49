/**
 * The Node transport for the resilient client: one `Connection` per attempt,
 * reporting straight to the client's handlers (no WebSocket events in
 * between). Refused handshakes become `CloseInfo` with the HTTP status and
 * the server's Retry-After in ms.
 *
 * Owns: `nodeTransport`, `createNodeTransport`. Imports the connection and
 * the seam types; must not import the client.
 */
import { Buffer } from 'node:buffer';
import { parseUrl } from '../../protocol/url.js';
import { ErrorCodes, HandshakeError, LifelineError } from '../../protocol/errors.js';
import type { CloseInfo, Transport, TransportConnectOptions, TransportData, TransportFactory, TransportHandlers } from '../types.js';
import { Connection, CONNECTING, OPEN, copyMessage, type ConnectionOwner } from './connection.js';
import { checkWebSocketOptions, parseRetryAfter, type WebSocketOptions } from './options.js';
import { utf8Slice } from './utf8-slice.js';

export type { WebSocketOptions } from './options.js';


/** Builds the CloseInfo for a connection that ended, with handshake details when it was refused. */
export function closeInfo(code: number, reason: string, wasClean: boolean, error: Error | undefined): CloseInfo {
  const info: CloseInfo = { code, reason, wasClean };
  if (error !== undefined) {
    info.error = error;
    if (error instanceof HandshakeError) {
      if (error.status !== undefined) info.status = error.status;
      const retry = parseRetryAfter(error.headers['retry-after']);
      if (retry !== undefined) info.retryAfterMs = retry;
    }
  }
  return info;
}

class NodeTransport implements Transport, ConnectionOwner {
  onDrain: (() => void) | undefined = undefined;
  private readonly connection: Connection;
  private failure: Error | undefined = undefined;

  constructor(url: string, options: WebSocketOptions, protocols: readonly string[], private readonly handlers: TransportHandlers) {
    this.connection = new Connection(parseUrl(url), protocols, options, this);
  }

  get bufferedAmount(): number {
    return this.connection.bufferedAmount;
  }

  send(data: TransportData, options?: { compress?: boolean }): void {
    // Refuse rather than drop silently once closing: the resilient client keeps the message queued for the next connection.
    if (this.connection.state !== OPEN) throw new LifelineError(ErrorCodes.INVALID_STATE, 'The transport is not open');
    const compress = options?.compress;
    if (typeof data === 'string') this.connection.send(data, false, compress);
    else if (data instanceof Uint8Array) this.connection.send(data, true, compress);
    else if (ArrayBuffer.isView(data)) this.connection.send(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), true, compress);
    else this.connection.send(new Uint8Array(data), true, compress);
  }

  close(code?: number, reason?: string): void {
    this.connection.startClose(code, reason);
  }

  terminate(): void {
    this.connection.terminate();
  }

  ping(data?: Uint8Array): Promise<number> {
    if (this.connection.state !== OPEN) return Promise.reject(new LifelineError(ErrorCodes.INVALID_STATE, 'The transport is not open'));
    return this.connection.sendPing(data);
  }

  pause(): void {
    this.connection.pause();
  }

  resume(): void {
    this.connection.resume();
  }

  timedOut(timeout: Error): Error {
    return this.connection.blameDial(timeout);
  }

  // ConnectionOwner
  _open(protocol: string, extensions: string): void {
    this.handlers.open({ protocol, extensions });
  }
  _message(data: Uint8Array, binary: boolean, stable: boolean): boolean {
    // Binary: a zero-copy view when the memory is stable (see ConnectionOwner),
    // else a copy out of the core's reused assembly buffer. Text is decoded here.
    const bytes = data.length;
    if (!binary) this.handlers.message(utf8Slice.call(data, 0, bytes), bytes);
    else if (stable) this.handlers.message(data instanceof Buffer ? data : Buffer.from(data.buffer, data.byteOffset, bytes), bytes);
    else this.handlers.message(copyMessage(data), bytes);
    return binary && stable;
  }
  _ping(payload: Uint8Array): void {
    this.handlers.control?.('ping', payload);
  }
  _pong(payload: Uint8Array): void {
    this.handlers.control?.('pong', payload);
  }
  _error(error: Error): void {
    this.failure ??= error;
  }
  _closed(code: number, reason: string, wasClean: boolean, error: Error | undefined): void {
    this.handlers.close(closeInfo(code, reason, wasClean, error ?? this.failure));
  }
  _drain(): void {
    this.onDrain?.();
  }

  get connecting(): boolean {
    return this.connection.state === CONNECTING;
  }
}

/**
 * A TransportFactory with Node options applied to every connection
 * (handshakeTimeout, TLS, proxy, perMessageDeflate, ...); the client's
 * per-attempt `headers` are merged over `options.headers`. The options are
 * checked here (TypeError / RangeError, `WS_ERR_INVALID_OPTION`).
 */
export function createNodeTransport(options?: WebSocketOptions): TransportFactory {
  return nodeTransportFactory(options, 'createNodeTransport():');
}

/**
 * @internal `createNodeTransport` for an API that takes the options under
 * another name: `where` names that API in the errors (connect() passes its
 * `socket` option here as `connect({ socket }):`).
 */
export function nodeTransportFactory(options: WebSocketOptions | undefined, where: string): TransportFactory {
  // Checked once, at the call: TypeError / RangeError.
  const defaults = checkWebSocketOptions(options, where);
  const factory = (url: string, options: TransportConnectOptions, handlers: TransportHandlers): Transport => {
    const merged: WebSocketOptions =
      options.headers === undefined ? defaults : { ...defaults, headers: { ...defaults.headers, ...(options.headers as Record<string, string>) } };
    return new NodeTransport(url, merged, options.protocols, handlers);
  };
  return factory;
}

/** The Node transport with default options. */
export const nodeTransport: TransportFactory = createNodeTransport();
