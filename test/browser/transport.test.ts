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
    const r = recorder();
    const t = browserTransport(`ws://127.0.0.1:${port}/echo`, { protocols: [] }, r.handlers);
    await r.open;
    for (const { data } of SIZED_MESSAGES) t.send(data);
    for (let i = 0; r.messages.length < SIZED_MESSAGES.length && i < 800; i++) await sleep(10);
    deepEqual(
      r.messages.map((data) => (typeof data === 'string' ? data.length : data.byteLength)),
      SIZED_MESSAGES.map(({ data }) => (typeof data === 'string' ? data.length : data.byteLength)),
      'every message echoed, in order',
    );
    deepEqual(r.sizes, SIZED_MESSAGES.map(({ bytes }) => bytes));
    t.close(1000, '');
    await r.close;
  });

  it('takes the encoder route in Gecko only, told by the user agent', () => {
    // Real user agents: Firefox (desktop, Android), Chrome, Edge, Safari, WebKitGTK's MiniBrowser, Node.
    ok(encoderScansFaster('Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0'));
    ok(encoderScansFaster('Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0'));
    ok(!encoderScansFaster('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36'));
    ok(!encoderScansFaster('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0'));
    ok(!encoderScansFaster('Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15'));
    ok(!encoderScansFaster('Mozilla/5.0 (X11; Ubuntu; Linux x86_64) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15'));
    ok(!encoderScansFaster('Node.js/22'));
    // And this engine: Gecko alone has window.mozInnerScreenX, a signal independent of the user agent.
    equal(encoderScansFaster(navigator.userAgent), 'mozInnerScreenX' in window, navigator.userAgent);
  });
});
