/**
 * A misbehaving peer after the handshake (issue #15 items 5 and 8): pings
 * it never answers do not pile up, pongs owed to its ping flood do not pile
 * up while it stops reading (RFC 6455 §5.5.3: answering the latest ping is
 * enough), and an unexpected exception in the receive path becomes a 1011
 * close with WS_ERR_INTERNAL instead of escaping into the socket callback.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from '../../src/transport/node/websocket.js';
import { MAX_PENDING_PINGS } from '../../src/transport/node/connection.js';
import { SocketReader } from '../../src/transport/node/reader.js';
import type { TraceRecord } from '../../src/transport/node/options.js';
import { startConnectProxy, type ConnectProxy } from '../support/connect-proxy.js';
import { decodeFrames, frame, serveRaw } from '../support/raw-server.js';
import { next } from '../support/node-ws.js';

const serve = serveRaw();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('pings the peer never answers', () => {
  it(`are bounded: past ${MAX_PENDING_PINGS} waiting, the oldest is given up with WS_ERR_PING_UNANSWERED`, async () => {
    const s = await serve((c) => c.socket.write(c.accept())); // never answers a ping
    const ws = new WebSocket(s.url('/'), [], { perMessageDeflate: false });
    await next(ws, 'open');
    const settled: (string | number)[] = [];
    const total = MAX_PENDING_PINGS + 40;
    const pings = Array.from({ length: total }, (_, i) =>
      ws.ping(new Uint8Array([i])).then(
        (rtt) => (settled[i] = rtt),
        (error: Error & { code?: string }) => (settled[i] = error.code ?? String(error)),
      ),
    );
    await sleep(20);
    assert.deepEqual(settled.slice(0, 40), Array(40).fill('WS_ERR_PING_UNANSWERED'));
    assert.equal(settled.filter((x) => x !== undefined).length, 40, `${MAX_PENDING_PINGS} still wait`);
    // A pong for a later ping answers every ping before it too (§5.5.3: the peer may answer only the latest).
    s.connections[0]!.socket.write(frame(0xa, new Uint8Array([total - 5])));
    await sleep(50);
    for (let i = 40; i <= total - 5; i++) assert.equal(typeof settled[i], 'number', `ping ${i} answered`);
    for (let i = total - 4; i < total; i++) assert.equal(settled[i], undefined, `ping ${i} still waits`);
    ws.terminate();
    await Promise.all(pings);
    assert.ok(settled.slice(total - 4).every((x) => x === 'WS_ERR_INVALID_STATE'), 'rejected at close');
  });
});

describe('pongs owed to a ping flood while the peer does not read', () => {
  it('keep one pong waiting (the latest ping answered), so bufferedAmount stays bounded', async () => {
    const PINGS = 100_000;
    let flooded!: () => void;
    const done = new Promise<void>((resolve) => (flooded = resolve));
    const s = await serve((c) => {
      c.socket.write(c.accept());
      c.socket.pause(); // stops reading: the client's pongs back up
      const batch: Buffer[] = [];
      for (let i = 0; i < PINGS; i++) {
        const payload = Buffer.alloc(125);
        payload.writeUInt32BE(i, 0);
        batch.push(frame(0x9, payload));
      }
      c.socket.write(Buffer.concat(batch), () => flooded());
    });
    const ws = new WebSocket(s.url('/'), [], { perMessageDeflate: false });
    let pingsSeen = 0;
    ws.addEventListener('ping', () => pingsSeen++);
    await next(ws, 'open');
    await done;
    const t0 = Date.now();
    while (pingsSeen < PINGS && Date.now() - t0 < 10_000) await sleep(10);
    assert.equal(pingsSeen, PINGS);
    const buffered = ws.bufferedAmount;
    assert.ok(buffered < 256 * 1024, `${buffered} bytes of pongs wait in the client (${PINGS} pings of 125 bytes)`);
    // Reading again, the peer gets its pongs; the last one answers the last ping.
    const conn = s.connections[0]!;
    conn.socket.resume();
    let size = -1;
    const t1 = Date.now();
    while (Date.now() - t1 < 10_000) {
      await sleep(50);
      const now = conn.received().length;
      if (now === size && ws.bufferedAmount === 0) break;
      size = now;
    }
    // Every pong is 131 bytes (2 header, 4 mask key, 125 payload): the last one is the tail.
    const pongs = decodeFrames(conn.received().subarray(-131));
    assert.deepEqual(pongs.map((f) => [f.opcode, f.payload.readUInt32BE(0)]), [[0xa, PINGS - 1]]);
    assert.ok(size < PINGS * 131, `${size / 131} pongs sent for ${PINGS} pings`);
    ws.terminate();
  });
});

describe('an unexpected exception in the receive path', () => {
  // What would escape into the socket callback: the reader's report (direct sockets) and uncaught exceptions ('data' events).
  const escaped: unknown[] = [];
  const report = SocketReader.report;
  const onUncaught = (error: unknown) => escaped.push(error);
  let proxy: ConnectProxy;
  before(async () => {
    SocketReader.report = (error) => escaped.push(error);
    process.on('uncaughtException', onUncaught);
    proxy = await startConnectProxy();
  });
  after(async () => {
    SocketReader.report = report;
    process.off('uncaughtException', onUncaught);
    await proxy.close();
  });

  /** A trace hook that throws at the second incoming text frame: the stand-in for a fault inside the core. */
  const faulty = () => {
    let texts = 0;
    return (record: TraceRecord) => {
      if ('opcode' in record && record.direction === 'in' && record.opcode === 1 && ++texts === 2) throw new TypeError('boom');
    };
  };

  for (const [route, withHead] of [
    ['a direct socket (reader)', false],
    ['the bytes that came with the 101', true],
    ['a tunnelled socket (data events)', false],
  ] as const) {
    it(`on ${route}: sends close 1011, error WS_ERR_INTERNAL (cause kept), close event 1006, nothing escapes`, async () => {
      escaped.length = 0;
      const frames = Buffer.concat([frame(0x1, 'one'), frame(0x1, 'two'), frame(0x1, 'three')]);
      const s = await serve((c) => {
        if (withHead) c.socket.write(Buffer.concat([c.accept(), frames]));
        else {
          c.socket.write(c.accept());
          setTimeout(() => c.socket.write(frames), 20);
        }
      });
      const tunnelled = route.includes('tunnelled');
      const ws = new WebSocket(s.url('/'), [], { perMessageDeflate: false, trace: faulty(), proxy: tunnelled ? proxy.url : false });
      const got: unknown[] = [];
      ws.onmessage = (e) => got.push(e.data);
      const error = next(ws, 'error');
      const close = await next(ws, 'close', 15_000);
      const e = (await error).error as Error & { code?: string; closeCode?: number; cause?: unknown };
      assert.equal(e.code, 'WS_ERR_INTERNAL');
      assert.equal(e.closeCode, 1011);
      assert.match(String(e.cause), /TypeError: boom/);
      // The close event says 1006: no close frame was read after ours (RFC 6455 §7.1.5, §7.1.7).
      assert.deepEqual([close.code, close.wasClean], [1006, false]);
      assert.deepEqual(got, ['one'], 'nothing after the fault is delivered');
      const sent = decodeFrames(s.connections[0]!.received());
      assert.deepEqual(sent.map((f) => [f.opcode, f.payload.readUInt16BE(0)]), [[0x8, 1011]], 'our close frame says 1011');
      await sleep(20);
      assert.deepEqual(escaped, []);
    });
  }
});
