/**
 * Timers a server or a caller could overflow (issue #15 item 1): `setTimeout`
 * fires at once for a delay above 2^31-1 ms, so an unchecked huge delay
 * becomes a 1 ms one. The Node options are range- and type-checked at
 * `new WebSocket()`, `createNodeTransport()` and `connect()`; a server's
 * Retry-After (a year, or a date in 2100) is capped by `maxRetryAfter`, so
 * `connect()` waits instead of reconnecting hundreds of times a second.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from '../../src/transport/node/websocket.js';
import { createNodeTransport } from '../../src/transport/node/index.js';
import { connect, type Connection } from '../../src/node.js';
import { TIMER_MAX } from '../../src/protocol/input.js';
import { realClock } from '../../src/client/clock.js';
import { serveRaw } from '../support/raw-server.js';
import { next } from '../support/node-ws.js';

const serve = serveRaw();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const clients: Connection<any>[] = [];
after(() => clients.forEach((c) => c.terminate()));

type Coded = Error & { code?: string };
const optionError = (kind: typeof TypeError | typeof RangeError, text: RegExp) => (e: Coded) =>
  e instanceof kind && e.code === 'WS_ERR_INVALID_OPTION' && text.test(e.message);

describe('Node options are checked at the call', () => {
  const url = 'ws://127.0.0.1:1/';
  const cases: [string, Record<string, unknown>, typeof TypeError | typeof RangeError, RegExp][] = [
    ['a handshakeTimeout above 2^31-1 ms', { handshakeTimeout: 2 ** 31 }, RangeError, /handshakeTimeout must be from 0 to 2147483647 or Infinity/],
    ['a negative closeTimeout', { closeTimeout: -1 }, RangeError, /closeTimeout/],
    ['a closeTimeout of 30 days', { closeTimeout: 30 * 86_400_000 }, RangeError, /closeTimeout/],
    ['a NaN handshakeTimeout', { handshakeTimeout: NaN }, RangeError, /handshakeTimeout/],
    ['a handshakeTimeout given as a string', { handshakeTimeout: '5000' }, TypeError, /handshakeTimeout must be a number, got "5000"/],
    ['maxPayload 0', { maxPayload: 0 }, RangeError, /maxPayload/],
    ['family 5', { family: 5 }, RangeError, /family must be one of 0, 4, 6/],
    ['followRedirects given as a string', { followRedirects: 'yes' }, TypeError, /followRedirects/],
    ['a typo of a ws option (handshakeTimout)', { handshakeTimout: 5000 }, TypeError, /option names must be among .*handshakeTimeout.*, got "handshakeTimout"/],
    ['a ws option lifeline does not have (skipUTF8Validation)', { skipUTF8Validation: true }, TypeError, /skipUTF8Validation/],
  ];
  for (const [name, options, kind, text] of cases) {
    it(`new WebSocket(), createNodeTransport() and connect({socket}) refuse ${name}`, () => {
      assert.throws(() => new WebSocket(url, [], options), optionError(kind, text));
      assert.throws(() => new WebSocket(url, options), optionError(kind, text), 'options as the second argument (ws style)');
      assert.throws(() => createNodeTransport(options), optionError(kind, text));
      assert.throws(() => connect(url, { socket: options, startClosed: true }), optionError(kind, text));
    });
  }

  it('names the API in the message', () => {
    assert.throws(() => new WebSocket(url, [], { closeTimeout: -5 }), /^RangeError: new WebSocket\(\): option closeTimeout/);
    assert.throws(() => createNodeTransport({ closeTimeout: -5 }), /^RangeError: createNodeTransport\(\): option closeTimeout/);
  });

  it('accepts the limits themselves: 0, 2^31-1 and Infinity', async () => {
    for (const options of [{ handshakeTimeout: 0, closeTimeout: 0 }, { handshakeTimeout: TIMER_MAX, closeTimeout: TIMER_MAX }, { handshakeTimeout: Infinity, closeTimeout: Infinity, maxPayload: Infinity }]) {
      const ws = new WebSocket(url, [], options);
      await next(ws, 'close');
    }
  });
});

describe('timers of the Node transport never overflow', () => {
  it('closeTimeout Infinity waits for the server instead of destroying the socket after 1 ms', async () => {
    const s = await serve((c) => c.socket.write(c.accept())); // never answers our close
    const ws = new WebSocket(s.url('/'), [], { closeTimeout: Infinity, perMessageDeflate: false });
    await next(ws, 'open');
    let closedAt = 0;
    ws.onclose = () => (closedAt = Date.now());
    const t0 = Date.now();
    ws.close();
    await sleep(300);
    assert.equal(closedAt, 0, `closed after ${closedAt - t0} ms: the close timer overflowed`);
    const closed = next(ws, 'close');
    ws.terminate();
    assert.equal((await closed).code, 1006);
  });

  it('the client clock clamps a delay above 2^31-1 ms instead of firing at once', async () => {
    let fired = false;
    const handle = realClock.set(() => (fired = true), 2 ** 40);
    await sleep(50);
    realClock.clear(handle);
    assert.equal(fired, false);
  });
});

describe("connect() and a server's huge Retry-After", () => {
  for (const [name, retryAfter] of [
    ['a year in seconds', '31536000'],
    ['an HTTP-date in 2100', 'Fri, 31 Dec 2100 23:59:59 GMT'],
  ] as const) {
    it(`503 with Retry-After ${name}: waits maxRetryAfter (default 10 minutes), does not reconnect at once`, async () => {
      const s = await serve((c) => c.socket.end(`HTTP/1.1 503 Service Unavailable\r\nRetry-After: ${retryAfter}\r\nContent-Length: 0\r\n\r\n`));
      const c = connect(s.url('/'), { minDelay: 1, maxDelay: 1 });
      clients.push(c);
      const delays: number[] = [];
      const closes: { status?: number; retryAfterMs?: number }[] = [];
      c.on('reconnecting', (e) => delays.push(e.delay));
      c.on('close', (e) => closes.push(e));
      c.on('error', () => {});
      await sleep(400);
      c.terminate();
      assert.equal(s.connections.length, 1, `${s.connections.length} attempts in 400 ms`);
      assert.deepEqual(delays, [600_000]);
      assert.equal(closes[0]!.status, 503);
      assert.ok(closes[0]!.retryAfterMs! > 600_000, 'the close reports what the server asked for');
    });
  }

  it('maxRetryAfter sets the cap: the next attempt comes after it, not before', async () => {
    const s = await serve((c) => c.socket.end('HTTP/1.1 503 Busy\r\nRetry-After: 31536000\r\nContent-Length: 0\r\n\r\n'));
    const c = connect(s.url('/'), { minDelay: 1, maxDelay: 1, maxRetryAfter: 150 });
    clients.push(c);
    const delays: number[] = [];
    c.on('reconnecting', (e) => delays.push(e.delay));
    c.on('error', () => {});
    await sleep(100);
    assert.equal(s.connections.length, 1);
    const t0 = Date.now();
    while (s.connections.length < 2 && Date.now() - t0 < 5000) await sleep(5);
    c.terminate();
    assert.equal(s.connections.length, 2);
    assert.equal(delays[0], 150);
  });
});
