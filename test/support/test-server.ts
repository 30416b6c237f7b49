/**
 * The loopback test server shared by Node tests and browser tests: a real
 * `ws` server with fault controls, reachable over HTTP so a browser page can
 * drive it too.
 *
 * WebSocket paths (query string optional):
 *   /echo                      echo every message (text stays text)
 *   /close?code=4001&reason=x  close right after the handshake
 *   /hello?msg=x               send `msg` once after open, then echo
 * Any path echoes. Subprotocols: the first offered of `json`, `chat`,
 * `lifeline.v1` is selected (none otherwise).
 *
 * Control (plain HTTP GET, CORS open):
 *   /control/drop              destroy every socket (no close frame)
 *   /control/close?code=1012   send a close frame to every client
 *   /control/refuse?status=503&seconds=2   answer upgrades with that status
 *   /control/silent?on=1       stop answering pings and messages (half-open)
 *   /control/restart?ms=300    stop listening, drop all, listen again later
 *   /control/stats             {"connections":N,"total":N,"received":[...]}
 *   /control/reset             clear faults and the received log
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket as WsSocket } from 'ws';

export interface TestServer {
  readonly port: number;
  url(path?: string): string;
  /** Messages received by the server, in order (text as string, binary as hex prefixed with `0x`). */
  readonly received: string[];
  readonly connections: number;
  readonly totalConnections: number;
  drop(): void;
  closeAll(code?: number, reason?: string): void;
  refuse(status: number, ms: number, headers?: Record<string, string>): void;
  silent(on: boolean): void;
  restart(ms: number): Promise<void>;
  reset(): void;
  close(): Promise<void>;
}

export interface TestServerOptions {
  port?: number;
  host?: string;
  perMessageDeflate?: boolean | object;
}

const PROTOCOLS = ['json', 'chat', 'lifeline.v1'];

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const host = options.host ?? '127.0.0.1';
  let refuseUntil = 0;
  let refuseStatus = 503;
  let refuseHeaders: Record<string, string> = {};
  let isSilent = false;
  let total = 0;
  const received: string[] = [];
  const sockets = new Set<WsSocket>();
  const raw = new Set<Duplex>();

  const wss = new WebSocketServer({
    noServer: true,
    autoPong: false,
    perMessageDeflate: options.perMessageDeflate ?? false,
    handleProtocols: (offered) => {
      for (const p of offered) if (PROTOCOLS.includes(p)) return p;
      return false;
    },
  });

  wss.on('connection', (ws: WsSocket, req: IncomingMessage) => {
    total++;
    sockets.add(ws);
    ws.on('close', () => sockets.delete(ws));
    ws.on('error', () => {});
    ws.on('ping', (data) => {
      if (!isSilent) ws.pong(data);
    });
    const u = new URL(req.url ?? '/', 'http://x');
    if (u.pathname === '/close') {
      ws.close(Number(u.searchParams.get('code') ?? 1000), u.searchParams.get('reason') ?? '');
      return;
    }
    if (u.pathname === '/hello') ws.send(u.searchParams.get('msg') ?? 'hello');
    ws.on('message', (data, isBinary) => {
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      received.push(isBinary ? '0x' + buf.toString('hex') : buf.toString('utf8'));
      if (!isSilent) ws.send(buf, { binary: isBinary });
    });
  });

  const handleHttp = (req: IncomingMessage, res: ServerResponse) => {
    res.setHeader('access-control-allow-origin', '*');
    res.setHeader('cache-control', 'no-store');
    const u = new URL(req.url ?? '/', 'http://x');
    const q = (k: string, d: string) => u.searchParams.get(k) ?? d;
    const done = (body: unknown = { ok: true }) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(body));
    };
    switch (u.pathname) {
      case '/control/drop': api.drop(); return done();
      case '/control/close': api.closeAll(Number(q('code', '1012')), q('reason', '')); return done();
      case '/control/refuse': api.refuse(Number(q('status', '503')), Number(q('seconds', '2')) * 1000); return done();
      case '/control/silent': api.silent(q('on', '1') === '1'); return done();
      case '/control/restart':
        // Answer first: the restart closes every connection, this request's too.
        res.once('finish', () => void api.restart(Number(q('ms', '300'))));
        return done();
      case '/control/reset': api.reset(); return done();
      case '/control/stats': return done({ connections: sockets.size, total, received });
      default:
        res.statusCode = 404;
        res.end('not found');
    }
  };

  const handleUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    raw.add(socket);
    socket.on('close', () => raw.delete(socket));
    socket.on('error', () => {});
    if (Date.now() < refuseUntil) {
      const hdrs = Object.entries(refuseHeaders).map(([k, v]) => `${k}: ${v}\r\n`).join('');
      const body = `refused by test server (${refuseStatus})`;
      socket.end(`HTTP/1.1 ${refuseStatus} Refused\r\ncontent-type: text/plain\r\ncontent-length: ${body.length}\r\n${hdrs}connection: close\r\n\r\n${body}`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  };

  let server: Server;
  let port = options.port ?? 0;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server = createServer(handleHttp);
      server.on('upgrade', handleUpgrade);
      server.once('error', reject);
      server.listen(port, host, () => {
        port = (server.address() as { port: number }).port;
        resolve();
      });
    });
  const stopListening = () =>
    new Promise<void>((resolve) => {
      for (const s of raw) s.destroy();
      server.close(() => resolve());
      server.closeAllConnections?.();
    });

  await listen();

  const api: TestServer = {
    get port() { return port; },
    url: (path = '/echo') => `ws://${host}:${port}${path}`,
    received,
    get connections() { return sockets.size; },
    get totalConnections() { return total; },
    drop() {
      for (const ws of sockets) ws.terminate();
    },
    closeAll(code = 1012, reason = '') {
      for (const ws of sockets) ws.close(code, reason);
    },
    refuse(status, ms, headers = {}) {
      refuseStatus = status;
      refuseHeaders = headers;
      refuseUntil = Date.now() + ms;
    },
    silent(on) {
      isSilent = on;
    },
    async restart(ms) {
      await stopListening();
      for (const ws of sockets) ws.terminate();
      await new Promise((r) => setTimeout(r, ms));
      await listen();
    },
    reset() {
      refuseUntil = 0;
      isSilent = false;
      received.length = 0;
    },
    async close() {
      for (const ws of sockets) ws.terminate();
      await stopListening();
      wss.close();
    },
  };
  return api;
}
