/**
 * The browser transport (src/transport/browser.ts) on its own, over the
 * native WebSocket of each engine, against the loopback test server: how
 * native events map onto the seam (open with protocol and extensions,
 * messages as string or Uint8Array, exactly one close, nothing after it),
 * what it refuses (sending when not open), a failed attempt reported
 * with WS_ERR_CONNECT_FAILED because browsers say nothing more, and the
 * UTF-8 size it counts for each received text (the route it takes depends
 * on the engine: Firefox counts long text with its encoder).
 */
import { describe, it, before, after, equal, ok, deepEqual, sleep } from '../support/harness.js';
import { browserTransport, encoderScansFaster } from '../../src/transport/browser.js';
import { SIZED_MESSAGES } from '../support/sized-messages.js';
import type { CloseInfo, IncomingData, TransportHandlers } from '../../src/transport/types.js';

let port = 0;
const control = (path: string) => fetch(`http://127.0.0.1:${port}/control/${path}`, { cache: 'no-store' });

/** Records what the transport reports. */
function recorder() {
  const log: string[] = [];
  const messages: IncomingData[] = [];
  /** The payload size reported with each message. */
  const sizes: number[] = [];
  let closes: CloseInfo[] = [];
  let opened!: () => void;
  let closed!: (info: CloseInfo) => void;
  const open = new Promise<void>((r) => (opened = r));
  const close = new Promise<CloseInfo>((r) => (closed = r));
  const handlers: TransportHandlers = {
    open: (info) => {
      log.push(`open ${info.protocol}`);
      opened();
    },
    message: (data, bytes) => {
      messages.push(data);
      sizes.push(bytes);
    },
    close: (info) => {
      closes = [...closes, info];
      log.push(`close ${info.code}`);
      closed(info);
    },
  };
  return { log, messages, sizes, handlers, open, close, closes: () => closes };
}

describe('browser transport (native WebSocket)', () => {
  before(async () => {
    port = (await (await fetch('/__lifeline/config.json')).json()).wsPort;
    await control('reset');
  });
  after(async () => {
    await control('reset');
  });

  it('opens with the selected subprotocol, echoes text and binary, closes once with the server code', async () => {
    const r = recorder();
    const t = browserTransport(`ws://127.0.0.1:${port}/echo`, { protocols: ['json', 'x'] }, r.handlers);
    let refused: { code?: string } | undefined;
    try {
      t.send('too early');
    } catch (e) {
      refused = e as { code?: string };
    }
    equal(refused?.code, 'WS_ERR_INVALID_STATE', 'sending before open is refused, not swallowed');
    await r.open;
    t.send('hi');
    t.send(new Uint8Array([1, 2, 3]));
    t.send('é😀');
    for (let i = 0; r.messages.length < 3 && i < 400; i++) await sleep(10);
    equal(r.messages[0], 'hi');
    ok(r.messages[1] instanceof Uint8Array);
    deepEqual([...(r.messages[1] as Uint8Array)], [1, 2, 3]);
    equal(r.messages[2], 'é😀');
    deepEqual(r.sizes, [2, 3, 6], 'each message with its UTF-8 payload size (the browser does not report it: counted here)');
    t.close(4001, 'bye');
    const info = await r.close;
    deepEqual([info.code, info.reason, info.wasClean], [4001, 'bye', true]);
    equal(info.error, undefined, 'an opened connection that closes carries no error');
    deepEqual(r.log, ['open json', 'close 4001']);
  });

  it('terminate() reports 1006 at once and nothing after it', async () => {
    const r = recorder();
    const t = browserTransport(`ws://127.0.0.1:${port}/echo`, { protocols: [] }, r.handlers);
    await r.open;
    t.terminate();
    deepEqual(r.closes().map((c) => [c.code, c.wasClean]), [[1006, false]]);
    await sleep(200); // the native close event comes later and must not be reported
    equal(r.closes().length, 1);
  });

  it('a refused attempt closes once, with WS_ERR_CONNECT_FAILED as the error', async () => {
    await control('refuse?status=503&seconds=3');
    try {
      const r = recorder();
      browserTransport(`ws://127.0.0.1:${port}/echo`, { protocols: [] }, r.handlers);
      const info = await r.close;
      equal(info.code, 1006);
      equal((info.error as { code?: string } | undefined)?.code, 'WS_ERR_CONNECT_FAILED');
      deepEqual(r.log, ['close 1006']);
    } finally {
      await control('reset');
    }
  });

  it('counts the UTF-8 bytes of every received text, short and long, ASCII or not, on either route', async () => {
    const recorded = recorder();
    const transport = browserTransport(`ws://127.0.0.1:${port}/echo`, { protocols: [] }, recorded.handlers);
    await recorded.open;
    for (const { data } of SIZED_MESSAGES) transport.send(data);
    for (let waited = 0; recorded.messages.length < SIZED_MESSAGES.length && waited < 800; waited++) await sleep(10);
    deepEqual(
      recorded.messages.map((data) => (typeof data === 'string' ? data.length : data.byteLength)),
      SIZED_MESSAGES.map(({ data }) => (typeof data === 'string' ? data.length : data.byteLength)),
      'every message echoed, in order',
    );
    deepEqual(recorded.sizes, SIZED_MESSAGES.map(({ bytes }) => bytes));
    transport.close(1000, '');
    await recorded.close;
  });

  it('long ASCII text is counted by the encoder in Gecko, by the regular expression elsewhere; short text by the expression everywhere', async () => {
    // Gecko alone has window.mozInnerScreenX, a sign independent of the user agent the transport reads.
    const gecko = 'mozInnerScreenX' in window;
    const encodeInto = TextEncoder.prototype.encodeInto;
    let encoded = 0;
    TextEncoder.prototype.encodeInto = function (this: TextEncoder, ...args: Parameters<TextEncoder['encodeInto']>) {
      encoded++;
      return encodeInto.apply(this, args);
    };
    try {
      const recorded = recorder();
      const transport = browserTransport(`ws://127.0.0.1:${port}/echo`, { protocols: [] }, recorded.handlers);
      await recorded.open;
      transport.send('x'.repeat(1023));
      for (let waited = 0; recorded.messages.length < 1 && waited < 400; waited++) await sleep(10);
      equal(encoded, 0, 'below 1 KiB: no encoder');
      transport.send('x'.repeat(70_000));
      for (let waited = 0; recorded.messages.length < 2 && waited < 400; waited++) await sleep(10);
      // 70,000 bytes go through the 48 KiB scratch buffer in two turns.
      equal(encoded, gecko ? 2 : 0, navigator.userAgent);
      deepEqual(recorded.sizes, [1023, 70_000]);
      transport.close(1000, '');
      await recorded.close;
    } finally {
      TextEncoder.prototype.encodeInto = encodeInto;
    }
  });

  it('takes the encoder route in Gecko only, told by the user agent', () => {
    // Real user agents: Firefox (desktop, Android), Chrome, Edge, Safari, Firefox for iOS (WebKit), WebKitGTK's MiniBrowser, Node.
    ok(encoderScansFaster('Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0'));
    ok(encoderScansFaster('Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0'));
    ok(!encoderScansFaster('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36'));
    ok(!encoderScansFaster('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0'));
    ok(!encoderScansFaster('Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15'));
    ok(!encoderScansFaster('Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/127.0 Mobile/15E148 Safari/605.1.15'));
    ok(!encoderScansFaster('Mozilla/5.0 (X11; Ubuntu; Linux x86_64) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15'));
    ok(!encoderScansFaster('Node.js/22'));
    equal(encoderScansFaster(navigator.userAgent), 'mozInnerScreenX' in window, navigator.userAgent);
  });
});
