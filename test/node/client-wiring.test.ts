/**
 * The resilient client on the real Node transport against the loopback
 * `ws` test server: drops, refused handshakes (status, Retry-After),
 * restarts, flapping, a silent (half-open) peer, queued messages across
 * restarts. Measured times are printed as diagnostics; assertions use
 * generous bounds so a loaded machine cannot make them flake.
 */
import { describe, it, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { connect, heartbeat, json, messages, type Connection } from '../../src/node.js';
import { SIZED_MESSAGES } from '../support/sized-messages.js';

let server: TestServer;
const open: Connection<any>[] = [];
const client = <T = string | Uint8Array>(...a: Parameters<typeof connect>) => {
  const c = connect(...a) as unknown as Connection<T>;
  open.push(c);
  return c;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitFor(cond: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}
const once = <T>(c: Connection<any>, k: Parameters<Connection['on']>[0], ms = 5000) =>
  new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out waiting for ${k}`)), ms);
    const off = c.on(k, (e: unknown) => {
      clearTimeout(t);
      off();
      resolve(e as T);
    });
  });

describe('client on the Node transport (loopback ws server)', () => {
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    for (const c of open) c.terminate();
    await server.close();
  });
  beforeEach(() => server.reset());

  it('echoes through a negotiated subprotocol codec', async () => {
    const c = client<{ hi: number }>(server.url('/echo'), { protocols: ['json'], codecs: { json } });
    const got = once<{ hi: number }>(c, 'message');
    await c.send({ hi: 1 });
    assert.deepEqual(await got, { hi: 1 });
    assert.equal(c.protocol, 'json');
    c.close();
    await waitFor(() => c.state === 'closed');
  });

  it('stats count what came in, in UTF-8 bytes as the frames carried them: ASCII, 2- and 4-byte characters, binary', async () => {
    const c = client(server.url('/echo'));
    await once(c, 'open');
    const received: unknown[] = [];
    c.on('message', (m) => received.push(m));
    // The echo server sends each message back.
    for (const { data } of SIZED_MESSAGES) await c.send(data);
    await waitFor(() => received.length === SIZED_MESSAGES.length, 5000, 'the echoes');
    assert.equal(c.stats.messagesIn, SIZED_MESSAGES.length);
    assert.equal(c.stats.bytesIn, SIZED_MESSAGES.reduce((sum, { bytes }) => sum + bytes, 0));
    assert.equal(c.stats.bytesOut, c.stats.bytesIn, 'sent and received are counted alike');
    c.close();
    await waitFor(() => c.state === 'closed');
  });

  it('the same members as the WebSocket: extensions, bufferedAmount, ping() with its round trip, ping and pong events', async () => {
    const { WebSocketServer } = await import('ws');
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: true });
    await new Promise((r) => wss.once('listening', r));
    try {
      const peer = new Promise<import('ws').WebSocket>((r) => wss.once('connection', r));
      const c = client(`ws://127.0.0.1:${(wss.address() as { port: number }).port}/`, { heartbeat: false });
      await once(c, 'open');
      assert.deepEqual({ ...c.supports }, { ping: true, pause: true });
      assert.match(c.extensions, /^permessage-deflate/);
      assert.equal(c.bufferedAmount, 0);
      const rtt = await c.ping('hello');
      assert.ok(rtt >= 0 && rtt < 5000, `rtt ${rtt}`);
      const server = await peer;
      const pinged = once<Uint8Array>(c, 'ping');
      server.ping(Buffer.from('from the server'));
      assert.equal(Buffer.from(await pinged).toString(), 'from the server');
      const ponged = once<Uint8Array>(c, 'pong');
      server.pong(Buffer.from('unsolicited'));
      assert.equal(Buffer.from(await ponged).toString(), 'unsolicited');
      c.close();
      await waitFor(() => c.state === 'closed');
      assert.equal(c.extensions, '');
    } finally {
      await new Promise((r) => wss.close(r));
    }
  });

  it('socket.perMessageDeflate is checked at connect() itself: a bad key or value throws there, and no attempt is made', () => {
    const before = server.totalConnections;
    const refused = (kind: string, message: RegExp) => (error: Error & { code?: string }) =>
      error.name === kind && error.code === 'WS_ERR_INVALID_OPTION' && message.test(error.message);
    assert.throws(
      () => client(server.url('/echo'), { socket: { perMessageDeflate: { level: 10 } } }),
      refused('RangeError', /^connect\(\{ socket \}\): option perMessageDeflate\.level must be an integer from 0 to 9, got 10$/),
    );
    assert.throws(
      () => client(server.url('/echo'), { socket: { perMessageDeflate: { zlibDeflateOptions: { level: 1 } } as never } }),
      refused('TypeError', /^connect\(\{ socket \}\): option names in perMessageDeflate must be among threshold, .*clientMaxWindowBits, got "zlibDeflateOptions"$/),
    );
    assert.equal(server.totalConnections, before, 'no attempt reached the server');
  });

  it('socket.perMessageDeflate options that pass the rule negotiate with a ws server and carry compressed messages', async () => {
    const { WebSocketServer } = await import('ws');
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: { threshold: 0 } });
    await new Promise((r) => wss.once('listening', r));
    wss.on('connection', (peer) => peer.on('message', (data, isBinary) => peer.send(data as Buffer, { binary: isBinary })));
    try {
      const compressed: string[] = [];
      const c = client(`ws://127.0.0.1:${(wss.address() as { port: number }).port}/`, {
        heartbeat: false,
        socket: {
          perMessageDeflate: { threshold: 0, level: 9, historySize: 0, serverNoContextTakeover: true, serverMaxWindowBits: 10, clientMaxWindowBits: 9 },
          trace: (record) => {
            if ('opcode' in record && record.rsv1) compressed.push(record.direction);
          },
        },
      });
      await once(c, 'open');
      // RFC 7692 §7.1: ws answers each parameter we offered.
      for (const parameter of ['server_no_context_takeover', 'client_no_context_takeover', 'server_max_window_bits=10', 'client_max_window_bits=9']) {
        assert.ok(c.extensions.includes(parameter), `${parameter} in ${c.extensions}`);
      }
      const text = 'squeeze me '.repeat(200);
      const echoed = once<string>(c, 'message');
      await c.send(text);
      assert.equal(await echoed, text);
      assert.deepEqual(compressed, ['out', 'in'], 'RSV1 both ways');
      c.close();
      await waitFor(() => c.state === 'closed');
    } finally {
      await new Promise((r) => wss.close(r));
    }
  });

  it('server drops the connection → reconnects and keeps working', async () => {
    const c = client(server.url('/echo'), { minDelay: 20, maxDelay: 50 });
    await once(c, 'open');
    server.drop();
    const close = await once<{ code: number; willReconnect: boolean }>(c, 'close');
    assert.equal(close.code, 1006);
    assert.equal(close.willReconnect, true);
    await once(c, 'open');
    assert.equal(c.stats.reconnects, 1);
    const got = once(c, 'message');
    await c.send('after');
    assert.equal(await got, 'after');
    c.close();
  });

  it('refused with 503 (status visible in Node) → retries, then connects when accepted', async () => {
    server.refuse(503, 400);
    const c = client(server.url('/echo'), { minDelay: 50, maxDelay: 100 });
    const statuses: (number | undefined)[] = [];
    c.on('close', (e) => statuses.push(e.status));
    await once(c, 'open', 5000);
    assert.ok(statuses.length >= 1 && statuses.every((s) => s === 503), `statuses ${statuses}`);
    c.close();
  });

  it('refused with 401 → not retried (default rules); end names the status', async () => {
    server.refuse(401, 2000);
    const c = client(server.url('/echo'), { minDelay: 10 });
    const end = await once<{ reason: string; close: { status: number } }>(c, 'end');
    assert.equal(end.reason, 'noRetry');
    assert.equal(end.close.status, 401);
    const before = server.totalConnections;
    await sleep(100);
    assert.equal(server.totalConnections, before);
    assert.equal(c.state, 'closed');
  });

  it('honours Retry-After on a 503', async () => {
    server.refuse(503, 300, { 'retry-after': '1' });
    const c = client(server.url('/echo'), { minDelay: 1, maxDelay: 5 });
    const r = await once<{ delay: number }>(c, 'reconnecting');
    assert.ok(r.delay >= 1000, `delay ${r.delay}`);
    c.terminate();
  });

  it('server restart → reconnects; reports the time to reconnect after the server is back', async () => {
    const c = client(server.url('/echo'), { minDelay: 50, maxDelay: 200 });
    await once(c, 'open');
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const reopened = once(c, 'open', 10000);
      await server.restart(200);
      const back = performance.now();
      await reopened;
      times.push(performance.now() - back);
    }
    assert.equal(c.stats.reconnects, 5);
    console.log(`# time to reconnect after server restart (ms, maxDelay 200): ${times.map((t) => t.toFixed(0)).join(', ')}`);
    c.close();
  });

  it('flapping (20 drops in quick succession) never leaves duplicate connections', async () => {
    const c = client(server.url('/echo'), { minDelay: 1, maxDelay: 20 });
    await once(c, 'open');
    let maxSeen = 0;
    const watch = setInterval(() => (maxSeen = Math.max(maxSeen, server.connections)), 1);
    for (let i = 0; i < 20; i++) {
      server.drop();
      c.reconnect(); // also force manual reconnects in the middle of automatic ones
      await sleep(i % 3 === 0 ? 0 : 7);
    }
    await once(c, 'open').catch(() => undefined);
    await waitFor(() => c.state === 'open' && server.connections === 1, 5000, 'settled');
    await sleep(100);
    clearInterval(watch);
    assert.equal(server.connections, 1);
    assert.ok(maxSeen <= 2, `at most the old (closing) and the new socket at once, saw ${maxSeen}`);
    c.close();
  });

  it('silent (half-open) peer: protocol ping unanswered → detected within interval + timeout, then reconnects', async () => {
    const interval = 300;
    const timeout = 300;
    const c = client(server.url('/echo'), { heartbeat: heartbeat({ interval, timeout }), minDelay: 10, maxDelay: 50 });
    await once(c, 'open');
    await once(c, 'heartbeat'); // pongs flow
    server.silent(true);
    const t0 = performance.now();
    const close = await once<{ error: { code: string } }>(c, 'close', 5000);
    const detect = performance.now() - t0;
    assert.equal(close.error.code, 'WS_ERR_HEARTBEAT_TIMEOUT');
    assert.ok(detect >= timeout - 5, `not before the timeout (${detect})`);
    assert.ok(detect <= interval + timeout + 1000, `within interval + timeout (+slack): ${detect}`);
    console.log(`# silent peer detected after ${detect.toFixed(0)} ms (interval ${interval} + timeout ${timeout})`);
    server.silent(false);
    await once(c, 'open');
    c.close();
  });

  it('a long task holds the process past the probe deadline while the pong waits unread: the connection survives', async () => {
    const { WebSocketServer } = await import('ws');
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => wss.once('listening', resolve));
    let conn: Connection<any> | undefined;
    try {
      let stalls = 0;
      wss.on('connection', (socket) =>
        socket.on('ping', () => {
          // ws has written its pong already (it answers before this event); hold the whole process
          // (client included) 900 ms, past the client's 300 ms deadline. Next, Node runs the overdue
          // timer before it reads the pong: without the stall rule the heartbeat judged the peer dead there.
          if (stalls++ > 0) return;
          const until = performance.now() + 900;
          while (performance.now() < until);
        }),
      );
      conn = client(`ws://127.0.0.1:${(wss.address() as { port: number }).port}/`, { heartbeat: heartbeat({ interval: 200, timeout: 300 }), minDelay: 10 });
      let closes = 0;
      conn.on('close', () => {
        closes++;
      });
      await once(conn, 'open');
      const answered = await once<{ rtt: number }>(conn, 'heartbeat', 5000);
      assert.equal(stalls, 1, 'the first probe met the long task');
      assert.ok(answered.rtt >= 900, `that probe's answer was read after the stall (rtt ${answered.rtt} ms)`);
      assert.equal(closes, 0, 'not dropped');
      await once(conn, 'heartbeat', 5000); // and probing goes on
      assert.equal(conn.state, 'open');
    } finally {
      // ws's close() waits for its connections: end ours first, also when an assertion failed.
      conn?.terminate();
      for (const socket of wss.clients) socket.terminate();
      await new Promise((resolve) => wss.close(resolve));
    }
  });

  it('paused reading: the heartbeat does not drop a live server; reconnect() while paused lets the old socket go at once', async () => {
    const c = client(server.url('/echo'), { heartbeat: heartbeat({ interval: 100, timeout: 100 }), minDelay: 10, maxDelay: 50 });
    let closes = 0;
    c.on('close', () => void closes++);
    await once(c, 'open');
    await once(c, 'heartbeat');
    c.pause(); // what a lagging messages() loop does
    await sleep(800); // four intervals and timeouts
    assert.equal(closes, 0, 'not declared dead while not reading');
    assert.equal(c.state, 'open');
    c.resume();
    await once(c, 'heartbeat'); // probes answered again
    c.pause();
    const t0 = performance.now();
    c.reconnect();
    await once(c, 'open');
    // The old socket reads the server's close frame; without that it lingers until the transport's 10 s close timeout.
    await waitFor(() => server.connections === 1, 5000, 'the old connection to close');
    const gone = performance.now() - t0;
    assert.ok(gone < 3000, `old connection closed after ${gone.toFixed(0)} ms`);
    c.resume();
    c.close();
  });

  it('async iterator with a slow consumer: reading pauses and resumes, nothing lost or reordered', async () => {
    const c = client(server.url('/echo'));
    await once(c, 'open');
    const n = 300;
    for (let i = 0; i < n; i++) void c.send(`r${i}`);
    const got: string[] = [];
    for await (const m of messages(c, { highWaterMark: 8 })) {
      got.push(m as string);
      if (got.length % 50 === 0) await sleep(20); // lag behind the socket
      if (got.length === n) break;
    }
    assert.deepEqual(got, Array.from({ length: n }, (_, i) => `r${i}`));
    c.close();
  });

  it('messages arrive once and in order across many restarts; queued ones are never lost', async () => {
    const c = client(server.url('/echo'), { minDelay: 5, maxDelay: 40, maxQueued: 100_000 });
    await once(c, 'open');
    let i = 0;
    let opens = 1;
    c.on('open', () => opens++);
    const handed = new Set<number>(); // send() resolved: handed to a socket (which may die with it in flight)
    const handedOn = new Map<number, number>(); // which connection (1 = the first open) took each message
    const queued = new Set<number>(); // sent while not open: waited in the queue
    const rejected = new Set<number>();
    let stop = false;
    const pump = (async () => {
      while (!stop) {
        const n = i++;
        if (c.state !== 'open') queued.add(n);
        c.send(String(n)).then(
          () => {
            handed.add(n);
            handedOn.set(n, opens);
          },
          () => rejected.add(n),
        );
        await sleep(1);
      }
    })();
    for (let k = 0; k < 8; k++) {
      await sleep(60);
      await server.restart(40);
    }
    stop = true;
    await pump;
    await waitFor(() => c.state === 'open' && c.stats.queued === 0, 5000, 'flush');
    await sleep(100);
    const got = server.received.map(Number);
    for (let k = 1; k < got.length; k++) assert.ok(got[k]! > got[k - 1]!, `order/duplicate at ${k}: ${got[k - 1]} then ${got[k]}`);
    const recv = new Set(got);
    assert.equal(rejected.size, 0, 'nothing rejected');
    assert.equal(handed.size, i, 'every send resolved');
    assert.ok(queued.size > 0, 'some messages were queued while reconnecting');
    const lostQueued = [...queued].filter((n) => !recv.has(n));
    const lostInFlight = [...handed].filter((n) => !recv.has(n)).length;
    console.log(`# ${i} messages over 8 restarts: ${got.length} received once and in order; ${queued.size} waited in the queue (lost: ${lostQueued.length}); ${lostInFlight} lost in flight (written to a socket the server killed)`);
    // Without a session, what was written to a socket the server then killed is gone (a queued
    // message flushed at a reconnect shares that fate). Losses therefore come as at most one run of
    // consecutive numbers per restart (what was in flight on the socket that died), and nothing
    // is lost after the last restart.
    const gaps: [number, number][] = [];
    for (let n = 0; n < i; n++) {
      if (recv.has(n)) continue;
      const last = gaps[gaps.length - 1];
      if (last && last[1] === n - 1) last[1] = n;
      else gaps.push([n, n]);
    }
    assert.ok(gaps.length <= 8, `at most one run of lost messages per restart: ${JSON.stringify(gaps)}`);
    assert.ok(gaps.every(([, end]) => end < got[got.length - 1]!), 'nothing lost after the last restart');
    const lostOnLastSocket = [...handed].filter((n) => !recv.has(n) && handedOn.get(n) === opens);
    assert.deepEqual(lostOnLastSocket, [], 'losses only from sockets that died: none from the connection still open');
    c.close();
  });
});
