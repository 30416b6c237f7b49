#!/usr/bin/env node
// The reliable session's cost per message against the plain connection
// (issue #17): lifeline's Node client with and without `session()`, against
// a `ws` server with and without lifeline's session adapter
// (lifeline-ws/server) in another process, on loopback.
//
// Each trial streams N messages each way at the same time (client → server
// in windows of 500 sends, each window awaited; server → client as fast as
// its buffer allows), the same text payload (16 B or 1 KiB), and waits until
// both sides have every message (with a session: also every send
// acknowledged: a session's send() resolves on the ack, so its windows wait
// for acks where the plain connection's only wait for the socket).
// Measured over the trial:
// - CPU per message: user + system time of the client process, and of the
//   server process, each divided by the 2N messages of the trial (each side
//   sends N and receives N);
// - wire bytes per message: every byte of the TCP connection both ways
//   (WebSocket framing, acks, the session handshake) divided by 2N, from the
//   server's socket counters.
// Plain and session trials alternate, several rounds, after one unmeasured
// trial of each; the median is reported.
//
// Usage: `npm run build && node test/bench/session.mjs [--quick]`, or import
// `runSessionBench({ quick })`, which returns the rows (npm run bench does).
import { fork } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';

const here = fileURLToPath(import.meta.url);
const dist = process.env.LIFELINE_DIST ?? fileURLToPath(new URL('../../dist', import.meta.url));
const load = (name) => import(pathToFileURL(join(dist, name)).href);

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
};
const cpuMicros = (usage) => usage.user + usage.system;

// ---- the server process -------------------------------------------------------------------
async function serve(withSessions) {
  const { createServer } = await import('node:http');
  const { WebSocketServer } = await import('ws');
  const http = createServer();
  const wss = new WebSocketServer({ server: http, perMessageDeflate: false });
  const sockets = new Set();
  http.on('connection', (socket) => sockets.add(socket));
  /** The current peer: stream(n, data) and a received counter, plain or session alike. */
  let peer;
  /** Resolves when the peer has received `count` messages in all (no polling: a waiting server must not burn CPU). */
  let awaited = { count: Infinity, resolve: () => {} };
  const counted = (current) => {
    current.received++;
    if (current.received === awaited.count) awaited.resolve();
  };
  if (withSessions) {
    const { sessionServer } = await load('server.mjs');
    sessionServer(wss, { pingInterval: 0 }).on('session', ({ session }) => {
      const current = (peer = { received: 0 });
      session.on('message', () => counted(current));
      // As fast as the session's buffer allows; done when every message is acknowledged.
      current.stream = async (count, data) => {
        const sends = [];
        for (let index = 0; index < count; ) {
          if (!session.writable) await new Promise((resolve) => session.once('drain', resolve));
          else {
            sends.push(session.send(data));
            index++;
          }
        }
        await Promise.all(sends);
      };
    });
  } else {
    wss.on('connection', (ws) => {
      const current = (peer = { received: 0 });
      // Text as a string, as the session adapter hands it over (and an application needs it).
      ws.on('message', (data, isBinary) => {
        if (!isBinary) data.toString();
        counted(current);
      });
      current.stream = async (count, data) => {
        for (let index = 0; index < count; index++) ws.send(data);
      };
    });
  }
  await new Promise((resolve) => http.listen(0, '127.0.0.1', resolve));
  process.on('message', async (command) => {
    if (command.type === 'stream') {
      // Streams its messages and answers when they are all sent (acknowledged) and it has the client's `expect` messages.
      const arrived = peer.received >= command.expect ? Promise.resolve() : new Promise((resolve) => (awaited = { count: command.expect, resolve }));
      await peer.stream(command.count, 'x'.repeat(command.size));
      await arrived;
      process.send({ type: 'streamed' });
    } else if (command.type === 'stats') {
      let bytes = 0;
      for (const socket of sockets) bytes += socket.bytesRead + socket.bytesWritten;
      process.send({ type: 'stats', cpu: cpuMicros(process.cpuUsage()), bytes, received: peer?.received ?? 0 });
    }
  });
  process.send({ type: 'ready', port: http.address().port });
}

// ---- the client side (this process) ---------------------------------------------------------
function startServer(withSessions) {
  const child = fork(here, ['server', withSessions ? 'session' : 'plain'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiting = [];
  child.on('message', (message) => waiting.shift()?.(message));
  const next = () => new Promise((resolve) => waiting.push(resolve));
  return {
    ready: next(),
    ask: (command) => {
      const answer = next();
      child.send(command);
      return answer;
    },
    stop: () => child.kill(),
  };
}

/** One trial: returns CPU µs per message on each side and wire bytes per message. */
async function trial(withSession, size, count) {
  const { connect, session } = await load('node.mjs');
  const server = startServer(withSession);
  const { port } = await server.ready;
  const conn = connect(`ws://127.0.0.1:${port}/`, {
    heartbeat: false,
    socket: { perMessageDeflate: false },
    ...(withSession ? { session: session() } : {}),
  });
  let received = 0;
  let target = 0;
  let arrived = () => {};
  conn.on('message', () => {
    received++;
    if (received === target) arrived();
  });
  await new Promise((resolve) => conn.once('open', resolve));
  const payload = 'x'.repeat(size);
  let sent = 0;
  const run = async (n) => {
    target = received + n;
    sent += n;
    const all = new Promise((resolve) => (arrived = resolve));
    const streamed = server.ask({ type: 'stream', count: n, size, expect: sent });
    // In windows of 500 sends (the default send queue holds 1,000), each awaited before the next.
    for (let done = 0; done < n; ) {
      const window = [];
      for (; window.length < 500 && done < n; done++) window.push(conn.send(payload));
      await Promise.all(window);
    }
    await Promise.all([all, streamed]);
  };
  await run(Math.min(2000, count)); // warm-up
  const serverBefore = await server.ask({ type: 'stats' });
  const clientBefore = cpuMicros(process.cpuUsage());
  await run(count);
  const clientCpu = cpuMicros(process.cpuUsage()) - clientBefore;
  const serverAfter = await server.ask({ type: 'stats' });
  conn.terminate();
  server.stop();
  const messages = 2 * count;
  return {
    client: clientCpu / messages,
    server: (serverAfter.cpu - serverBefore.cpu) / messages,
    bytes: (serverAfter.bytes - serverBefore.bytes) / messages,
  };
}

export async function runSessionBench({ quick = false } = {}) {
  const rounds = quick ? 3 : 5;
  const count = quick ? 10_000 : 40_000;
  const rows = [];
  for (const size of [16, 1024]) {
    const results = { plain: [], session: [] };
    // One unmeasured trial of each first: the client runs in this process, and the first trials would pay for the JIT.
    await trial(false, size, count);
    await trial(true, size, count);
    for (let round = 0; round < rounds; round++) {
      for (const kind of round % 2 ? ['session', 'plain'] : ['plain', 'session']) results[kind].push(await trial(kind === 'session', size, count));
    }
    const summary = (list) => ({ client: median(list.map((r) => r.client)), server: median(list.map((r) => r.server)), bytes: median(list.map((r) => r.bytes)) });
    const plain = summary(results.plain);
    const withSession = summary(results.session);
    rows.push({
      'per message (both ways)': `${size} B text`,
      'client CPU µs: plain': +plain.client.toFixed(2),
      session: +withSession.client.toFixed(2),
      'server CPU µs: plain': +plain.server.toFixed(2),
      'session ': +withSession.server.toFixed(2),
      'wire bytes: plain': +plain.bytes.toFixed(2),
      'session  ': +withSession.bytes.toFixed(2),
      'bytes added': +(withSession.bytes - plain.bytes).toFixed(2),
    });
  }
  return { rows, note: `${count.toLocaleString('en-US')} messages each way per trial, median of ${rounds}` };
}

if (process.argv[2] === 'server') await serve(process.argv[3] === 'session');
else if (process.argv[1] === here) {
  const { fmtGeneric } = await import('./report.mjs');
  const result = await runSessionBench({ quick: process.argv.includes('--quick') });
  console.log(fmtGeneric(result.rows));
  console.log(`\n${result.note}`);
}
