/**
 * The browser transport (src/transport/browser.ts) on its own, over the
 * native WebSocket of each engine, against the loopback test server: how
 * native events map onto the seam (open with protocol and extensions,
 * messages as string or Uint8Array, exactly one close, nothing after it),
 * what it refuses (sending when not open), a failed attempt reported
 * with WS_ERR_CONNECT_FAILED because browsers say nothing more, and the
 * size it gives each message (bytes for binary; for text, which the browser
 * does not measure, its length).
 */
import { describe, it, before, after, equal, ok, deepEqual, sleep } from '../support/harness.js';
import { browserTransport } from '../../src/transport/browser.js';
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
    deepEqual(r.sizes, [2, 3, 3], 'each message with its size: bytes for binary, the length for text (the browser does not report a frame\'s size)');
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

  it('reports each text by its length (UTF-16 units) and each binary message by its bytes, short and long, ASCII or not', async () => {
    const recorded = recorder();
    const transport = browserTransport(`ws://127.0.0.1:${port}/echo`, { protocols: [] }, recorded.handlers);
    await recorded.open;
    for (const { data } of SIZED_MESSAGES) transport.send(data);
    for (let waited = 0; recorded.messages.length < SIZED_MESSAGES.length && waited < 800; waited++) await sleep(10);
    const lengths = SIZED_MESSAGES.map(({ data }) => (typeof data === 'string' ? data.length : data.byteLength));
    deepEqual(
      recorded.messages.map((data) => (typeof data === 'string' ? data.length : data.byteLength)),
      lengths,
      'every message echoed, in order',
    );
    deepEqual(recorded.sizes, lengths);
    transport.close(1000, '');
    await recorded.close;
  });
});
