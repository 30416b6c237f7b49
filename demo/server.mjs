#!/usr/bin/env node
/**
 * The lifeline demo server: one port on loopback that serves the demo page
 * (demo/index.html, app.js, style.css and dist/lifeline.min.js) and, on the
 * same port, WebSockets streaming live data, with fault controls so you can
 * watch a lifeline connection survive them. It runs on lifeline's own test
 * server (dist/serve.mjs: the server behind `lifeline serve`), with its
 * faults, stdin commands and HTTP control endpoint; this file only adds the
 * ticker and chat application, the static files and the demo's own
 * `protocol` control.
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
 *   A silent (half-open) connection reads nothing, so it answers no
 *   protocol ping either.
 *
 * Reliable sessions (path `/session`): the same application over lifeline's
 * session hub (dist/server.mjs, `lifeline-ws/server`; src/session/PROTOCOL.md),
 * for clients connecting with `session: lifeline.session()`. Every message
 * is then delivered exactly once and in order across drops; ticks also
 * carry `n`, this session's tick count, so a client can see that none is
 * missing. The hub is wired to lifeline's test server here in a few lines
 * (the adapter a server other than `ws` needs, see the protocol's §14). A
 * restart forgets the sessions (as a new process would): clients are told
 * their session was lost.
 *
 * Faults (HTTP GET or POST; JSON answer; also typed on stdin when run) are
 * those of `lifeline serve` (see `lifeline serve --help`), plus:
 *   /fault/protocol?name=ticker.v1      prefer this subprotocol (`none` = select none);
 *                                       closes connections with 1012 so clients renegotiate
 *   /fault/stats                        connections, faults, chat log
 *
 * Imports: node:*, lifeline's built test server (dist/serve.mjs) and session
 * hub (dist/server.mjs); never the client (the server is the peer).
 */
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join, extname } from 'node:path';

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

const clampInt = (v, lo, hi, dflt) => {
  const n = Number(v);
  return Number.isFinite(n) ? Math.min(hi, Math.max(lo, Math.round(n))) : dflt;
};

/** lifeline's test server and session hub, from the build (`npm run demo` builds first). */
async function loadServer() {
  try {
    return { ...(await import('../dist/serve.mjs')), ...(await import('../dist/server.mjs')) };
  } catch (e) {
    throw new Error(`cannot load dist/serve.mjs or dist/server.mjs (${e.message}): run \`npm run build\` first, or \`npm run demo\``);
  }
}

/**
 * Starts the demo server.
 * @param {object} [options]
 * @param {number} [options.port=8080] port to try; 0 = any free port. If it is taken, a free port is used.
 * @param {string} [options.host='127.0.0.1']
 * @param {number} [options.tickMs=1500] ticker period (longer than the page's heartbeat interval, so idle gaps let probes and RTTs show)
 * @param {(line: string) => void} [options.log] server log lines (default: none)
 */
export async function startDemoServer(options = {}) {
  const { WebSocketServer, Faults, controlRequest, runFaultCommand, createHub, applicationProtocols, selectProtocol } = await loadServer();
  const host = options.host ?? '127.0.0.1';
  const tickMs = options.tickMs ?? 1500;
  const log = options.log ?? (() => {});

  /** Connection bookkeeping (plain endpoint): connection → {id, name}. */
  const conns = new Map();
  /** Session endpoint: connection → {handlers (the hub's), alive (since the last ping round)}. */
  const sessionConns = new Map();
  /** Sessions: session → {id, name, ticks, received}. */
  const sessions = new Map();
  let total = 0;
  let chatN = 0;
  const chats = [];
  let preferred = PROTOCOLS[0];
  let closed = false;

  const send = (conn, msg) => {
    if (conn.phase === 'open' && !faults.isSilent(conn)) conn.send(JSON.stringify(msg));
  };
  const healthy = () => [...conns.keys()].filter((c) => !faults.isSilent(c));

  const serveStatic = async (req) => {
    const u = new URL(req.target, 'http://x');
    const headers = { 'Cache-Control': 'no-store' };
    if (u.pathname === '/favicon.ico') return { status: 204, headers, body: '' };
    const file = STATIC[u.pathname];
    if (!file || (req.method !== 'GET' && req.method !== 'HEAD')) return { status: 404, headers, body: 'not found\n' };
    try {
      return { status: 200, headers: { ...headers, 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' }, body: await readFile(file) };
    } catch {
      const dist = file.includes('dist');
      return { status: dist ? 503 : 404, headers, body: dist ? 'dist/ is missing: run `npm run build` (or `npm run demo`)\n' : 'not found\n' };
    }
  };

  const chooseProtocol = (offered) => {
    if (preferred === 'none') return '';
    if (offered.includes(preferred)) return preferred;
    return PROTOCOLS.find((p) => offered.includes(p)) ?? '';
  };
  /** The session endpoint selects among the application's subprotocols, then takes the session variant of it if offered (protocol §3). */
  const chooseSessionProtocol = (offered) => {
    const own = chooseProtocol([...applicationProtocols(offered)]);
    return selectProtocol(new Set(offered), own === '' ? false : own) || '';
  };
  const isSessionPath = (target) => new URL(target ?? '/', 'http://x').pathname === '/session';

  const server = new WebSocketServer(
    // RFC 7692 permessage-deflate, so the Node demo can show it negotiated; threshold 0
    // compresses even the small ticks.
    { perMessageDeflate: { threshold: 0 } },
    {
      request: (req) => controlRequest(faults, req, extra, () => api.stats()) ?? serveStatic(req),
      upgrade: (up, conn) => {
        const choose = isSessionPath(up.target) ? chooseSessionProtocol : chooseProtocol;
        const answer = faults.gate(conn, () => ({ protocol: choose(up.protocols) }));
        if (answer && 'refuse' in answer) log(`  refused a handshake with ${answer.refuse}`);
        return answer;
      },
      open: (conn) => {
        faults.opened(conn);
        if (isSessionPath(conn.request?.target)) return openSessionLink(conn);
        total++;
        const u = new URL(conn.request?.target ?? '/', 'http://x');
        const info = { id: total, name: u.searchParams.get('client') ?? `c${total}` };
        conns.set(conn, info);
        const silent = faults.isSilent(conn);
        log(`+ connection #${info.id} (${info.name}) protocol=${conn.protocol || '(none)'} extensions=${conn.extensions || '(none)'}${silent ? ' [silent]' : ''}`);
        send(conn, { type: 'welcome', id: info.id, protocol: conn.protocol, extensions: conn.extensions, clients: healthy().length });
      },
      close: (conn, code) => {
        const link = sessionConns.get(conn);
        if (link) {
          sessionConns.delete(conn);
          faults.closed(conn);
          return link.handlers.closed();
        }
        const info = conns.get(conn);
        conns.delete(conn);
        faults.closed(conn);
        if (info) log(`- connection #${info.id} (${info.name}) closed ${code}`);
      },
      message: (conn, data, isBinary) => {
        if (faults.isSilent(conn)) return;
        const link = sessionConns.get(conn);
        if (link) {
          link.alive = true;
          return link.handlers.message(data, isBinary ? data.length : Buffer.byteLength(data));
        }
        const info = conns.get(conn);
        const text = isBinary ? null : data;
        if (text === 'ping') return conn.send('pong');
        let msg;
        try {
          msg = text !== null && text.startsWith('{') ? JSON.parse(text) : { type: 'chat', text: text ?? `<${data.length} bytes>` };
        } catch {
          msg = { type: 'chat', text };
        }
        if (msg.type === 'ping') return send(conn, { type: 'pong', t: msg.t });
        if (msg.type === 'chat') {
          const n = ++chatN;
          const entry = { n, id: msg.id ?? null, from: info.name, conn: info.id, text: String(msg.text ?? '').slice(0, 500) };
          chats.push(entry);
          if (chats.length > 1000) chats.shift();
          send(conn, { type: 'ack', id: entry.id, n });
          for (const other of healthy()) if (other !== conn) send(other, { type: 'chat', ...entry });
          for (const other of sessions.keys()) sendSession(other, { type: 'chat', ...entry });
          return;
        }
        if (msg.type === 'bulk') {
          // Burst traffic for the slow-reader demo: count it, acknowledge the last one.
          if (msg.last) send(conn, { type: 'ack', id: msg.id ?? null, n: chatN, bulk: msg.seq });
          return;
        }
        send(conn, { type: 'error', message: `unknown message type ${JSON.stringify(msg.type)}` });
      },
      pong: (conn) => {
        const link = sessionConns.get(conn);
        if (link) link.alive = true;
      },
    },
  );
  const faults = new Faults(server, {
    closeReason: 'closed by demo fault',
    log: (l) => log(`  ${l}`),
    // A restart asked for on stdin or over HTTP forgets the sessions too.
    onFault: (event) => {
      if (event.fault === 'restart' && !event.message.startsWith('already')) forgetSessions();
    },
  });

  // ---- reliable sessions (path /session) ----
  // The hub decides which session each connection carries; this wires it to the test server:
  // a link per connection (send, close, terminate) and the connection's messages and close fed
  // back. A silent connection swallows what the session sends (a half-open link loses what is
  // in flight; the session sends it again after the resume).
  let hub;
  const startSessions = () => {
    hub = createHub();
    hub.on('session', ({ session, request }) => {
      total++;
      const u = new URL(request?.target ?? '/', 'http://x');
      const info = { id: total, name: u.searchParams.get('client') ?? `s${total}`, ticks: 0, received: 0 };
      sessions.set(session, info);
      log(`+ session ${session.id} (${info.name}) protocol=${session.protocol || '(none)'}${session.reliable ? '' : ' [the client does not speak sessions: plain]'}`);
      session.on('attach', ({ resumed, replayed }) => {
        if (resumed) log(`  session ${session.id} (${info.name}) resumed; ${replayed} message(s) sent again`);
      });
      session.on('detach', () => log(`  session ${session.id} (${info.name}) lost its connection; waiting for a resume`));
      session.on('close', ({ reason }) => {
        sessions.delete(session);
        log(`- session ${session.id} (${info.name}) ${reason}`);
      });
      session.on('message', (data) => {
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
          for (const other of healthy()) send(other, { type: 'chat', ...entry });
          for (const other of sessions.keys()) if (other !== session) sendSession(other, { type: 'chat', ...entry });
        } else if (msg.type === 'bulk') {
          if (msg.last) sendSession(session, { type: 'ack', id: msg.id ?? null, n: chatN, bulk: msg.seq });
        } else if (msg.type !== 'ping') sendSession(session, { type: 'error', message: `unknown message type ${JSON.stringify(msg.type)}` });
      });
      sendSession(session, { type: 'welcome', id: info.id, session: session.id, protocol: session.protocol, clients: conns.size + sessions.size });
    });
  };
  /** A connection on /session: the hub gets a link to it. */
  const openSessionLink = (conn) => {
    const link = {
      send: (data) => {
        if (!faults.isSilent(conn)) conn.send(data);
      },
      close: (code, reason) => conn.startClose(code, reason),
      terminate: () => conn.terminate(),
    };
    sessionConns.set(conn, { handlers: hub.connect(link, conn.protocol, conn.request), alive: true });
  };
  /** Sends a JSON message into a session (held until acknowledged; skipped while its buffer is full). */
  const sendSession = (session, msg) => {
    if (session.writable) session.send(JSON.stringify(msg)).catch(() => {});
  };
  /** As a new process would: the connections die first, then every session is forgotten (a resume is answered `lost`). */
  const forgetSessions = () => {
    for (const conn of sessionConns.keys()) conn.terminate();
    hub.closeAll(1001);
    startSessions();
  };
  startSessions();
  // Liveness: ping each session connection and drop one that showed no sign of life since the
  // last round, so a vanished client's session detaches and expires instead of holding on.
  const pings = setInterval(() => {
    for (const [conn, link] of sessionConns) {
      if (!link.alive && !faults.isSilent(conn)) {
        conn.terminate();
        continue;
      }
      link.alive = false;
      conn.sendPing();
    }
  }, 30_000);
  pings.unref?.();

  /** The demo's own control: prefer a subprotocol; clients are asked to reconnect (1012). */
  const setProtocol = (name) => {
    if (name !== 'none' && !PROTOCOLS.includes(name)) throw new Error(`unknown subprotocol '${name}' (one of ${PROTOCOLS.join(', ')}, none)`);
    preferred = name;
    const n = conns.size + sessionConns.size;
    for (const c of [...conns.keys(), ...sessionConns.keys()]) c.startClose(1012, 'renegotiate');
    return `preferring ${name}; asked ${n} connection(s) to reconnect`;
  };
  const extra = {
    protocol: {
      params: ['name'],
      help: 'prefer ticker.v2 | ticker.v1 | none (clients renegotiate; with none, browsers that offered a subprotocol fail the handshake)',
      run: (p) => setProtocol(p.name ?? PROTOCOLS[0]),
    },
  };

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
    for (const c of healthy()) if (c.phase === 'open') c.send(c.protocol === 'ticker.v2' ? v2 : v1);
    // A session's ticks also carry `n`, its own count: a client sees that none is missing or repeated.
    for (const [session, info] of sessions) {
      if (!session.writable) continue;
      const tick = { type: 'tick', seq, n: ++info.ticks, t: Date.now(), prices, ...(session.protocol === 'ticker.v2' ? { changes } : {}) };
      session.send(JSON.stringify(tick)).catch(() => {});
    }
  }, tickMs);
  ticker.unref?.();

  let port = options.port ?? 8080;
  try {
    await server.listen(port, host);
  } catch (e) {
    if (e?.code !== 'EADDRINUSE') throw e;
    log(`port ${port} is taken; using a free port`);
    await server.listen(0, host);
  }
  port = server.port;

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
    drop: () => faults.drop(),
    /** Close every connection with a close frame. */
    closeAll: (code = 1012, reason = 'closed by demo fault') => faults.closeAll(code, reason),
    /** Refuse new handshakes with `status` for `seconds` (Retry-After: the seconds left). */
    refuse: (status = 503, seconds = 5) => faults.refuse(status, seconds),
    /** Half-open: current connections (and new ones for `seconds`) go silent, TCP stays open. */
    silent: (seconds = 0) => faults.silent(seconds),
    /** Stop reading from every connection for `seconds` (TCP backpressure). */
    slow: (seconds = 10) => faults.slow(seconds),
    /** Prefer `name` ('none' selects no subprotocol); clients are asked to reconnect (1012). */
    setProtocol,
    /** Drop everything and forget the sessions, stop listening for `seconds`, listen on the same port again. */
    restart: (seconds = 2) => faults.run('restart', { seconds: String(seconds) }, 'api'),
    reset: () => faults.reset(),
    /** Runs one stdin command line (a fault of `lifeline serve`, or `protocol <name>`); returns what to print. */
    command: (line) => runFaultCommand(faults, line, extra),
    stats() {
      const s = faults.stats();
      const names = new Map([...conns].map(([c, info]) => [c.id, info]));
      return {
        connections: s.connections.map((c) => ({ id: names.get(c.id)?.id ?? c.id, name: names.get(c.id)?.name ?? '', silent: c.silent })),
        total,
        protocol: preferred,
        faults: s.faults,
        chats,
        sessions: [...sessions].map(([session, info]) => ({ id: session.id, name: info.name, state: session.state, reliable: session.reliable, received: session.received, ticks: info.ticks })),
      };
    },
    /** Close every connection (1001) and stop listening. */
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(ticker);
      clearInterval(pings);
      faults.dispose();
      hub.closeAll(1001);
      for (const c of conns.keys()) if (faults.isSilent(c)) c.terminate();
      await server.close(1001, 'server shutting down', 200);
    },
  };
  return api;
}

/** Runs one stdin command line against the server; returns what to print. */
export function runCommand(api, line) {
  return api.command(line);
}

async function main() {
  const api = await startDemoServer({
    port: clampInt(process.env.PORT, 0, 65535, 8080),
    log: (l) => console.log(l),
  });
  const base = `http://127.0.0.1:${api.port}`;
  console.log(`\nlifeline demo running: open ${api.url}\n`);
  console.log(`WebSocket: ${api.wsUrl}  (subprotocols ${PROTOCOLS.join(', ')}; permessage-deflate)`);
  console.log(`Node demo against it:  node demo/node-demo.mjs ${api.wsUrl}\n`);
  console.log(api.command('help'));
  console.log(`\nor from another terminal:\n  curl -X POST '${base}/fault/drop'\n  curl -X POST '${base}/fault/refuse?status=503&seconds=5'\n  curl -X POST '${base}/fault/silent'\n  curl -X POST '${base}/fault/restart?seconds=2'\n  curl -X POST '${base}/fault/slow?seconds=10'\n  curl -X POST '${base}/fault/malformed?kind=utf8'\n  curl '${base}/fault/stats'\n`);
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
