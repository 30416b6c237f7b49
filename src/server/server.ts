/**
 * lifeline's Node WebSocket server: a raw `node:net` (or `node:tls`)
 * listener with one protocol core per connection, in the server role. No
 * `ws`, no `node:http`: the handshake is the protocol's own server half
 * (RFC 6455 §4.2), permessage-deflate its server side (RFC 7692).
 *
 * Requests that do not ask for an upgrade go to the `request` handler, so
 * one port can serve a page or a control endpoint next to the WebSockets
 * (each plain request is answered and its connection closed).
 *
 * Owns: the listener, the set of connections, the upgrade decision
 * (subprotocol, extensions, an application's accept/refuse/delay), listen /
 * stop / listen again on the same port. Imports the protocol, the server
 * connection, and node:zlib's codecs from the Node transport (the same
 * platform permessage-deflate uses on the client). Must not import the
 * client, the CLI or entries.
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import type { Buffer } from 'node:buffer';
import { HandshakeError, type ProtocolError } from '../protocol/errors.js';
import { checkUpgrade, isUpgradeRequest, negotiateServerExtensions, selectSubprotocol, type HttpRequest, type ServerExtensionFactory, type UpgradeRequest } from '../protocol/server-handshake.js';
import { perMessageDeflateServer, type PerMessageDeflateServerOptions } from '../protocol/permessage-deflate-server.js';
import { DEFAULT_MAX_PAYLOAD } from '../protocol/protocol.js';
import { zlibDeflateRaw, zlibInflateRaw } from '../transport/node/zlib-inflate.js';
import { ServerConnection, type ConnectionHost } from './connection.js';

export { ServerConnection } from './connection.js';

/** An answer to a plain HTTP request. */
export interface HttpAnswer {
  status: number;
  headers?: Readonly<Record<string, string>>;
  body?: string | Uint8Array;
}

/** How an application answers an upgrade: accept (optionally naming the subprotocol and extra headers), or refuse. */
export type UpgradeAnswer =
  | undefined
  | { protocol?: string; headers?: Readonly<Record<string, string>> }
  | { refuse: number; headers?: Readonly<Record<string, string>>; body?: string };

/** What the server tells the application. Every handler is optional; all run synchronously in event order. */
export interface ServerHandlers {
  /** A plain HTTP request (no upgrade). Default: 426 Upgrade Required. */
  request?(req: HttpRequest, conn: ServerConnection): HttpAnswer | Promise<HttpAnswer>;
  /** An upgrade that passed the RFC checks. Return nothing to accept, or a Promise (delay the answer). */
  upgrade?(up: UpgradeRequest, conn: ServerConnection): UpgradeAnswer | Promise<UpgradeAnswer>;
  open?(conn: ServerConnection): void;
  message?(conn: ServerConnection, data: string | Buffer, binary: boolean): void;
  ping?(conn: ServerConnection, payload: Buffer): void;
  pong?(conn: ServerConnection, payload: Buffer): void;
  /** The client violated the protocol (the close frame with the code went out). `close` follows. */
  error?(conn: ServerConnection, error: ProtocolError): void;
  /** An opened connection ended. */
  close?(conn: ServerConnection, code: number, reason: string, wasClean: boolean): void;
  /** A request that was refused before any application decision (malformed, bad upgrade headers, too slow). */
  badRequest?(conn: ServerConnection, error: HandshakeError): void;
}

export interface ServerOptions {
  /** Subprotocols this server speaks, best first: the first of them the client offered is selected; none when none matches. */
  protocols?: readonly string[];
  /** permessage-deflate: `true` (default) answers offers with defaults, an object tunes it, `false` declines. */
  perMessageDeflate?: boolean | PerMessageDeflateServerOptions;
  /** Largest message accepted (after decompression), bytes; over it the connection closes with 1009. Default 100 MiB. */
  maxPayload?: number;
  /** Time allowed for the request head, ms (then 408). Default 10,000. */
  handshakeTimeout?: number;
  /** After a close frame, time allowed for the client to finish, ms; then the socket is destroyed. Default 10,000. */
  closeTimeout?: number;
  /** Extra headers on every 101 answer. */
  headers?: Readonly<Record<string, string>>;
  /** Serve TLS (wss://) with this certificate and key (PEM). */
  tls?: { cert: string | Buffer; key: string | Buffer; passphrase?: string };
}

const NODE_DEFLATE_PLATFORM = { inflateRaw: zlibInflateRaw, deflateRaw: zlibDeflateRaw };

function isPromise<T>(value: unknown): value is Promise<T> {
  return typeof (value as { then?: unknown } | undefined)?.then === 'function';
}

/**
 * A WebSocket server. `listen()` to start; `connections` holds the open
 * ones. `stopListening()` and `listen()` again (same port) make a restart.
 */
export class WebSocketServer implements ConnectionHost {
  /** Open connections (closing ones stay until their socket closes). */
  readonly connections = new Set<ServerConnection>();
  /** Every socket in any phase (request, deciding, open, closing). */
  private readonly sockets = new Set<ServerConnection>();
  handlers: ServerHandlers;
  private readonly options: ServerOptions;
  private readonly listener: net.Server;
  private readonly factories: ServerExtensionFactory[];
  private nextId = 1;
  private boundPort = 0;
  private boundHost = '127.0.0.1';
  private listening = false;

  constructor(options: ServerOptions = {}, handlers: ServerHandlers = {}) {
    this.options = options;
    this.handlers = handlers;
    const pmd = options.perMessageDeflate ?? true;
    this.factories = pmd === false ? [] : [perMessageDeflateServer(pmd === true ? undefined : pmd, NODE_DEFLATE_PLATFORM)];
    const accept = (socket: net.Socket) => this.acceptSocket(socket);
    if (options.tls !== undefined) {
      const tlsOptions = options.tls;
      this.listener = tls.createServer({ cert: tlsOptions.cert, key: tlsOptions.key, ...(tlsOptions.passphrase !== undefined ? { passphrase: tlsOptions.passphrase } : {}) }, accept);
      // A client that fails the TLS handshake (plain TCP, an untrusted certificate) is not our business.
      this.listener.on('tlsClientError', () => {});
    } else {
      this.listener = net.createServer(accept);
    }
    // listen() reports its own errors; one after listening (EMFILE on accept ...) must not crash the process.
    this.listener.on('error', () => {});
  }

  /** `ws:` or `wss:`. */
  get scheme(): 'ws' | 'wss' {
    return this.options.tls !== undefined ? 'wss' : 'ws';
  }

  /** The port listened on (after `listen()`), kept across `stopListening()` for a restart. */
  get port(): number {
    return this.boundPort;
  }

  get host(): string {
    return this.boundHost;
  }

  get isListening(): boolean {
    return this.listening;
  }

  /** `ws://host:port/` (IPv6 hosts in brackets). */
  get url(): string {
    const host = this.boundHost.includes(':') ? `[${this.boundHost}]` : this.boundHost;
    return `${this.scheme}://${host}:${this.boundPort}/`;
  }

  /** Starts listening; port 0 picks a free one. Rejects with Node's error (EADDRINUSE ...). */
  listen(port = 0, host = '127.0.0.1'): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.listener.once('error', onError);
      this.listener.listen(port, host, () => {
        this.listener.off('error', onError);
        const address = this.listener.address() as net.AddressInfo;
        this.boundPort = address.port;
        this.boundHost = host;
        this.listening = true;
        resolve();
      });
    });
  }

  /**
   * Stops accepting and drops every socket at once (no close frames): the
   * first half of a restart. Accepting stops first: a client that sees its
   * connection dropped and dials at once must be refused, not let into the
   * listen backlog and then reset when the listener closes.
   */
  stopListening(): Promise<void> {
    const closed = this.listening ? new Promise<void>((resolve) => this.listener.close(() => resolve())) : Promise.resolve();
    this.listening = false;
    for (const connection of this.sockets) connection.terminate();
    return closed;
  }

  /**
   * Closes every open connection with `code` (default 1001 going away),
   * waits up to `graceMs` for the closing handshakes, drops what remains
   * and stops listening.
   */
  async close(code = 1001, reason = 'server shutting down', graceMs = 1000): Promise<void> {
    for (const connection of this.connections) connection.startClose(code, reason);
    const deadline = Date.now() + graceMs;
    while (this.connections.size > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    await this.stopListening();
  }

  private acceptSocket(socket: net.Socket): void {
    const conn = new ServerConnection(this.nextId++, socket, this, this.options.handshakeTimeout ?? 10_000);
    this.sockets.add(conn);
  }

  // ---- ConnectionHost ----

  _request(conn: ServerConnection, req: HttpRequest): void {
    if (!isUpgradeRequest(req)) {
      this.answerHttp(conn, req);
      return;
    }
    let up: UpgradeRequest;
    try {
      up = checkUpgrade(req);
    } catch (err) {
      if (!(err instanceof HandshakeError)) throw err;
      conn.refuse(err.status ?? 400, err.headers, `${err.message}\n`);
      this.handlers.badRequest?.(conn, err);
      return;
    }
    const decide = this.handlers.upgrade;
    const answer = decide === undefined ? undefined : decide(up, conn);
    if (isPromise<UpgradeAnswer>(answer)) {
      answer.then(
        (resolved) => this.finishUpgrade(conn, up, resolved),
        () => this.finishUpgrade(conn, up, { refuse: 500 }),
      );
    } else {
      this.finishUpgrade(conn, up, answer);
    }
  }

  private answerHttp(conn: ServerConnection, req: HttpRequest): void {
    const handler = this.handlers.request;
    if (handler === undefined) {
      conn.respond(426, { Upgrade: 'websocket', 'Sec-WebSocket-Version': '13' }, 'This is a WebSocket server: connect with a WebSocket client.\n');
      return;
    }
    const send = (reply: HttpAnswer) => {
      if (conn.phase === 'deciding') conn.respond(reply.status, reply.headers, reply.body);
    };
    let answer: HttpAnswer | Promise<HttpAnswer>;
    try {
      answer = handler(req, conn);
    } catch {
      send({ status: 500 });
      return;
    }
    if (isPromise<HttpAnswer>(answer)) answer.then(send, () => send({ status: 500 }));
    else send(answer);
  }

  private finishUpgrade(conn: ServerConnection, up: UpgradeRequest, answer: UpgradeAnswer): void {
    if (conn.phase !== 'deciding') return;
    if (answer !== undefined && 'refuse' in answer) {
      conn.refuse(answer.refuse, answer.headers, answer.body);
      return;
    }
    let protocol = selectSubprotocol(up.protocols, this.options.protocols ?? []);
    if (answer !== undefined && answer.protocol !== undefined) {
      // §4.2.2 item 5.4: only a subprotocol the client offered (or none).
      if (answer.protocol !== '' && !up.protocols.includes(answer.protocol)) {
        conn.refuse(500, undefined, `The server chose subprotocol ${JSON.stringify(answer.protocol)}, which the client did not offer\n`);
        return;
      }
      protocol = answer.protocol;
    }
    const agreed = negotiateServerExtensions(up.extensions, this.factories);
    const headers = answer?.headers === undefined ? this.options.headers : { ...this.options.headers, ...answer.headers };
    conn.accept({
      key: up.key,
      protocol,
      extensionsHeader: agreed.header,
      extensions: agreed.extensions,
      ...(headers !== undefined ? { headers } : {}),
      maxPayload: this.options.maxPayload ?? DEFAULT_MAX_PAYLOAD,
      closeTimeout: this.options.closeTimeout ?? 10_000,
    });
  }

  _badRequest(conn: ServerConnection, error: HandshakeError): void {
    this.handlers.badRequest?.(conn, error);
  }

  _open(conn: ServerConnection): void {
    this.connections.add(conn);
    this.handlers.open?.(conn);
  }

  _message(conn: ServerConnection, data: string | Buffer, binary: boolean): void {
    this.handlers.message?.(conn, data, binary);
  }

  _ping(conn: ServerConnection, payload: Buffer): void {
    this.handlers.ping?.(conn, payload);
  }

  _pong(conn: ServerConnection, payload: Buffer): void {
    this.handlers.pong?.(conn, payload);
  }

  _error(conn: ServerConnection, error: ProtocolError): void {
    this.handlers.error?.(conn, error);
  }

  _closed(conn: ServerConnection, code: number, reason: string, wasClean: boolean): void {
    this.connections.delete(conn);
    this.handlers.close?.(conn, code, reason, wasClean);
  }

  _gone(conn: ServerConnection): void {
    this.sockets.delete(conn);
    this.connections.delete(conn);
  }
}
