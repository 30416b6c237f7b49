#!/usr/bin/env node
/**
 * The lifeline demo server: one HTTP server on loopback that serves the demo
 * page (demo/index.html, app.js, style.css and dist/lifeline.min.js) and, on
 * the same port, a `ws` WebSocket server streaming live data, with fault
 * controls so you can watch a lifeline connection survive them.
 *
 * Plain JavaScript (ESM) on purpose: `npm run demo` runs it right after the
 * build, nothing to compile. Importable: `startDemoServer()` is what the
 * Node demo and the tests use.
 *
 * WebSocket (any path; `?client=<name>` labels the connection in logs):
 *   Subprotocols `ticker.v2` and `ticker.v1` (RFC 6455 §1.9, §4.2.2): the
 *   server selects its preferred one among those offered (see `protocol`
 *   below), or none. Both carry JSON text messages:
 *     server → client  {type:'welcome', id, protocol, clients}
 *                      {type:'tick', seq, t, prices:{SYM:price}}      every 1.5 s
 *                      v2 ticks also carry `changes:{SYM:delta}`
 *                      {type:'ack', id, n}        your chat message `id` is the server's n-th
 *                      {type:'chat', id, from, text, n}                others' chat messages
 *                      {type:'pong', t}           answer to an app-level heartbeat
 *     client → server  {type:'chat', id, text}   (a plain string is taken as chat text)
 *                      {type:'ping', t} or the text `ping`              app-level heartbeat
 *   Protocol pings (opcode 0x9) are answered by hand (`autoPong: false`), so
 *   a "silent" connection can stop answering them.
 *
 * Reliable sessions (path `/session`): the same application over lifeline's
 * session adapter (dist/server.mjs, docs/session-protocol.md), for clients
 * connecting with `session: lifeline.session()`. Every message is then
 * delivered exactly once and in order across drops; ticks also carry `n`,
 * this session's tick count, so a client can see that none is missing.
 * A restart forgets the sessions (as a new process would): clients are told
 * their session was lost.
 *
 * Faults (HTTP GET or POST; JSON answer; also typed on stdin when run):
 *   /fault/drop                         destroy every connection, no close frame (client sees 1006)
 *   /fault/close?code=1012              close every connection with a close frame
 *   /fault/refuse?status=503&seconds=5  answer new handshakes with that HTTP status
 *   /fault/silent?seconds=0             half-open: current connections (and new ones for
 *                                       `seconds`) stop reading, answering and sending,
 *                                       while their TCP connections stay open
 *   /fault/restart?seconds=2            drop everything, stop listening, listen again
 *   /fault/slow?seconds=10              slow reader: stop reading from every connection
 *                                       (TCP backpressure reaches the client's buffer)
 *   /fault/protocol?name=ticker.v1      prefer this subprotocol (`none` = select none);
 *                                       closes connections with 1012 so clients renegotiate
 *   /fault/reset                        clear all faults
 *   /fault/stats                        connections, faults, chat log
 *
 * Imports: node:*, `ws`, and for the session endpoint lifeline's server
 * adapter (dist/server.mjs); the plain endpoints never use lifeline.
 */
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join, extname } from 'node:path';
import { WebSocketServer } from 'ws';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');

/** Subprotocols the server speaks, best first. */
export const PROTOCOLS = ['ticker.v2', 'ticker.v1'];

const STATIC = {
  '/': join(here, 'index.html'),
  '/index.html': join(here, 'index.html'),
  '/app.js': join(here, 'app.js'),
  '/style.css': join(here, 'style.css'),
  '/screenshot.png': join(here, 'screenshot.png'),
  '/lifeline.min.js': join(root, 'dist', 'lifeline.min.js'),
  '/lifeline.min.js.map': join(root, 'dist', 'lifeline.min.js.map'),
};
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.png': 'image/png',
};

/** HTTP reason phrases for the statuses the refuse fault is likely to use. */
const REASONS = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 429: 'Too Many Requests', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable' };

const clampInt = (v, lo, hi, dflt) => {
  const n = Number(v);
  return Number.isFinite(n) ? Math.min(hi, Math.max(lo, Math.round(n))) : dflt;
};

/**
 * Starts the demo server.
 * @param {object} [options]
 * @param {number} [options.port=8080] port to try; 0 = any free port. If it is taken, a free port is used.
 * @param {string} [options.host='127.0.0.1']
 * @param {number} [options.tickMs=1500] ticker period (longer than the page's heartbeat interval, so idle gaps let probes and RTTs show)
 * @param {(line: string) => void} [options.log] server log lines (default: none)
 */
export async function startDemoServer(options = {}) {
  const { sessionServer } = await import('../dist/server.mjs').catch((e) => {
    throw new Error(`dist/server.mjs is missing: run \`npm run build\` (or \`npm run demo\`) (${e.message})`);
  });
  const host = options.host ?? '127.0.0.1';
  const tickMs = options.tickMs ?? 1500;
  const log = options.log ?? (() => {});

  /** Connection bookkeeping: ws → {id, name, silent}. */
  const conns = new Map();
  const raw = new Set();
  let total = 0;
  let chatN = 0;
  const chats = [];
  const faults = { refuseUntil: 0, refuseStatus: 503, silentUntil: 0, slowUntil: 0, restartUntil: 0 };
  let preferred = PROTOCOLS[0];
  let slowTimer;
  let restarting = false;
  let closed = false;

  const handleProtocols = (offered) => {
    if (preferred === 'none') return false;
    if (offered.has(preferred)) return preferred;
    for (const p of PROTOCOLS) if (offered.has(p)) return p;
    return false;
  };
  const wss = new WebSocketServer({
    noServer: true,
    // We answer protocol pings ourselves so a silent (half-open) peer can ignore them.
    autoPong: false,
    // RFC 7692 permessage-deflate, so the Node demo can show it negotiated; threshold 0
    // compresses even the small ticks.
    perMessageDeflate: { threshold: 0 },
    clientTracking: false,
    handleProtocols,
  });

  const send = (ws, msg) => {
    if (ws.readyState === 1) ws.send(JSON.stringify(msg));
  };
  const healthy = (ws) => !conns.get(ws)?.silent;

  wss.on('connection', (ws, req) => {
    total++;
    const u = new URL(req.url ?? '/', 'http://x');
    const info = { id: total, name: u.searchParams.get('client') ?? `c${total}`, silent: Date.now() < faults.silentUntil };
    conns.set(ws, info);
    log(`+ connection #${info.id} (${info.name}) protocol=${ws.protocol || '(none)'} extensions=${ws.extensions || '(none)'}${info.silent ? ' [silent]' : ''}`);
    ws.on('error', () => {});
    ws.on('close', (code) => {
      conns.delete(ws);
      log(`- connection #${info.id} (${info.name}) closed ${code}`);
    });
    if (info.silent) {
      ws.pause();
      return;
    }
    if (Date.now() < faults.slowUntil) ws.pause();
    ws.on('ping', (data) => {
      if (healthy(ws)) ws.pong(data);
    });
    ws.on('message', (data, isBinary) => {
      if (!healthy(ws)) return;
      const text = isBinary ? null : data.toString();
      if (text === 'ping') return ws.send('pong');
      let msg;
      try {
        msg = text !== null && text.startsWith('{') ? JSON.parse(text) : { type: 'chat', text: text ?? `<${data.length} bytes>` };
      } catch {
        msg = { type: 'chat', text };
      }
      if (msg.type === 'ping') return send(ws, { type: 'pong', t: msg.t });
      if (msg.type === 'chat') {
        const n = ++chatN;
        const entry = { n, id: msg.id ?? null, from: info.name, conn: info.id, text: String(msg.text ?? '').slice(0, 500) };
        chats.push(entry);
        if (chats.length > 1000) chats.shift();
        send(ws, { type: 'ack', id: entry.id, n });
        for (const [other, o] of conns) if (other !== ws && !o.silent) send(other, { type: 'chat', ...entry });
        for (const [other, o] of sessions) if (!o.silent) sendSession(other, { type: 'chat', ...entry });
        return;
      }
      if (msg.type === 'bulk') {
        // Burst traffic for the slow-reader demo: count it, acknowledge the last one.
        if (msg.last) send(ws, { type: 'ack', id: msg.id ?? null, n: chatN, bulk: msg.seq });
        return;
      }
      send(ws, { type: 'error', message: `unknown message type ${JSON.stringify(msg.type)}` });
    });
    send(ws, { type: 'welcome', id: info.id, protocol: ws.protocol, extensions: ws.extensions, clients: [...conns.values()].filter((o) => !o.silent).length });
  });

  // ---- reliable sessions (path /session) ----
  // A second ws server for the session endpoint, with lifeline's adapter on it. Each session
  // outlives its connections; `sessions` maps it to what the demo keeps about its client.
  const sessions = new Map();
  const sessionSockets = new Set();
  const sessionWss = new WebSocketServer({ noServer: true, perMessageDeflate: { threshold: 0 }, clientTracking: false, handleProtocols });
  sessionWss.on('connection', (ws) => {
    sessionSockets.add(ws);
    ws.on('close', () => sessionSockets.delete(ws));
    if (Date.now() < faults.slowUntil || Date.now() < faults.silentUntil) ws.pause();
  });
  /** Sends a JSON message into a session (held until acknowledged; skipped while its buffer is full). */
  const sendSession = (session, msg) => {
    if (session.writable) session.send(JSON.stringify(msg)).catch(() => {});
  };
  let sessionAdapter;
  const startSessions = () => {
    sessionAdapter = sessionServer(sessionWss);
    sessionAdapter.on('session', ({ session, request }) => {
      total++;
      const u = new URL(request.url ?? '/', 'http://x');
      const info = { id: total, name: u.searchParams.get('client') ?? `s${total}`, silent: false, ticks: 0, received: 0 };
      sessions.set(session, info);
      log(`+ session ${session.id} (${info.name}) protocol=${session.protocol || '(none)'}${session.reliable ? '' : ' [the client does not speak sessions: plain]'}`);
      session.on('attach', ({ resumed, replayed }) => {
        info.silent = false;
        if (resumed) log(`  session ${session.id} (${info.name}) resumed; ${replayed} message(s) sent again`);
      });
      session.on('detach', () => log(`  session ${session.id} (${info.name}) lost its connection; waiting for a resume`));
      session.on('close', ({ reason }) => {
        sessions.delete(session);
        log(`- session ${session.id} (${info.name}) ${reason}`);
      });
      session.on('message', (data) => {
        if (info.silent) return;
        info.received++;
        let msg;
        try {
          msg = typeof data === 'string' && data.startsWith('{') ? JSON.parse(data) : { type: 'chat', text: typeof data === 'string' ? data : `<${data.length} bytes>` };
        } catch {
          msg = { type: 'chat', text: data };
        }
        if (msg.type === 'chat') {
          const n = ++chatN;
          const entry = { n, id: msg.id ?? null, from: info.name, conn: info.id, session: session.id, text: String(msg.text ?? '').slice(0, 500) };
          chats.push(entry);
          if (chats.length > 1000) chats.shift();
          sendSession(session, { type: 'ack', id: entry.id, n });
          for (const [other, o] of conns) if (!o.silent) send(other, { type: 'chat', ...entry });
          for (const [other, o] of sessions) if (other !== session && !o.silent) sendSession(other, { type: 'chat', ...entry });
        } else if (msg.type === 'bulk') {
          if (msg.last) sendSession(session, { type: 'ack', id: msg.id ?? null, n: chatN, bulk: msg.seq });
        } else if (msg.type !== 'ping') sendSession(session, { type: 'error', message: `unknown message type ${JSON.stringify(msg.type)}` });
      });
      sendSession(session, { type: 'welcome', id: info.id, session: session.id, protocol: session.protocol, clients: conns.size + sessions.size });
    });
  };
  startSessions();

  // The ticker: a random walk per symbol, one message per tick to every healthy connection.
  const prices = { LIFE: 100, WSS: 42, TCP: 6455 / 100 };
  let seq = 0;
  const ticker = setInterval(() => {
    seq++;
    const changes = {};
    for (const k of Object.keys(prices)) {
      const d = Math.round((Math.random() - 0.5) * prices[k] * 0.004 * 100) / 100;
      prices[k] = Math.max(1, Math.round((prices[k] + d) * 100) / 100);
      changes[k] = d;
    }
    const v1 = JSON.stringify({ type: 'tick', seq, t: Date.now(), prices });
    const v2 = JSON.stringify({ type: 'tick', seq, t: Date.now(), prices, changes });
    for (const [ws, o] of conns) if (!o.silent && ws.readyState === 1) ws.send(ws.protocol === 'ticker.v2' ? v2 : v1);
    // A session's ticks also carry `n`, its own count: a client sees that none is missing or repeated.
    for (const [session, o] of sessions) {
      if (o.silent || !session.writable) continue;
      const tick = { type: 'tick', seq, n: ++o.ticks, t: Date.now(), prices, ...(session.protocol === 'ticker.v2' ? { changes } : {}) };
      session.send(JSON.stringify(tick)).catch(() => {});
    }
  }, tickMs);
  ticker.unref?.();

  const statusLine = (status) => `HTTP/1.1 ${status} ${REASONS[status] ?? 'Refused'}\r\n`;
  const handleUpgrade = (req, socket, head) => {
    raw.add(socket);
    socket.on('close', () => raw.delete(socket));
    socket.on('error', () => {});
    if (Date.now() < faults.refuseUntil) {
      const secs = Math.max(1, Math.ceil((faults.refuseUntil - Date.now()) / 1000));
      const body = `refused by the lifeline demo server (fault: refuse ${faults.refuseStatus})\n`;
      // Retry-After (RFC 9110 §10.2.3) tells clients that can see it how long to wait.
      socket.end(
        statusLine(faults.refuseStatus) +
          `content-type: text/plain\r\ncontent-length: ${Buffer.byteLength(body)}\r\nretry-after: ${secs}\r\nconnection: close\r\n\r\n${body}`,
      );
      log(`  refused a handshake with ${faults.refuseStatus}`);
      return;
    }
    const target = new URL(req.url ?? '/', 'http://x').pathname === '/session' ? sessionWss : wss;
    target.handleUpgrade(req, socket, head, (ws) => target.emit('connection', ws, req));
  };

  let server;
  let port = options.port ?? 8080;
  const faultHandlers = {
    drop: () => api.drop(),
    close: (q) => api.closeAll(clampInt(q.get('code'), 1000, 4999, 1012), q.get('reason') ?? 'closed by demo fault'),
    refuse: (q) => api.refuse(clampInt(q.get('status'), 400, 599, 503), clampInt(q.get('seconds'), 1, 600, 5)),
    silent: (q) => api.silent(clampInt(q.get('seconds'), 0, 600, 0)),
    restart: (q) => {
      if (restarting) return 'already restarting';
      const secs = clampInt(q.get('seconds'), 0, 60, 2);
      setTimeout(() => void api.restart(secs), 20); // answer the request first
      return `restarting: down for ${secs} s`;
    },
    slow: (q) => api.slow(clampInt(q.get('seconds'), 1, 600, 10)),
    protocol: (q) => api.setProtocol(q.get('name') ?? PROTOCOLS[0]),
    reset: () => api.reset(),
  };

  const handleHttp = async (req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    res.setHeader('cache-control', 'no-store');
    if (u.pathname.startsWith('/fault/')) {
      const name = u.pathname.slice(7);
      const json = (status, body) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (name === 'stats') return json(200, api.stats());
      const h = faultHandlers[name];
      if (!h || (req.method !== 'GET' && req.method !== 'POST')) return json(404, { ok: false, error: `no fault '${name}'` });
      try {
        return json(200, { ok: true, fault: name, message: h(u.searchParams) });
      } catch (e) {
        return json(400, { ok: false, error: String(e?.message ?? e) });
      }
    }
    if (u.pathname === '/favicon.ico') {
      res.writeHead(204);
      return res.end();
    }
    const file = STATIC[u.pathname];
    if (!file || req.method !== 'GET') {
      res.writeHead(404, { 'content-type': 'text/plain' });
      return res.end('not found\n');
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(file.includes('dist') ? 503 : 404, { 'content-type': 'text/plain' });
      res.end(file.includes('dist') ? 'dist/ is missing: run `npm run build` (or `npm run demo`)\n' : 'not found\n');
    }
  };

  const listenOn = (p) =>
    new Promise((resolve, reject) => {
      const s = createServer((req, res) => void handleHttp(req, res));
      s.on('upgrade', handleUpgrade);
      s.once('error', reject);
      s.listen(p, host, () => {
        s.off('error', reject);
        resolve(s);
      });
    });
  const listen = async () => {
    try {
      server = await listenOn(port);
    } catch (e) {
      if (e?.code !== 'EADDRINUSE') throw e;
      log(`port ${port} is taken; using a free port`);
      server = await listenOn(0);
    }
    port = server.address().port;
  };
  const stopListening = () =>
    new Promise((resolve) => {
      for (const s of raw) s.destroy();
      server.close(() => resolve());
      server.closeAllConnections?.();
    });

  await listen();

  const api = {
    get port() {
      return port;
    },
    get url() {
      return `http://${host}:${port}/`;
    },
    get wsUrl() {
      return `ws://${host}:${port}/`;
    },
    /** Destroy every connection without a close frame. */
    drop() {
      const n = conns.size + sessionSockets.size;
      for (const ws of [...conns.keys(), ...sessionSockets]) ws.terminate();
      return `dropped ${n} connection(s)`;
    },
    /** Close every connection with a close frame. */
    closeAll(code = 1012, reason = '') {
      const n = conns.size + sessionSockets.size;
      for (const ws of [...conns.keys(), ...sessionSockets]) ws.close(code, reason);
      return `closed ${n} connection(s) with ${code}`;
    },
    /** Refuse new handshakes with `status` for `seconds`. */
    refuse(status = 503, seconds = 5) {
      faults.refuseStatus = status;
      faults.refuseUntil = Date.now() + seconds * 1000;
      return `refusing handshakes with ${status} for ${seconds} s`;
    },
    /** Half-open: current connections (and new ones for `seconds`) go silent, TCP stays open. */
    silent(seconds = 0) {
      faults.silentUntil = Date.now() + seconds * 1000;
      let n = 0;
      for (const [ws, o] of conns) {
        if (o.silent) continue;
        o.silent = true;
        ws.pause(); // read nothing: no pongs, no close-frame answers, like a peer that vanished
        n++;
        // A vanished peer's connection is reaped by the server's own timeout eventually.
        setTimeout(() => ws.terminate(), 120_000).unref?.();
      }
      // Sessions go quiet until they resume on a new connection (their client's heartbeat finds the silence).
      for (const o of sessions.values()) o.silent = true;
      for (const ws of sessionSockets) {
        ws.pause();
        n++;
        setTimeout(() => ws.terminate(), 120_000).unref?.();
      }
      return `${n} connection(s) went silent (half-open)` + (seconds ? `, new ones too for ${seconds} s` : '');
    },
    /** Stop reading from every connection for `seconds` (TCP backpressure). */
    slow(seconds = 10) {
      faults.slowUntil = Date.now() + seconds * 1000;
      for (const [ws, o] of conns) if (!o.silent) ws.pause();
      for (const ws of sessionSockets) ws.pause();
      clearTimeout(slowTimer);
      slowTimer = setTimeout(() => {
        for (const [ws, o] of conns) if (!o.silent && ws.isPaused) ws.resume();
        for (const ws of sessionSockets) if (ws.isPaused) ws.resume();
        log('  slow reader over: reading again');
      }, seconds * 1000);
      slowTimer.unref?.();
      return `not reading for ${seconds} s`;
    },
    /** Prefer `name` ('none' selects no subprotocol); clients are asked to reconnect (1012). */
    setProtocol(name) {
      if (name !== 'none' && !PROTOCOLS.includes(name)) throw new Error(`unknown subprotocol '${name}' (one of ${PROTOCOLS.join(', ')}, none)`);
      preferred = name;
      const n = conns.size + sessionSockets.size;
      for (const ws of [...conns.keys(), ...sessionSockets]) ws.close(1012, 'renegotiate');
      return `preferring ${name}; asked ${n} connection(s) to reconnect`;
    },
    /** Drop everything, stop listening for `seconds`, listen on the same port again. */
    async restart(seconds = 2) {
      if (restarting) return 'already restarting';
      restarting = true;
      faults.restartUntil = Date.now() + seconds * 1000;
      log(`  restarting: down for ${seconds} s`);
      try {
        for (const ws of [...conns.keys(), ...sessionSockets]) ws.terminate();
        // A restarted process has lost its sessions: their clients will be told so when they resume.
        sessionAdapter.close(1001);
        await stopListening();
        await new Promise((r) => setTimeout(r, seconds * 1000));
        if (closed) return 'closed';
        startSessions();
        // Same port again; if something took it meanwhile, keep trying rather than crash.
        for (;;) {
          try {
            server = await listenOn(port);
            break;
          } catch (e) {
            log(`  cannot listen on ${port} again (${e.code ?? e.message}); retrying`);
            await new Promise((r) => setTimeout(r, 1000));
            if (closed) return 'closed';
          }
        }
        log('  restarted');
        return 'restarted';
      } finally {
        restarting = false;
      }
    },
    reset() {
      faults.refuseUntil = faults.silentUntil = faults.slowUntil = 0;
      clearTimeout(slowTimer);
      for (const [ws, o] of conns) if (!o.silent && ws.isPaused) ws.resume();
      return 'faults cleared';
    },
    stats() {
      const now = Date.now();
      const left = (t) => Math.max(0, Math.ceil((t - now) / 1000));
      return {
        connections: [...conns.values()].map((o) => ({ id: o.id, name: o.name, silent: o.silent })),
        total,
        protocol: preferred,
        faults: { refuse: left(faults.refuseUntil) ? { status: faults.refuseStatus, seconds: left(faults.refuseUntil) } : null, silent: left(faults.silentUntil), slow: left(faults.slowUntil), restart: left(faults.restartUntil) },
        sessions: [...sessions].map(([session, o]) => ({ id: session.id, name: o.name, state: session.state, reliable: session.reliable, received: session.received, ticks: o.ticks, silent: o.silent })),
        chats,
      };
    },
    /** Close every connection (1001) and stop listening. */
    async close() {
      closed = true;
      clearInterval(ticker);
      clearTimeout(slowTimer);
      for (const ws of conns.keys()) {
        if (conns.get(ws)?.silent) ws.terminate();
        else ws.close(1001, 'server shutting down');
      }
      // Give close frames a moment to leave, then cut whatever remains.
      await new Promise((r) => setTimeout(r, 50));
      for (const ws of [...conns.keys(), ...sessionSockets]) ws.terminate();
      sessionAdapter.close(1001);
      await stopListening();
      wss.close();
      sessionWss.close();
    },
  };
  return api;
}

/** Runs one stdin command line against the server; returns what to print. */
export function runCommand(api, line) {
  const [cmd = '', a, b] = line.trim().split(/\s+/);
  switch (cmd.toLowerCase()) {
    case '':
      return '';
    case 'drop':
      return api.drop();
    case 'close':
      return api.closeAll(clampInt(a, 1000, 4999, 1012), 'closed by demo fault');
    case 'refuse':
      return api.refuse(clampInt(a, 400, 599, 503), clampInt(b, 1, 600, 5));
    case 'silent':
    case 'halfopen':
      return api.silent(clampInt(a, 0, 600, 0));
    case 'restart':
      void api.restart(clampInt(a, 0, 60, 2));
      return '';
    case 'slow':
      return api.slow(clampInt(a, 1, 600, 10));
    case 'protocol':
      return api.setProtocol(a ?? PROTOCOLS[0]);
    case 'reset':
      return api.reset();
    case 'stats': {
      const s = api.stats();
      return `${s.connections.length} connection(s), ${s.total} total, protocol ${s.protocol}, ${s.chats.length} chat message(s)`;
    }
    case 'help':
    case '?':
      return HELP;
    default:
      return `unknown command '${cmd}' (type help)`;
  }
}

const HELP = `commands (type + Enter):
  drop                 drop all connections (no close frame → client sees 1006)
  close [code]         close all connections with a close frame (default 1012)
  refuse [status] [s]  refuse new handshakes with HTTP status for s seconds (default 503 5)
  silent [s]           half-open: current connections stop answering (TCP stays open); new ones too for s seconds
  restart [s]          stop the server for s seconds (default 2)
  slow [s]             slow reader: stop reading for s seconds (default 10)
  protocol <name>      prefer ticker.v2 | ticker.v1 | none (clients renegotiate; with none,
                       browsers that offered a subprotocol fail the handshake)
  reset                clear faults
  stats                show connections
  quit                 stop (or Ctrl-C)`;

async function main() {
  const api = await startDemoServer({
    port: clampInt(process.env.PORT, 0, 65535, 8080),
    log: (l) => console.log(l),
  });
  const base = `http://127.0.0.1:${api.port}`;
  console.log(`\nlifeline demo running: open ${api.url}\n`);
  console.log(`WebSocket: ${api.wsUrl}  (subprotocols ${PROTOCOLS.join(', ')}; permessage-deflate)`);
  console.log(`Node demo against it:  node demo/node-demo.mjs ${api.wsUrl}\n`);
  console.log(HELP);
  console.log(`\nor from another terminal:\n  curl -X POST '${base}/fault/drop'\n  curl -X POST '${base}/fault/refuse?status=503&seconds=5'\n  curl -X POST '${base}/fault/silent'\n  curl -X POST '${base}/fault/restart?seconds=2'\n  curl -X POST '${base}/fault/slow?seconds=10'\n  curl '${base}/fault/stats'\n`);
  console.log(`→ open ${api.url} in a browser (Ctrl-C stops the server)\n`);

  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    console.log('\nshutting down: closing connections');
    rl.close();
    await api.close();
    process.exit(0);
  };
  const rl = createInterface({ input: process.stdin, terminal: false });
  rl.on('line', (line) => {
    if (/^\s*(quit|exit)\s*$/i.test(line)) return void shutdown();
    try {
      const out = runCommand(api, line);
      if (out) console.log(out);
    } catch (e) {
      console.log(String(e?.message ?? e));
    }
  });
  process.on('SIGINT', () => void shutdown());
  process.on('SIGTERM', () => void shutdown());
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
