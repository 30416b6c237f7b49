/**
 * Flow control both ways, and resource hygiene. Send side: a server that
 * stops reading makes `bufferedAmount` grow by exactly what was queued
 * (frame headers included), memory stays bounded by that, and everything is
 * delivered with a `drain` event once the server reads again. Receive side:
 * pause() stops reading the socket, resume() delivers. Leaks: 1,000
 * connect/close cycles leave no handles, timers or listeners behind.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { WebSocket } from '../../src/transport/node/websocket.js';
import { startRawServer, frame, decodeFrames, type RawConnection, type RawServer } from '../support/raw-server.js';
import { startTestServer } from '../support/test-server.js';
import { next } from '../support/node-ws.js';

const servers: RawServer[] = [];
after(async () => {
  for (const s of servers) await s.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('send backpressure', () => {
  it('bufferedAmount grows while the server does not read, then drains in order', async () => {
    let conn: RawConnection | undefined;
    const s = await startRawServer((c) => {
      conn = c;
      c.socket.write(c.accept());
      c.socket.pause(); // stop reading: the kernel buffers fill, then ours
    });
    servers.push(s);
    const ws = new WebSocket(s.url('/'), [], { perMessageDeflate: false });
    await next(ws, 'open');
    const size = 256 * 1024;
    const count = 64; // 16 MiB
    const wire = size + 14; // 127-length form: 2 + 8 + 4 mask bytes of header
    const payload = Buffer.alloc(size, 0x61);
    const mem0 = process.memoryUsage().arrayBuffers;
    for (let i = 0; i < count; i++) {
      payload[0] = i; // the frame is copied when sent; reusing the caller's buffer is safe
      ws.send(payload);
    }
    const queued = ws.bufferedAmount;
    assert.ok(queued <= count * wire, `never more than what was sent (${queued})`);
    // Loopback kernel buffers hold a few MiB at most; the rest must be ours.
    assert.ok(queued >= count * wire - 8 * 1024 * 1024, `most bytes are queued (${queued})`);
    await sleep(50);
    assert.ok(ws.bufferedAmount >= queued - 8 * 1024 * 1024, 'still queued while the server does not read');
    const grown = process.memoryUsage().arrayBuffers - mem0;
    assert.ok(grown < queued * 1.5 + 4 * 1024 * 1024, `memory bounded by what was queued (${grown} for ${queued})`);

    const drained = next(ws, 'drain', 10000);
    conn!.socket.resume();
    await drained;
    assert.equal(ws.bufferedAmount, 0);
    const bytes = await conn!.waitBytes(count * wire);
    const frames = decodeFrames(bytes);
    assert.equal(frames.length, count);
    frames.forEach((f, i) => {
      assert.equal(f.opcode, 0x2);
      assert.equal(f.payload.length, size);
      assert.equal(f.payload[0], i, 'in order');
    });
    ws.terminate();
  });
});

describe('receive backpressure', () => {
  it('pause() stops reading the socket; resume() delivers what waited', async () => {
    let conn: RawConnection | undefined;
    const s = await startRawServer((c) => {
      conn = c;
      c.socket.write(c.accept());
    });
    servers.push(s);
    const ws = new WebSocket(s.url('/'), [], { perMessageDeflate: false });
    ws.pause(); // before open: applied as soon as the socket is ours
    await next(ws, 'open');
    let got = 0;
    ws.onmessage = () => got++;
    for (let i = 0; i < 10; i++) conn!.socket.write(frame(0x1, `m${i}`));
    await sleep(80);
    assert.equal(got, 0, 'nothing read while paused');
    ws.resume();
    await sleep(80);
    assert.equal(got, 10);
    ws.terminate();
  });
});

describe('no leaks', () => {
  it('1,000 connect/close cycles leave no sockets, timers or listeners', async () => {
    const server = await startTestServer();
    const ac = new AbortController();
    const count = () => {
      const r = process.getActiveResourcesInfo();
      return { tcp: r.filter((x) => x.startsWith('TCP')).length, timers: r.filter((x) => x === 'Timeout').length };
    };
    // Warm up once so lazily created handles exist on both sides of the measurement.
    const warm = new WebSocket(server.url('/echo'), [], { signal: ac.signal });
    await next(warm, 'open');
    warm.close();
    await next(warm, 'close');
    await sleep(20);
    const before = count();
    for (let i = 0; i < 1000; i++) {
      const ws = new WebSocket(server.url('/echo'), [], { signal: ac.signal, perMessageDeflate: i % 2 === 0 });
      await next(ws, 'open');
      if (i % 3 === 0) ws.terminate();
      else ws.close(1000);
      await next(ws, 'close');
    }
    await sleep(100);
    const afterCount = count();
    assert.ok(afterCount.tcp <= before.tcp, `TCP handles: before ${before.tcp}, after ${afterCount.tcp}`);
    assert.ok(afterCount.timers <= before.timers, `timers: before ${before.timers}, after ${afterCount.timers}`);
    assert.equal(getEventListeners(ac.signal, 'abort').length, 0, 'abort listeners removed');
    assert.equal(server.connections, 0, 'server saw every connection close');
    await server.close();
  });
});
