// lifeline's Node WebSocket server (src/server) against raw loopback sockets
// sending hand-built bytes: the handshake answers of RFC 6455 §4.2 (101 with
// the accept value, 400/405/426/408 refusals), frames that arrive with the
// request, masked frames split across TCP writes, the 1002 close for an
// unmasked client frame (§5.1), and the closing rules of §7.1.1 (the server
// closes TCP first, and drops a client that never answers its close).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocketServer, type ServerConnection } from '../../src/server/server.js';
import { rawConnect, clientFrame, upgradeRequest, ACCEPT, type RawClient } from '../support/raw-client.js';

interface Seen {
  opened: ServerConnection[];
  closes: Array<{ port: number; code: number; reason: string; wasClean: boolean }>;
  errors: string[];
  bad: Array<{ status: number | undefined; code: string }>;
}

async function echoServer(options: ConstructorParameters<typeof WebSocketServer>[0] = {}): Promise<{ server: WebSocketServer; seen: Seen }> {
  const seen: Seen = { opened: [], closes: [], errors: [], bad: [] };
  const server = new WebSocketServer(
    { perMessageDeflate: false, ...options },
    {
      open: (c) => seen.opened.push(c),
      message: (c, data, binary) => c.send(data, { binary }),
      close: (c, code, reason, wasClean) => seen.closes.push({ port: c.remotePort, code, reason, wasClean }),
      error: (_c, e) => seen.errors.push(e.code),
      badRequest: (_c, e) => seen.bad.push({ status: e.status, code: e.code }),
    },
  );
  await server.listen(0);
  return { server, seen };
}

/** The server's side of a raw client's connection. */
async function connFor(server: WebSocketServer, c: RawClient): Promise<ServerConnection> {
  await waitFor(() => [...server.connections].some((conn) => conn.remotePort === c.port));
  return [...server.connections].find((conn) => conn.remotePort === c.port)!;
}

/** The close the server reported for a raw client's connection. */
async function closeOf(seen: Seen, c: RawClient): Promise<Seen['closes'][number]> {
  await waitFor(() => seen.closes.some((x) => x.port === c.port));
  return seen.closes.find((x) => x.port === c.port)!;
}

/** `p`, or a rejection naming `what` after `ms`. */
function within<T>(p: Promise<T>, what: string, ms = 5000): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<never>((_r, rej) => (timer = setTimeout(() => rej(new Error(`timed out: ${what}`)), ms)))]).finally(() => clearTimeout(timer));
}

async function upgraded(port: number, extra: string[] = [], first: Uint8Array = new Uint8Array(0)): Promise<RawClient> {
  const c = await rawConnect(port);
  c.write(Buffer.concat([Buffer.from(upgradeRequest('/', extra)), first]));
  await c.until(() => c.head() !== undefined, 'the 101');
  return c;
}

describe('server: the opening handshake over raw TCP', () => {
  let server: WebSocketServer;
  let seen: Seen;
  before(async () => ({ server, seen } = await echoServer({ handshakeTimeout: 300, protocols: ['b', 'a'] })));
  after(() => server.close());

  it('answers 101 with the RFC 6455 §1.3 accept value and the preferred offered subprotocol, and reads the frames sent with the request', async () => {
    const c = await upgraded(server.port, ['Sec-WebSocket-Protocol: a, b'], clientFrame(1, 'sent with the request'));
    const head = c.head()!;
    assert.equal(head.status, 101);
    assert.equal(head.headers['sec-websocket-accept'], ACCEPT);
    assert.equal(head.headers['upgrade'], 'websocket');
    assert.equal(head.headers['sec-websocket-protocol'], 'b');
    assert.equal(head.headers['sec-websocket-extensions'], undefined, 'deflate is off on this server');
    await c.until(() => c.frames().length === 1, 'the echo');
    const [echo] = c.frames();
    assert.deepEqual([echo!.opcode, echo!.masked, echo!.payload.toString()], [1, false, 'sent with the request']);
    c.socket.destroy();
  });

  it('a request that arrives one byte per write still upgrades', async () => {
    // A server of its own with the default handshakeTimeout (10 s): some 150 writes, each after a
    // turn of the event loop, can take longer than this suite's 300 ms on a loaded machine, and
    // what is tested here is the byte-by-byte parsing, not the timeout (tested below).
    const slow = await echoServer({ protocols: ['b', 'a'] });
    try {
      const c = await rawConnect(slow.server.port);
      const bytes = Buffer.from(upgradeRequest());
      for (const b of bytes) {
        c.write(Buffer.from([b]));
        await new Promise((r) => setImmediate(r));
      }
      await c.until(() => c.head()?.status === 101, 'the 101');
      c.socket.destroy();
    } finally {
      await slow.server.close();
    }
  });

  const refusals: Array<[string, string, number, Record<string, string>, string]> = [
    ['Sec-WebSocket-Version 8', upgradeRequest('/', []).replace('Sec-WebSocket-Version: 13', 'Sec-WebSocket-Version: 8'), 426, { 'sec-websocket-version': '13' }, 'WS_ERR_HANDSHAKE_VERSION'],
    ['a POST', upgradeRequest('/').replace('GET', 'POST'), 405, { allow: 'GET' }, 'WS_ERR_HANDSHAKE_METHOD'],
    ['a key that is not 16 bytes', upgradeRequest('/').replace(/Sec-WebSocket-Key: .*/, 'Sec-WebSocket-Key: c2hvcnQ='), 400, {}, 'WS_ERR_HANDSHAKE_KEY'],
    ['no Connection: Upgrade', upgradeRequest('/').replace('Connection: Upgrade', 'Connection: keep-alive'), 400, {}, 'WS_ERR_HANDSHAKE_CONNECTION'],
    ['a garbage request line', 'HELLO THERE\r\n\r\n', 400, {}, 'WS_ERR_HANDSHAKE_MALFORMED'],
  ];
  for (const [name, request, status, headers, code] of refusals) {
    it(`${name}: ${status}, the connection closed after the answer`, async () => {
      const before = seen.bad.length;
      const c = await rawConnect(server.port);
      c.write(request);
      await within(c.ended, 'the end after the refusal');
      const head = c.head()!;
      assert.equal(head.status, status);
      for (const [k, v] of Object.entries(headers)) assert.equal(head.headers[k], v);
      assert.equal(head.headers['connection'], 'close');
      assert.equal(Number(head.headers['content-length']), head.body.length);
      assert.deepEqual(seen.bad.slice(before), [{ status, code }]);
      c.socket.destroy();
    });
  }

  it('a plain GET (no upgrade) gets 426 Upgrade Required when no request handler is set', async () => {
    const res = await fetch(`http://127.0.0.1:${server.port}/anything`);
    assert.equal(res.status, 426);
    assert.equal(res.headers.get('upgrade'), 'websocket');
    assert.match(await res.text(), /WebSocket server/);
  });

  it('a request head that does not complete within handshakeTimeout gets 408 and the connection ends', async () => {
    const c = await rawConnect(server.port);
    c.write('GET / HTTP/1.1\r\nHost: x\r\n');
    await within(c.ended, 'the end after 408');
    assert.equal(c.head()?.status, 408);
    c.socket.destroy();
  });
});

describe('server: frames over raw TCP', () => {
  let server: WebSocketServer;
  let seen: Seen;
  before(async () => ({ server, seen } = await echoServer({ closeTimeout: 300 })));
  after(() => server.close());

  it('masked frames split across writes (every key phase) are unmasked and echoed unmasked', async () => {
    const c = await upgraded(server.port);
    const payload = Buffer.alloc(300, 0);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 13) & 255;
    const bytes = Buffer.concat([clientFrame(2, payload, { mask: Buffer.from([1, 2, 3, 4]) }), clientFrame(1, 'é'.repeat(70), { fin: false }), clientFrame(0, '✓')]);
    // Writes cut inside headers, keys and payloads (every key phase).
    let at = 0;
    for (const cut of [1, 3, 7, 8, 9, 10, 150, 151, 152, 305, 306, 320, bytes.length]) {
      c.write(bytes.subarray(at, cut));
      at = cut;
      await new Promise((r) => setImmediate(r));
    }
    await c.until(() => c.frames().length === 2, 'two echoes');
    const [bin, text] = c.frames();
    assert.deepEqual([bin!.opcode, bin!.masked], [2, false]);
    assert.deepEqual(bin!.payload, payload);
    assert.deepEqual([text!.opcode, text!.payload.toString()], [1, 'é'.repeat(70) + '✓']);
    c.socket.destroy();
  });

  it('a ping is answered with an unmasked pong carrying the same payload', async () => {
    const c = await upgraded(server.port);
    c.write(clientFrame(9, 'are you there'));
    await c.until(() => c.frames().length === 1, 'the pong');
    assert.deepEqual([c.frames()[0]!.opcode, c.frames()[0]!.masked, c.frames()[0]!.payload.toString()], [10, false, 'are you there']);
    c.socket.destroy();
  });

  it('an unmasked client frame: close 1002 (unmasked), then the server closes TCP (§5.1, §7.1.7)', async () => {
    const c = await upgraded(server.port);
    c.write(clientFrame(1, 'no mask', { mask: null }));
    await within(c.ended, 'the server closing TCP');
    const frames = c.frames();
    assert.equal(frames.length, 1);
    assert.deepEqual([frames[0]!.opcode, frames[0]!.masked, frames[0]!.payload.readUInt16BE(0)], [8, false, 1002]);
    c.socket.end();
    const close = await closeOf(seen, c);
    assert.deepEqual([close.code, close.wasClean], [1002, false]);
    assert.ok(seen.errors.includes('WS_ERR_EXPECTED_MASK'));
  });

  it('a client close is echoed with its code and the server closes TCP first (§7.1.1); the server reports a clean close', async () => {
    const c = await upgraded(server.port);
    c.write(clientFrame(8, Buffer.concat([Buffer.from([0x03, 0xe8]), Buffer.from('done')])));
    await within(c.ended, 'the server closing TCP');
    const [close] = c.frames();
    assert.deepEqual([close!.opcode, close!.payload.readUInt16BE(0)], [8, 1000]);
    c.socket.end();
    const reported = await closeOf(seen, c);
    assert.deepEqual([reported.code, reported.reason, reported.wasClean], [1000, 'done', true]);
  });

  it('a server close (1012) waits for the client close, then closes TCP; a client that never answers is dropped after closeTimeout', async () => {
    const answering = await upgraded(server.port);
    const silent = await upgraded(server.port);
    for (const c of [answering, silent]) (await connFor(server, c)).startClose(1012, 'restarting');
    await answering.until(() => answering.frames().length === 1, 'the close frame');
    const [frame] = answering.frames();
    assert.deepEqual([frame!.opcode, frame!.payload.readUInt16BE(0), frame!.payload.subarray(2).toString()], [8, 1012, 'restarting']);
    answering.write(clientFrame(8, Buffer.from([0x03, 0xf4])));
    await within(answering.ended, 'the server closing TCP');
    answering.socket.end();
    // The silent one: its socket is destroyed after closeTimeout (300 ms).
    await within(silent.ended, 'the silent client dropped', 3000);
    silent.socket.destroy();
    const a = await closeOf(seen, answering);
    const b = await closeOf(seen, silent);
    assert.deepEqual([a.code, a.wasClean], [1012, true]);
    assert.deepEqual([b.code, b.wasClean], [1006, false]);
  });

  it('terminate() drops the socket without a close frame', async () => {
    const c = await upgraded(server.port);
    (await connFor(server, c)).terminate();
    await within(c.ended, 'the drop');
    assert.deepEqual(c.frames(), []);
  });
});

describe('server: stop listening and listen again on the same port (a restart)', () => {
  it('drops every connection, refuses while down, accepts again', async () => {
    const { server } = await echoServer();
    const port = server.port;
    const c = await upgraded(port);
    await server.stopListening();
    await within(c.ended, 'the drop');
    await assert.rejects(rawConnect(port), /ECONNREFUSED/);
    await server.listen(port);
    assert.equal(server.port, port);
    const again = await upgraded(port);
    assert.equal(again.head()!.status, 101);
    again.socket.destroy();
    await server.close();
  });

  it('stops accepting before it drops the connections: a client that dials as soon as it is dropped is refused, not reset', async () => {
    const { server } = await echoServer();
    const c = await upgraded(server.port);
    const conn = await connFor(server, c);
    // What the server's listener was doing when the connection was dropped (in another process the client may dial in between).
    const listener = (server as unknown as { listener: import('node:net').Server }).listener;
    let acceptingAtDrop: boolean | undefined;
    const terminate = conn.terminate.bind(conn);
    conn.terminate = () => {
      acceptingAtDrop = listener.listening;
      terminate();
    };
    await server.stopListening();
    await within(c.ended, 'the drop');
    assert.equal(acceptingAtDrop, false);
    await assert.rejects(rawConnect(server.port), /ECONNREFUSED/);
  });
});

async function waitFor(test: () => boolean, ms = 5000): Promise<void> {
  const t0 = Date.now();
  while (!test()) {
    if (Date.now() - t0 > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}
