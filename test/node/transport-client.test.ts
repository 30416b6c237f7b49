/**
 * The client seam (`nodeTransport`, src/transport/types.ts) over real
 * sockets: handlers in order, text as string and binary as Buffer, pings
 * with RTT, control frames reported, exactly one close, refused handshakes mapped to
 * CloseInfo with status and Retry-After.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { nodeTransport, createNodeTransport, closeInfo } from '../../src/transport/node/index.js';
import type { CloseInfo, Transport, TransportHandlers } from '../../src/transport/types.js';
import { HandshakeError } from '../../src/protocol/errors.js';
import { startTestServer, type TestServer } from '../support/test-server.js';
import { startRawServer } from '../support/raw-server.js';

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(async () => {
  await server.close();
});

interface Recorder {
  events: string[];
  messages: unknown[];
  /** The payload size reported with each message. */
  sizes: number[];
  opened: Promise<{ protocol: string; extensions: string }>;
  closed: Promise<CloseInfo>;
  controls: string[];
  handlers: TransportHandlers;
}

function recorder(): Recorder {
  const r = { events: [] as string[], messages: [] as unknown[], sizes: [] as number[], controls: [] as string[] } as Recorder;
  let opened!: (v: { protocol: string; extensions: string }) => void;
  let closed!: (v: CloseInfo) => void;
  r.opened = new Promise((res) => (opened = res));
  r.closed = new Promise((res) => (closed = res));
  r.handlers = {
    open: (info) => {
      r.events.push('open');
      opened(info);
    },
    message: (data, bytes) => {
      r.events.push('message');
      r.messages.push(data);
      r.sizes.push(bytes);
    },
    close: (info) => {
      r.events.push('close');
      closed(info);
    },
    control: (kind) => void r.controls.push(kind),
  };
  return r;
}

async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('condition not met');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('nodeTransport', () => {
  it('opens, echoes text and binary, pings with RTT, and closes once', async () => {
    const r = recorder();
    const t: Transport = nodeTransport(server.url('/echo'), { protocols: ['json'], headers: { 'X-A': '1' } }, r.handlers);
    assert.equal(typeof t.ping, 'function', 'Node transports can ping');
    assert.equal(typeof t.pause, 'function', 'and pause reading');
    const info = await r.opened;
    assert.equal(info.protocol, 'json');
    t.send('hi');
    t.send(new Uint8Array([1, 2, 3]));
    t.send(new Uint16Array([0x0201]));
    t.send('é😀');
    await waitFor(() => r.messages.length === 4);
    assert.equal(r.messages[0], 'hi');
    assert.ok(Buffer.isBuffer(r.messages[1]));
    assert.deepEqual([...(r.messages[1] as Buffer)], [1, 2, 3]);
    assert.deepEqual([...(r.messages[2] as Buffer)], [1, 2]);
    assert.equal(r.messages[3], 'é😀');
    assert.deepEqual(r.sizes, [2, 3, 2, 6], 'each message with its payload size from the frame (UTF-8 for text)');
    const rtt = await t.ping!();
    assert.ok(rtt >= 0);
    assert.deepEqual(r.controls, ['pong'], 'the pong is reported');
    assert.equal(t.bufferedAmount, 0);
    t.close(1000, 'done');
    assert.throws(() => t.send('late'), (e: Error & { code?: string }) => e.code === 'WS_ERR_INVALID_STATE', 'refuses once closing so the client keeps it');
    const c = await r.closed;
    assert.deepEqual([c.code, c.reason, c.wasClean], [1000, 'done', true]);
    t.close(); // after close: no second report
    t.terminate();
    await new Promise((res) => setTimeout(res, 20));
    assert.deepEqual(r.events.filter((e) => e === 'close'), ['close']);
  });

  it('maps a refused handshake to CloseInfo with status and retryAfterMs', async () => {
    server.refuse(429, 60_000, { 'Retry-After': '12' });
    try {
      const r = recorder();
      nodeTransport(server.url('/echo'), { protocols: [] }, r.handlers);
      const c = await r.closed;
      assert.equal(c.code, 1006);
      assert.equal(c.wasClean, false);
      assert.equal(c.status, 429);
      assert.equal(c.retryAfterMs, 12_000);
      assert.ok(c.error instanceof HandshakeError);
      assert.deepEqual(r.events, ['close']);
    } finally {
      server.reset();
    }
  });

  it('reports a network failure as 1006 with the error and no status', async () => {
    const s = await startRawServer((c) => c.socket.destroy());
    const r = recorder();
    nodeTransport(s.url('/'), { protocols: [] }, r.handlers);
    const c = await r.closed;
    assert.equal(c.code, 1006);
    assert.equal(c.status, undefined);
    assert.equal((c.error as Error & { code?: string }).code, 'WS_ERR_HANDSHAKE_EOF');
    await s.close();
  });

  it('terminate() reports 1006 once; createNodeTransport applies defaults and merges headers', async () => {
    let seen: Record<string, string> = {};
    const s = await startRawServer((c) => {
      seen = c.headers;
      c.socket.write(c.accept());
    });
    const factory = createNodeTransport({ headers: { 'X-Default': 'd', 'X-Over': 'old' }, perMessageDeflate: false });
    const r = recorder();
    const t = factory(s.url('/'), { protocols: [], headers: { 'X-Over': 'new' } }, r.handlers);
    await r.opened;
    assert.equal(seen['x-default'], 'd');
    assert.equal(seen['x-over'], 'new');
    assert.equal(seen['sec-websocket-extensions'], undefined);
    t.terminate();
    const c = await r.closed;
    assert.deepEqual([c.code, c.wasClean], [1006, false]);
    await s.close();
  });

  it('closeInfo parses Retry-After seconds and HTTP dates', () => {
    const at = new Date(Date.now() + 90_000).toUTCString();
    const err = new HandshakeError('WS_ERR_HANDSHAKE_STATUS', 'x', { status: 503, headers: { 'retry-after': at } });
    const info = closeInfo(1006, '', false, err);
    assert.equal(info.status, 503);
    assert.ok(info.retryAfterMs! > 80_000 && info.retryAfterMs! <= 90_000);
    const bad = closeInfo(1006, '', false, new HandshakeError('WS_ERR_HANDSHAKE_STATUS', 'x', { status: 503, headers: { 'retry-after': 'soon' } }));
    assert.equal(bad.retryAfterMs, undefined);
  });
});
