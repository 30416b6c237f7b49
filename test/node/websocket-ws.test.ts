/**
 * The Node WebSocket against a real `ws` server on loopback: data of every
 * kind and size, bursts in order, subprotocols, close in both directions,
 * pings both ways, permessage-deflate, and the WHATWG API surface.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocketServer, type WebSocket as WsSocket } from 'ws';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { WebSocket } from '../../src/transport/node/websocket.js';
import { closeWs, messages, next, openWs } from '../support/node-ws.js';

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(async () => {
  await server.close();
});

describe('WebSocket vs ws: data', () => {
  it('echoes text, including multi-byte UTF-8', async () => {
    const ws = await openWs(server.url('/echo'));
    const got = messages(ws, 2);
    ws.send('hello');
    ws.send('héllo ✓ 😀');
    assert.deepEqual(await got, ['hello', 'héllo ✓ 😀']);
    await closeWs(ws);
  });

  it('delivers binary as ArrayBuffer by default, Blob and Buffer on request', async () => {
    const ws = await openWs(server.url('/echo'));
    assert.equal(ws.binaryType, 'arraybuffer');
    let got = messages(ws, 1);
    ws.send(new Uint8Array([1, 2, 3]));
    const ab = (await got)[0];
    assert.ok(ab instanceof ArrayBuffer);
    assert.deepEqual([...new Uint8Array(ab)], [1, 2, 3]);

    ws.binaryType = 'blob';
    got = messages(ws, 1);
    ws.send(new Uint16Array([0x0201, 0x0403]).buffer);
    const blob = (await got)[0] as Blob;
    assert.ok(blob instanceof Blob);
    assert.deepEqual([...new Uint8Array(await blob.arrayBuffer())], [1, 2, 3, 4]);

    ws.binaryType = 'nodebuffer';
    got = messages(ws, 1);
    ws.send(new DataView(new Uint8Array([9, 8, 7, 6]).buffer, 1, 2));
    const buf = (await got)[0];
    assert.ok(Buffer.isBuffer(buf));
    assert.deepEqual([...(buf as Buffer)], [8, 7]);

    ws.binaryType = 'bogus' as 'blob'; // ignored, as browsers do
    assert.equal(ws.binaryType, 'nodebuffer');
    await closeWs(ws);
  });

  it('sends a Blob in order with the messages around it', async () => {
    const ws = await openWs(server.url('/echo'));
    ws.binaryType = 'nodebuffer';
    const got = messages(ws, 3);
    ws.send('a');
    ws.send(new Blob([new Uint8Array([5, 6])]));
    ws.send('c');
    assert.ok(ws.bufferedAmount >= 2, 'Blob bytes count while pending');
    const [a, b, c] = await got;
    assert.equal(a, 'a');
    assert.deepEqual([...(b as Buffer)], [5, 6]);
    assert.equal(c, 'c');
    await closeWs(ws);
  });

  it('round-trips empty and boundary-sized messages (0, 1, 125, 126, 127, 65535, 65536, 65537)', async () => {
    const ws = await openWs(server.url('/echo'));
    ws.binaryType = 'nodebuffer';
    const sizes = [0, 1, 125, 126, 127, 65535, 65536, 65537];
    const got = messages(ws, sizes.length * 2);
    for (const n of sizes) {
      const b = Buffer.alloc(n);
      for (let i = 0; i < n; i++) b[i] = (i * 31 + n) & 255;
      ws.send(b);
      ws.send('x'.repeat(n));
    }
    const out = await got;
    sizes.forEach((n, k) => {
      const b = out[k * 2] as Buffer;
      assert.equal(b.length, n);
      for (let i = 0; i < n; i++) if (b[i] !== ((i * 31 + n) & 255)) assert.fail(`byte ${i} of ${n}`);
      assert.equal(out[k * 2 + 1], 'x'.repeat(n));
    });
    await closeWs(ws);
  });

  it('round-trips a 16 MiB binary message', async () => {
    const ws = await openWs(server.url('/echo'));
    ws.binaryType = 'nodebuffer';
    const big = Buffer.alloc(16 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4096) big[i] = (i >> 12) & 255;
    const got = messages(ws, 1, 20000);
    ws.send(big);
    assert.ok(ws.bufferedAmount > 0, 'bytes are queued while the socket writes');
    const echo = (await got)[0] as Buffer;
    assert.equal(echo.length, big.length);
    assert.ok(echo.equals(big));
    await closeWs(ws);
  });

  it('keeps 1,000 messages in order both ways', async () => {
    const ws = await openWs(server.url('/echo'));
    const got = messages(ws, 1000);
    for (let i = 0; i < 1000; i++) ws.send(`m${i}`);
    const out = await got;
    for (let i = 0; i < 1000; i++) assert.equal(out[i], `m${i}`);
    await closeWs(ws);
  });
});

describe('WebSocket vs ws: handshake outcomes', () => {
  it('negotiates a subprotocol from the offered list', async () => {
    const ws = await openWs(server.url('/echo'), ['nope', 'chat', 'json']);
    assert.equal(ws.protocol, 'chat');
    await closeWs(ws);
    const none = await openWs(server.url('/echo'), 'other');
    assert.equal(none.protocol, '');
    await closeWs(none);
  });

  it('reports permessage-deflate in `extensions` and round-trips compressed messages', async () => {
    const z = await startTestServer({ perMessageDeflate: { threshold: 0 } });
    try {
      const ws = await openWs(z.url('/echo'));
      assert.match(ws.extensions, /^permessage-deflate/);
      const text = 'compress me '.repeat(500);
      // Pseudo-random base64: compresses to well over 2 KiB, so Node's zlib route inflates it.
      let x = 1;
      const noisy = Buffer.from(Array.from({ length: 96 * 1024 }, () => ((x = (x * 1103515245 + 12345) >>> 0) >>> 24))).toString('base64');
      const got = messages(ws, 3);
      ws.send(text);
      ws.send('small');
      ws.send(noisy);
      assert.deepEqual(await got, [text, 'small', noisy]);
      await closeWs(ws);
      const off = await openWs(z.url('/echo'), [], { perMessageDeflate: false });
      assert.equal(off.extensions, '');
      await closeWs(off);
    } finally {
      await z.close();
    }
  });

  it('fires error then close 1006 for a refused upgrade, exposing the HandshakeError', async () => {
    server.refuse(503, 60_000, { 'retry-after': '7' });
    try {
      const ws = new WebSocket(server.url('/echo'));
      const order: string[] = [];
      ws.onerror = () => order.push('error');
      const err = next(ws, 'error');
      const close = await next(ws, 'close');
      order.push('close');
      const e = await err;
      assert.deepEqual(order, ['error', 'close']);
      assert.equal(e.error.code, 'WS_ERR_HANDSHAKE_STATUS');
      assert.equal(e.error.status, 503);
      assert.equal(e.status, 503);
      assert.equal(e.retryAfterMs, 7000);
      assert.equal(e.error.retryAfter, '7');
      assert.match(e.error.bodyText, /refused by test server \(503\)/);
      assert.equal(close.code, 1006);
      assert.equal(close.wasClean, false);
      assert.equal(ws.readyState, WebSocket.CLOSED);
    } finally {
      server.reset();
    }
  });
});

describe('WebSocket vs ws: closing', () => {
  it('client close: code and reason reach the server, and come back in a clean close event', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((r) => wss.once('listening', r));
    const seen = new Promise<[number, string]>((resolve) => {
      wss.on('connection', (s: WsSocket) => s.on('close', (code, reason) => resolve([code, reason.toString()])));
    });
    const ws = await openWs(`ws://127.0.0.1:${(wss.address() as { port: number }).port}`);
    const closed = next(ws, 'close');
    ws.close(4001, 'bye ✓');
    assert.equal(ws.readyState, WebSocket.CLOSING);
    assert.deepEqual(await seen, [4001, 'bye ✓']);
    const e = await closed;
    assert.equal(e.code, 4001);
    assert.equal(e.reason, 'bye ✓');
    assert.equal(e.wasClean, true);
    assert.equal(ws.readyState, WebSocket.CLOSED);
    await new Promise((r) => wss.close(r));
  });

  it('server close: the close event carries its code and reason; no close() gives 1005', async () => {
    const ws = new WebSocket(server.url('/close?code=4321&reason=server%20says'));
    const e = await next(ws, 'close');
    assert.equal(e.code, 4321);
    assert.equal(e.reason, 'server says');
    assert.equal(e.wasClean, true);
    const ws2 = await openWs(server.url('/echo'));
    const c2 = next(ws2, 'close');
    ws2.close();
    assert.equal((await c2).code, 1005);
  });

  it('validates close() arguments as browsers do', async () => {
    const ws = await openWs(server.url('/echo'));
    for (const code of [999, 1001, 1005, 1006, 2999, 5000, 1001.4]) { // 1001.4 is 1001 after WebIDL's [Clamp] conversion
      assert.throws(() => ws.close(code), (e: Error) => e.name === 'InvalidAccessError', String(code));
    }
    assert.throws(() => ws.close(1000, 'x'.repeat(124)), (e: Error) => e.name === 'SyntaxError');
    assert.equal(ws.readyState, WebSocket.OPEN);
    await closeWs(ws);
    ws.close(1000); // after closing: no-op, no throw
  });

  it('stops delivering messages once close() was called (WHATWG: only while OPEN)', async () => {
    const ws = await openWs(server.url('/echo'));
    const got: string[] = [];
    ws.onmessage = (e) => {
      got.push(e.data as string);
      ws.close(1000);
    };
    ws.send('a');
    ws.send('b');
    ws.send('c');
    await next(ws, 'close');
    assert.deepEqual(got, ['a']);
  });

  it('discards sends after closing and counts them in bufferedAmount', async () => {
    const ws = await openWs(server.url('/echo'));
    await closeWs(ws);
    const before = ws.bufferedAmount;
    ws.send('héllo'); // 6 bytes of UTF-8
    ws.send(new Uint8Array(10));
    assert.equal(ws.bufferedAmount - before, 16);
  });

  it('close() while CONNECTING fails the connection: error, then close 1006', async () => {
    const ws = new WebSocket(server.url('/echo'));
    const order: string[] = [];
    ws.addEventListener('open', () => order.push('open'));
    ws.addEventListener('error', () => order.push('error'));
    const closed = next(ws, 'close');
    ws.close();
    assert.equal(ws.readyState, WebSocket.CLOSING);
    const e = await closed;
    assert.deepEqual(order, ['error']);
    assert.equal(e.code, 1006);
    assert.equal(e.wasClean, false);
  });
});

describe('WebSocket vs ws: pings', () => {
  it('answers a server ping with the same payload and fires a ping event', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((r) => wss.once('listening', r));
    const pong = new Promise<Buffer>((resolve) => {
      wss.on('connection', (s: WsSocket) => {
        s.on('pong', resolve);
        s.ping(Buffer.from('are you there'));
      });
    });
    const ws = new WebSocket(`ws://127.0.0.1:${(wss.address() as { port: number }).port}`);
    const ping = await next(ws, 'ping');
    assert.equal(ping.data.toString(), 'are you there');
    assert.equal((await pong).toString(), 'are you there');
    await closeWs(ws);
    await new Promise((r) => wss.close(r));
  });

  it('ping() resolves with the round trip in ms; the pong event carries the payload', async () => {
    const ws = await openWs(server.url('/echo'));
    const pongEvent = next(ws, 'pong');
    const rtt = await ws.ping('abc');
    assert.equal(typeof rtt, 'number');
    assert.ok(rtt >= 0 && rtt < 5000);
    assert.equal((await pongEvent).data.toString(), 'abc');
    const [a, b] = await Promise.all([ws.ping(), ws.ping()]);
    assert.ok(a >= 0 && b >= 0);
    await closeWs(ws);
  });

  it('ping() refuses a payload over 125 bytes or of another type by rejecting (never throwing), with the client\'s rule; nothing reaches the wire', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((r) => wss.once('listening', r));
    const received: string[] = [];
    wss.on('connection', (s: WsSocket) => s.on('ping', (data: Buffer) => received.push(data.toString('hex'))));
    const ws = await openWs(`ws://127.0.0.1:${(wss.address() as { port: number }).port}`);
    try {
      type Refusal = Error & { code?: string };
      const refused: [unknown, (e: Refusal) => boolean][] = [
        // RFC 6455 §5.5: a control frame's payload is at most 125 bytes; text counts its UTF-8 bytes.
        [new Uint8Array(126), (e) => e instanceof RangeError && e.code === 'WS_ERR_CONTROL_PAYLOAD_TOO_LONG' && /a ping payload must be at most 125 bytes, got "126 bytes"/.test(e.message)],
        ['é'.repeat(63), (e) => e instanceof RangeError && e.code === 'WS_ERR_CONTROL_PAYLOAD_TOO_LONG'],
        [new ArrayBuffer(200), (e) => e instanceof RangeError && e.code === 'WS_ERR_CONTROL_PAYLOAD_TOO_LONG'],
        [5, (e) => e instanceof TypeError && e.code === 'WS_ERR_INVALID_DATA' && /a ping payload must be a string, an ArrayBuffer or a view of one .*, got 5/.test(e.message)],
        [{ length: 3 }, (e) => e instanceof TypeError && e.code === 'WS_ERR_INVALID_DATA' && /got an object/.test(e.message)],
        [null, (e) => e instanceof TypeError && e.code === 'WS_ERR_INVALID_DATA'],
      ];
      for (const [data, expected] of refused) {
        let result: Promise<number> | undefined;
        assert.doesNotThrow(() => (result = ws.ping(data as string)), `ping(${String(data).slice(0, 20)}) throws`);
        await assert.rejects(result!, expected);
      }
      // Still open, and the payloads that fit go out as the bytes they span: 125 bytes, a DataView's window, text.
      const bytes = Buffer.from('..view..');
      await ws.ping(new Uint8Array(125).fill(1));
      await ws.ping(new DataView(bytes.buffer, bytes.byteOffset + 2, 4));
      await ws.ping('é');
      assert.deepEqual(received, ['01'.repeat(125), Buffer.from('view').toString('hex'), 'c3a9']);
    } finally {
      ws.terminate();
      for (const client of wss.clients) client.terminate();
      await new Promise((r) => wss.close(r));
    }
  });

  it('ping() rejects when the connection closes before the pong', async () => {
    server.silent(true);
    try {
      const ws = await openWs(server.url('/echo'));
      const p = ws.ping();
      ws.terminate();
      await assert.rejects(p, (e: Error & { code?: string }) => e.code === 'WS_ERR_INVALID_STATE');
      await assert.rejects(ws.ping(), (e: Error) => e.name === 'InvalidStateError');
    } finally {
      server.reset();
    }
  });
});

describe('WebSocket API surface', () => {
  it('has the WHATWG constants on the class and instances, and the url', async () => {
    assert.deepEqual([WebSocket.CONNECTING, WebSocket.OPEN, WebSocket.CLOSING, WebSocket.CLOSED], [0, 1, 2, 3]);
    const ws = new WebSocket(server.url('/echo?x=1'));
    assert.deepEqual([ws.CONNECTING, ws.OPEN, ws.CLOSING, ws.CLOSED], [0, 1, 2, 3]);
    assert.equal(ws.url, server.url('/echo?x=1'));
    assert.equal(ws.readyState, WebSocket.CONNECTING);
    assert.equal(ws.protocol, '');
    assert.equal(ws.bufferedAmount, 0);
    assert.throws(() => ws.send('too early'), (e: Error) => e.name === 'InvalidStateError');
    await next(ws, 'open');
    assert.equal(ws.readyState, WebSocket.OPEN);
    await closeWs(ws);
  });

  it('throws SyntaxError for bad URLs and subprotocols', () => {
    assert.throws(() => new WebSocket('ftp://x'), (e: Error & { code?: string }) => e.name === 'SyntaxError' && e.code === 'WS_ERR_INVALID_URL');
    assert.throws(() => new WebSocket('ws://x/#frag'), (e: Error) => e instanceof DOMException && e.name === 'SyntaxError');
    assert.throws(() => new WebSocket(server.url(), ['a', 'a']), (e: Error) => e.name === 'SyntaxError');
    assert.throws(() => new WebSocket(server.url(), 'bad proto'), (e: Error) => e.name === 'SyntaxError');
  });

  it('on<event> attributes keep their slot, listeners support once and removal, dispatchEvent works', async () => {
    const ws = await openWs(server.url('/echo'));
    const calls: string[] = [];
    const a = () => calls.push('a');
    ws.addEventListener('message', a);
    ws.onmessage = () => calls.push('attr1');
    ws.addEventListener('message', () => calls.push('once'), { once: true });
    ws.addEventListener('message', a); // duplicate: ignored
    ws.onmessage = function (this: WebSocket, e: { target: unknown; currentTarget: unknown; type: string }) {
      assert.equal(this, ws);
      assert.equal(e.target, ws);
      assert.equal(e.currentTarget, ws);
      assert.equal(e.type, 'message');
      calls.push('attr2');
    };
    assert.equal(typeof ws.onmessage, 'function');
    let got = messages(ws, 1);
    ws.send('1');
    await got;
    assert.deepEqual(calls, ['a', 'attr2', 'once']);
    calls.length = 0;
    ws.removeEventListener('message', a);
    ws.addEventListener('message', { handleEvent: () => calls.push('obj') });
    got = messages(ws, 1);
    ws.send('2');
    await got;
    assert.deepEqual(calls, ['attr2', 'obj']);
    ws.onmessage = null;
    assert.equal(ws.onmessage, null);
    const custom: string[] = [];
    ws.addEventListener('custom', (e: { type: string }) => custom.push(e.type));
    assert.equal(ws.dispatchEvent(new Event('custom')), true);
    assert.deepEqual(custom, ['custom']);
    await closeWs(ws);
  });

  it('accepts ws-style options as the second argument', async () => {
    const ws = new WebSocket(server.url('/echo'), { perMessageDeflate: false, handshakeTimeout: 5000 });
    await next(ws, 'open');
    assert.equal(ws.extensions, '');
    await closeWs(ws);
  });

  it('aborting the signal fails a connecting socket and drops an open one', async () => {
    const ac = new AbortController();
    const ws = new WebSocket(server.url('/echo'), [], { signal: ac.signal });
    const err = next(ws, 'error');
    ac.abort();
    const e = await next(ws, 'close');
    assert.equal(e.code, 1006);
    assert.equal((await err).error.name, 'AbortError');
    const ac2 = new AbortController();
    const ws2 = await openWs(server.url('/echo'), [], { signal: ac2.signal });
    const c2 = next(ws2, 'close');
    ac2.abort();
    assert.equal((await c2).code, 1006);
    const pre = new WebSocket(server.url('/echo'), [], { signal: AbortSignal.abort() });
    assert.equal((await next(pre, 'close')).code, 1006);
  });
});
