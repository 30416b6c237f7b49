/**
 * Binary messages whose frames span socket reads are handed out without a
 * second copy (the core assembles them in a fresh buffer it gives away):
 * every message kept by the user must stay intact after later messages,
 * whichever binaryType, and through the client transport. Raw loopback
 * server writing each frame in small pieces so every frame spans reads.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from '../../src/transport/node/websocket.js';
import { nodeTransport } from '../../src/transport/node/index.js';
import { startRawServer, frame, type RawServer } from '../support/raw-server.js';

const servers: RawServer[] = [];
after(async () => {
  for (const s of servers) await s.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function payload(n: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 13 + seed) & 255;
  return b;
}
const PAYLOADS = [payload(70_000, 1), payload(65_536, 2), payload(3000, 3), payload(70_000, 4)];

/** Writes every frame in 1000-byte pieces with a pause between, so each frame spans several reads. */
async function serveSplit(): Promise<RawServer> {
  const s = await startRawServer(async (c) => {
    c.socket.write(c.accept());
    const stream = Buffer.concat(PAYLOADS.map((p) => frame(0x2, p)));
    for (let i = 0; i < stream.length; i += 1000) {
      c.socket.write(stream.subarray(i, i + 1000));
      if (i % 16000 === 0) await sleep(1);
    }
  });
  servers.push(s);
  return s;
}

describe('binary messages spanning reads: owned, intact after later messages', () => {
  for (const binaryType of ['nodebuffer', 'arraybuffer'] as const) {
    it(`WebSocket, binaryType ${binaryType}`, async () => {
      const s = await serveSplit();
      const ws = new WebSocket(s.url('/'), [], { perMessageDeflate: false });
      ws.binaryType = binaryType;
      const got: unknown[] = [];
      await new Promise<void>((resolve) => {
        ws.onmessage = (e) => {
          got.push(e.data);
          if (got.length === PAYLOADS.length) resolve();
        };
      });
      ws.terminate();
      for (let i = 0; i < PAYLOADS.length; i++) {
        const d = got[i];
        if (binaryType === 'nodebuffer') assert.ok(Buffer.isBuffer(d), `message ${i} is a Buffer`);
        else assert.ok(d instanceof ArrayBuffer, `message ${i} is an ArrayBuffer`);
        assert.ok((d instanceof ArrayBuffer ? Buffer.from(d) : (d as Buffer)).equals(PAYLOADS[i]!), `message ${i} intact`);
      }
      // Large messages are not views into one shared buffer.
      const mem = (d: unknown) => (d instanceof ArrayBuffer ? d : (d as Buffer).buffer);
      assert.notEqual(mem(got[0]), mem(got[1]));
    });
  }

  it('client transport: messages kept by the handler stay intact', async () => {
    const s = await serveSplit();
    const got: unknown[] = [];
    let done!: () => void;
    const all = new Promise<void>((r) => (done = r));
    const t = nodeTransport(s.url('/'), { protocols: [] }, {
      open: () => {},
      message: (data) => {
        got.push(data);
        if (got.length === PAYLOADS.length) done();
      },
      close: () => {},
    });
    await all;
    t.close(1000, '');
    for (let i = 0; i < PAYLOADS.length; i++) {
      assert.ok(Buffer.isBuffer(got[i]), `message ${i} is a Buffer`);
      assert.ok((got[i] as Buffer).equals(PAYLOADS[i]!), `message ${i} intact`);
    }
  });
});
