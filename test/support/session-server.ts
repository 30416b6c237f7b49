/**
 * A loopback `ws` server serving sessions through lifeline's adapter
 * (src/session-server/ws.ts), for the session tests in Node and in browsers. It
 * keeps every session it started and every server-side socket, can drop
 * them all (server-side destroy), and can restart as a new process would:
 * everything closed, a new adapter with an empty store, the same port.
 * Node-only.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket as WsSocket } from 'ws';
import { sessionServer, type SessionServer, type WsSessionServerOptions } from '../../src/session-server/ws.js';
import type { ServerSession } from '../../src/session-server/session.js';

export interface SessionTestServer {
  readonly port: number;
  url(path?: string): string;
  /** The current adapter (a new one after `restart()`). */
  readonly sessions: SessionServer<IncomingMessage>;
  /** Every session started, in order (across restarts). */
  readonly started: ServerSession[];
  /** Server-side sockets open now. */
  readonly sockets: ReadonlySet<WsSocket>;
  /** Destroys every server-side socket (no close frame). */
  drop(): number;
  /** Stops as a process would (sessions gone), listens again on the same port after `ms`. */
  restart(ms?: number): Promise<void>;
  close(): Promise<void>;
}

export interface SessionTestServerOptions {
  /** Adapter options (default: quick pings off). */
  options?: WsSessionServerOptions;
  /** The application's own subprotocol selection. */
  handleProtocols?: (protocols: Set<string>, request: IncomingMessage) => string | false;
  /** Called for every session started (after it is recorded). */
  onSession?: (session: ServerSession, request: IncomingMessage) => void;
  /** An HTTP handler for plain requests (control endpoints). */
  onRequest?: (request: IncomingMessage, response: import('node:http').ServerResponse) => void;
}

export async function startSessionServer(config: SessionTestServerOptions = {}): Promise<SessionTestServer> {
  const started: ServerSession[] = [];
  const sockets = new Set<WsSocket>();
  let http: Server;
  let wss: WebSocketServer;
  let adapter: SessionServer<IncomingMessage>;
  let port = 0;

  const listen = async (): Promise<void> => {
    wss = new WebSocketServer({ noServer: true, ...(config.handleProtocols ? { handleProtocols: config.handleProtocols } : {}) });
    wss.on('connection', (socket: WsSocket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    adapter = sessionServer<IncomingMessage>(wss, { pingInterval: 0, ...config.options });
    adapter.on('session', ({ session, request }) => {
      started.push(session);
      config.onSession?.(session, request);
    });
    http = createServer((request, response) => {
      response.setHeader('access-control-allow-origin', '*');
      response.setHeader('cache-control', 'no-store');
      if (config.onRequest) config.onRequest(request, response);
      else response.writeHead(404).end();
    });
    http.on('upgrade', (request, socket, head) => {
      socket.on('error', () => {});
      wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
    });
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(port, '127.0.0.1', () => resolve());
    });
    port = (http.address() as AddressInfo).port;
  };

  const stop = async (): Promise<void> => {
    // Like a process that dies: the sockets are destroyed first, then the sessions are gone with their timers.
    for (const socket of sockets) socket.terminate();
    adapter.close(1001, '');
    wss.close();
    http.closeAllConnections();
    await new Promise<void>((resolve) => http.close(() => resolve()));
  };

  await listen();
  return {
    get port() {
      return port;
    },
    url: (path = '/') => `ws://127.0.0.1:${port}${path}`,
    get sessions() {
      return adapter;
    },
    started,
    sockets,
    drop() {
      const count = sockets.size;
      for (const socket of sockets) socket.terminate();
      return count;
    },
    async restart(ms = 50) {
      await stop();
      await new Promise((resolve) => setTimeout(resolve, ms));
      await listen();
    },
    close: stop,
  };
}
