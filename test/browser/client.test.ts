/**
 * The resilient client in real browsers (Chromium, Firefox, WebKit) over the
 * native WebSocket, against the shared loopback test server (driven over
 * HTTP /control/...): drops,
 * refusals, restarts, flapping, a silent peer found by the app-level
 * heartbeat or the idle timeout, order of queued messages across restarts.
 * It runs the built dist/browser.mjs, the file users get.
 */
import { describe, it, before, beforeEach, afterEach, equal, ok, deepEqual, sleep } from '../support/harness.js';
import type { Connection } from '../../src/index.js';
import { SIZED_MESSAGES } from '../support/sized-messages.js';

// The shipped bundle, as users get it (dist/browser.mjs, built by rollup before the
// browser stage), not src: what runs here is what a bundler or a CDN hands a page.
// Typed by the sources it was built from; the path is the test server's URL of dist/.
const SHIPPED = '/dist/browser.mjs';
const { connect, heartbeat, json } = (await import(SHIPPED)) as typeof import('../../src/index.js');

let port = 0;
let base = '';
/** Control request; retried while the server is restarting (it stops listening for a moment). */
const ctl = async (path: string): Promise<any> => {
  for (let i = 0; ; i++) {
    try {
      return await (await fetch(`${base}/control/${path}`, { cache: 'no-store' })).json();
    } catch (e) {
      if (i > 40) throw e;
      await sleep(25);
    }
  }
};
const url = (p = '/echo') => `ws://127.0.0.1:${port}${p}`;
const live: Connection<any>[] = [];
const client = <T = string | Uint8Array>(...a: Parameters<typeof connect>) => {
  const c = connect(...a) as unknown as Connection<T>;
  live.push(c);
  return c;
};
const once = <T>(c: Connection<any>, k: Parameters<Connection['on']>[0], ms = 8000) =>
  new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out waiting for ${k}`)), ms);
    const off = c.on(k, (e: unknown) => {
      clearTimeout(t);
      off();
      resolve(e as T);
    });
  });
async function waitFor(cond: () => boolean | Promise<boolean>, ms = 8000, what = 'condition') {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe('client in the browser (native WebSocket, loopback server)', () => {
  before(async () => {
    port = (await (await fetch('/__lifeline/config.json')).json()).wsPort;
    base = `http://127.0.0.1:${port}`;
  });
  beforeEach(() => ctl('reset'));
  afterEach(async () => {
    for (const c of live.splice(0)) c.terminate();
    await ctl('reset');
  });

  it('runs the shipped bundle (its version was set by the build)', async () => {
    const shipped = (await import(SHIPPED)) as { version: string };
    ok(/^\d+\.\d+\.\d+/.test(shipped.version), shipped.version);
  });

  it('stats count what went out in UTF-8 bytes, and what came in by its length for text (the browser does not say): ASCII, 2- and 4-byte characters, binary', async () => {
    const c = client(url());
    await once(c, 'open');
    const received: unknown[] = [];
    c.on('message', (m) => received.push(m));
    // The echo server sends each message back.
    for (const { data } of SIZED_MESSAGES) await c.send(data);
    await waitFor(() => received.length === SIZED_MESSAGES.length, 8000, 'the echoes');
    equal(c.stats.messagesIn, SIZED_MESSAGES.length);
    equal(c.stats.bytesOut, SIZED_MESSAGES.reduce((sum, { bytes }) => sum + bytes, 0));
    equal(c.stats.bytesIn, SIZED_MESSAGES.reduce((sum, { data }) => sum + (typeof data === 'string' ? data.length : data.byteLength), 0));
    ok(c.stats.bytesIn < c.stats.bytesOut, 'non-ASCII text came in counted by its length, fewer than its UTF-8 bytes');
  });

  it('the WebSocket members: extensions, bufferedAmount; supports and ping() say what browsers cannot do', async () => {
    const c = client(url());
    await once(c, 'open');
    equal(c.extensions, '', 'the test server accepts no extension');
    deepEqual({ ...c.supports }, { ping: false, pause: false });
    const error = await c.ping().then(() => undefined, (e: { code: string }) => e);
    equal(error?.code, 'WS_ERR_UNSUPPORTED');
    equal(c.bufferedAmount, 0);
  });

  it('a default codec needs no subprotocol; a Blob sent before a string arrives first', async () => {
    const c = client<any>(url(), { codec: json });
    const m = once(c, 'message');
    await c.send({ n: 1 });
    deepEqual(await m, { n: 1 });
    const raw = client<string | Uint8Array>(url());
    const got: (string | Uint8Array)[] = [];
    const two = new Promise<void>((resolve) => raw.on('message', (d) => got.push(d) === 2 && resolve()));
    const order: string[] = [];
    await Promise.all([raw.send(new Blob(['blob'])).then(() => order.push('blob')), raw.send('text').then(() => order.push('text'))]);
    await two;
    deepEqual(order, ['blob', 'text']);
    equal(new TextDecoder().decode(got[0] as Uint8Array), 'blob');
    equal(got[1], 'text');
  });

  it('a failed attempt fires an error event (WS_ERR_CONNECT_FAILED) before the retry', async () => {
    await ctl('refuse?status=503&seconds=5');
    const c = client(`${url()}?token=secret`, { minDelay: 20, maxDelay: 20 });
    const error = await once<{ code: string; message: string }>(c, 'error');
    equal(error.code, 'WS_ERR_CONNECT_FAILED');
    ok(error.message.includes('failed before opening'), error.message);
    ok(!error.message.includes('secret'), `no query string (it may carry a token): ${error.message}`);
    c.close();
  });

  it("a relative URL is resolved against the document's base URL (an http: one becomes ws:), as new WebSocket() does", async () => {
    const baseElement = Object.assign(document.createElement('base'), { href: `http://127.0.0.1:${port}/some/page/` });
    document.head.append(baseElement);
    try {
      const c = client('../../echo');
      await once(c, 'open');
      const echoed = once<string>(c, 'message');
      void c.send('relative');
      equal(await echoed, 'relative');
      c.close();
    } finally {
      baseElement.remove();
    }
  });

  it('echoes JSON through the negotiated subprotocol; binary arrives as Uint8Array', async () => {
    const c = client<any>(url(), { protocols: ['json'], codecs: { json } });
    const m = once(c, 'message');
    await c.send({ a: [1, 2] });
    deepEqual(await m, { a: [1, 2] });
    equal(c.protocol, 'json');
    const raw = client(url());
    const b = once<Uint8Array>(raw, 'message');
    await raw.send(new Uint8Array([1, 2, 255]));
    const got = await b;
    ok(got instanceof Uint8Array);
    deepEqual([...got], [1, 2, 255]);
  });

  it('server drop → reconnects', async () => {
    const c = client(url(), { minDelay: 20, maxDelay: 50 });
    await once(c, 'open');
    const closed = once<{ code: number; willReconnect: boolean }>(c, 'close');
    const reopened = once(c, 'open');
    await ctl('drop');
    const close = await closed;
    equal(close.code, 1006);
    equal(close.willReconnect, true);
    await reopened;
    equal(c.stats.reconnects, 1);
  });

  it('a server close with 1012 (Service Restart) reaches the app with the code the browser reports, and is retried', async () => {
    const path = '/close?code=1012&reason=restarting';
    const native = await new Promise<{ code: number; reason: string }>((resolve) => {
      const socket = new WebSocket(url(path));
      socket.onclose = (event) => resolve({ code: event.code, reason: event.reason });
    });
    // Chromium and Firefox pass 1012 on; WebKitGTK's network stack (libsoup) fails the connection
    // on close codes 1012-1014 and reports 1006 (README, Browsers). Either way lifeline must
    // report what the browser reported, and retry.
    ok(
      (native.code === 1012 && native.reason === 'restarting') || (native.code === 1006 && native.reason === ''),
      `native close: expected 1012 "restarting" (or 1006 from libsoup), got ${native.code} "${native.reason}"`,
    );
    const c = client(url(path), { minDelay: 20, maxDelay: 50 });
    const close = await once<{ code: number; reason: string; willReconnect: boolean }>(c, 'close');
    deepEqual({ code: close.code, reason: close.reason }, native);
    equal(close.willReconnect, true);
    console.log(`server close 1012 reported by the browser as ${native.code}`);
  });

  it('refused handshakes (status hidden by the browser) are retried until accepted', async () => {
    await ctl('refuse?status=503&seconds=0.6');
    const c = client(url(), { minDelay: 50, maxDelay: 150 });
    let fails = 0;
    c.on('close', () => fails++);
    await once(c, 'open', 10000);
    ok(fails >= 1, `failed attempts before acceptance: ${fails}`);
  });

  it('silent peer: app-level heartbeat unanswered → detected within interval + timeout', async () => {
    const interval = 300;
    const timeout = 300;
    // The test server echoes, so the echo of the heartbeat message is its pong.
    const c = client(url(), { heartbeat: heartbeat({ interval, timeout, message: '__hb', isPong: (d) => d === '__hb' }), minDelay: 20, maxDelay: 50 });
    await once(c, 'open');
    const hb = await once<{ rtt: number }>(c, 'heartbeat');
    ok(hb.rtt >= 0);
    await ctl('silent?on=1');
    const t0 = performance.now();
    const close = await once<{ error: { code: string } }>(c, 'close');
    const detect = performance.now() - t0;
    // The retry comes 20-50 ms after the close, sooner than a control request may take: listen before asking.
    const reopened = once(c, 'open');
    equal(close.error.code, 'WS_ERR_HEARTBEAT_TIMEOUT');
    ok(detect <= interval + timeout + 1500, `detected after ${detect} ms`);
    console.log(`silent peer detected after ${detect.toFixed(0)} ms (app-level heartbeat, interval ${interval} + timeout ${timeout})`);
    await ctl('silent?on=0');
    await reopened;
  });

  it('silent peer: idle timeout (no heartbeat message) drops the connection', async () => {
    const c = client(url(), { heartbeat: heartbeat({ interval: 200, timeout: 200 }), minDelay: 20, maxDelay: 50 });
    await once(c, 'open');
    await ctl('silent?on=1');
    const t0 = performance.now();
    const close = await once<{ error: { code: string } }>(c, 'close');
    equal(close.error.code, 'WS_ERR_HEARTBEAT_TIMEOUT');
    ok(performance.now() - t0 <= 400 + 1500);
  });

  it('server restarts: queued messages arrive once and in order; no duplicate connections after flapping', async () => {
    const c = client(url(), { minDelay: 10, maxDelay: 60 });
    let opens = 0;
    c.on('open', () => opens++);
    await waitFor(() => opens === 1, 8000, 'first open');
    let n = 0;
    const sends: Promise<void>[] = [];
    for (let k = 0; k < 4; k++) {
      const before = opens;
      // The server answers, then restarts (dropping every connection).
      const res = await fetch(`${base}/control/restart?ms=150`, { method: 'POST' });
      equal(res.status, 200);
      await waitFor(() => c.state !== 'open', 8000, 'connection lost');
      for (let j = 0; j < 10; j++) sends.push(c.send(`m${n++}`)); // sent while the server is down: queued
      await waitFor(() => opens > before, 8000, 'reopen');
    }
    await Promise.all(sends);
    await waitFor(async () => (await ctl('stats')).received.length >= n, 8000, 'all received');
    const stats = await ctl('stats');
    deepEqual(stats.received, Array.from({ length: n }, (_, i) => `m${i}`));
    for (let k = 0; k < 15; k++) {
      void ctl('drop');
      if (k % 2) c.reconnect();
      await sleep(5);
    }
    await waitFor(async () => c.state === 'open' && (await ctl('stats')).connections === 1, 8000, 'one connection');
    await sleep(200);
    equal((await ctl('stats')).connections, 1);
  });

  it('close() ends it: no further attempts, page listeners removed', async () => {
    const c = client(url(), { minDelay: 10 });
    await once(c, 'open');
    const before = (await ctl('stats')).total;
    c.close(4000, 'bye');
    await once(c, 'end');
    await sleep(150);
    equal((await ctl('stats')).total, before);
    window.dispatchEvent(new Event('online')); // would wake a waiting client
    await sleep(50);
    equal(c.state, 'closed');
  });
});
