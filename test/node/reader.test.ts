/**
 * The socket reader (src/transport/node/reader.ts): where each read lands and
 * what the connection is handed. First the policy, driven through the
 * reader's own `onread` functions with real bytes; then real loopback
 * sockets, where every binary message a user keeps must stay intact while
 * later reads land (the shared region is reused by every quiet socket, and
 * private slabs must never be written twice).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as tls from 'node:tls';
import v8 from 'node:v8';
import vm from 'node:vm';
import { SocketReader, SHARED_READ, SLAB, type ReadTarget } from '../../src/transport/node/reader.js';
import { WebSocket } from '../../src/transport/node/websocket.js';
import { serveRaw, frame, response101 } from '../support/raw-server.js';
import { makeCerts, type TestCerts } from '../support/certs.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const serve = serveRaw();
// A slab read into again is first filled with 0xee: a view kept by mistake shows as corrupt data.
SocketReader.poison = true;

/** A target that records reads; `holds` says which memory it still keeps (releases() answers from it). */
function collector(): ReadTarget & { chunks: Uint8Array[]; holds: Set<ArrayBufferLike>; asked: ArrayBufferLike[] } {
  const chunks: Uint8Array[] = [];
  const holds = new Set<ArrayBufferLike>();
  const asked: ArrayBufferLike[] = [];
  return {
    chunks,
    holds,
    asked,
    readChunk: (c) => void chunks.push(c),
    releases: (m) => {
      asked.push(m);
      return !holds.has(m);
    },
  };
}

/** Simulates the kernel: writes `bytes` at the start of the region and calls the callback, as Node does. */
function land(r: SocketReader, bytes: Uint8Array): Uint8Array {
  const region = r.next();
  assert.ok(bytes.length <= region.length, 'a read never exceeds its region');
  region.set(bytes);
  r.read(bytes.length, region);
  return region;
}

const fill = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + seed) & 255);

describe('SocketReader: where reads land', () => {
  it('a quiet socket reads into the one shared region; what lands there is copied out', () => {
    const a = new SocketReader();
    const b = new SocketReader();
    const ta = collector();
    const tb = collector();
    a.target = ta;
    b.target = tb;
    assert.equal(a.next(), b.next(), 'quiet readers share one region');
    assert.equal(a.next().length, SHARED_READ);
    const region = land(a, fill(300, 1));
    land(b, fill(500, 2)); // overwrites the shared region
    assert.notEqual(ta.chunks[0]!.buffer, region.buffer, 'the chunk is a copy, not the shared memory');
    assert.deepEqual(ta.chunks[0], fill(300, 1), "a's bytes survive b's read into the same region");
    assert.deepEqual(tb.chunks[0], fill(500, 2));
    assert.equal(a.next(), region, 'after a short read the socket waits in the shared region again');
  });

  it('a read that fills its region moves to a private slab; a short read goes back to the shared region', () => {
    const r = new SocketReader();
    const t = collector();
    r.target = t;
    const shared = r.next();
    land(r, fill(SHARED_READ, 1));
    const a = r.next();
    assert.notEqual(a.buffer, shared.buffer);
    assert.equal(a.length, SLAB);
    land(r, fill(SLAB, 2));
    assert.equal(t.chunks[1]!.buffer, a.buffer, 'a private read is handed over as a view of its slab (no copy)');
    land(r, fill(1000, 3));
    assert.equal(r.next(), shared, 'drained: back to the shared region');
  });

  it('a busy socket alternates two slabs once the target releases the older one', () => {
    const r = new SocketReader();
    const t = collector();
    r.target = t;
    land(r, fill(SHARED_READ, 0));
    const a = land(r, fill(SLAB, 1));
    const b = land(r, fill(SLAB, 2));
    assert.notEqual(b.buffer, a.buffer);
    assert.deepEqual(t.asked, [a.buffer], 'after the read into b the target is asked about a');
    assert.equal(r.next(), a, 'a is read into again');
    assert.ok(r.next().every((x) => x === 0xee), 'poisoned before reuse (tests)');
    land(r, fill(SLAB, 3));
    assert.equal(r.next(), b);
    assert.deepEqual(t.chunks[3], fill(SLAB, 3));
  });

  it('a slab the target still holds, or one a view was kept of, is never read into again', () => {
    const r = new SocketReader();
    const t = collector();
    r.target = t;
    land(r, fill(SHARED_READ, 0));
    const a = land(r, fill(SLAB, 1));
    t.holds.add(a.buffer); // e.g. the core still queues a's unparsed tail
    const b = land(r, fill(SLAB, 2));
    const c = r.next();
    assert.notEqual(c, a);
    assert.notEqual(c, b);
    t.holds.clear();
    // A view of c's read goes out for good (a binary message the user keeps).
    const keeper: ReadTarget = { readChunk: () => r.keep(), releases: t.releases! };
    r.target = keeper;
    land(r, fill(SLAB, 3));
    r.target = t;
    assert.equal(r.next(), b, 'b was released');
    land(r, fill(SLAB, 4));
    const d = r.next();
    assert.notEqual(d, c, 'c was kept: never reused');
    assert.notEqual(d, a);
    assert.deepEqual(new Uint8Array(c), fill(SLAB, 3), "the kept read's bytes are intact");
  });

  it('a target without releases() never gets a slab back (the dial)', () => {
    const r = new SocketReader();
    const seen = new Set<Buffer>();
    r.target = { readChunk() {} };
    land(r, fill(SHARED_READ, 0));
    for (let i = 0; i < 4; i++) {
      const region = r.next();
      assert.equal(seen.has(region), false);
      seen.add(region);
      land(r, fill(SLAB, i));
    }
  });

  it('a drained read lets go of its slab: a quiet connection pins no read memory', async () => {
    const r = new SocketReader();
    r.target = collector();
    land(r, fill(SHARED_READ, 0));
    let ref: WeakRef<ArrayBufferLike> | undefined;
    (() => {
      const slab = r.next();
      ref = new WeakRef(slab.buffer);
      land(r, fill(100, 1)); // short: the socket drained
    })();
    (r.target as ReturnType<typeof collector>).chunks.length = 0; // the target let go of the read too
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    assert.equal(ref!.deref(), undefined, 'the slab was collected');
  });

  it('a target that throws: the error is reported, and the next read never lands on the bytes it holds', () => {
    const errors: unknown[] = [];
    const report = SocketReader.report;
    SocketReader.report = (e) => errors.push(e);
    try {
      const r = new SocketReader();
      const t = collector();
      let throwNext = false;
      r.target = {
        readChunk(c) {
          t.readChunk(c);
          if (throwNext) throw new Error('handler');
        },
        releases: t.releases!,
      };
      land(r, fill(SHARED_READ, 0));
      const a = land(r, fill(SLAB, 1));
      throwNext = true;
      const b = r.next();
      assert.doesNotThrow(() => land(r, fill(SLAB, 2)));
      assert.equal(errors.length, 1);
      assert.match(String(errors[0]), /handler/);
      t.holds.add(b.buffer); // say the target kept b's tail when it threw
      throwNext = false;
      const c = r.next();
      assert.notEqual(c, b);
      assert.equal(c, a, 'a, released, is reused; b is not');
      land(r, fill(SLAB, 3));
      assert.deepEqual(new Uint8Array(b), fill(SLAB, 2), "b's bytes intact");
    } finally {
      SocketReader.report = report;
    }
  });

  it('hands Buffers when asked (binaryType nodebuffer), plain Uint8Arrays otherwise', () => {
    const r = new SocketReader();
    const t = collector();
    r.target = t;
    land(r, fill(10, 1));
    r.buffers = true;
    land(r, fill(10, 2));
    land(r, fill(SHARED_READ, 3));
    land(r, fill(10, 4)); // a view of a private slab
    assert.equal(Buffer.isBuffer(t.chunks[0]), false);
    assert.equal(Buffer.isBuffer(t.chunks[1]), true);
    assert.equal(Buffer.isBuffer(t.chunks[3]), true);
  });

  it('a target that detaches during a full read (terminate() in a handler): the dead socket gets the shared region, no fresh slab', () => {
    const r = new SocketReader();
    r.target = { readChunk: () => r.detach() };
    const shared = r.next();
    land(r, fill(SHARED_READ, 1)); // filled: a live socket would move to a slab
    assert.equal(r.next(), shared);
    r.target = collector();
    land(r, fill(SHARED_READ, 2));
    const slab = r.next();
    assert.notEqual(slab, shared);
    r.target = { readChunk: () => r.detach() };
    land(r, fill(SLAB, 3));
    assert.equal(r.next(), shared, 'the slab is let go');
  });

  it('after detach() reads are dropped', () => {
    const r = new SocketReader();
    const t = collector();
    r.target = t;
    r.detach();
    land(r, fill(10, 1));
    assert.equal(t.chunks.length, 0);
  });
});

function payload(n: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 255;
  return b;
}

/** Opens a client and keeps every message it receives. */
async function keepAll(url: string, binaryType: 'nodebuffer' | 'arraybuffer'): Promise<{ ws: WebSocket; got: unknown[]; until(n: number): Promise<void> }> {
  const ws = new WebSocket(url, [], { perMessageDeflate: false });
  ws.binaryType = binaryType;
  const got: unknown[] = [];
  let want = Infinity;
  let wake: (() => void) | undefined;
  let fail: ((e: Error) => void) | undefined;
  ws.onmessage = (e) => {
    got.push(e.data);
    if (got.length >= want) wake?.();
  };
  ws.addEventListener('close', (e) => fail?.(new Error(`closed ${e.code} after ${got.length} messages`)));
  await new Promise<void>((resolve, reject) => {
    ws.onopen = () => resolve();
    ws.onerror = (e) => reject(e.error);
  });
  return {
    ws,
    got,
    until: (n) =>
      got.length >= n
        ? Promise.resolve()
        : new Promise<void>((resolve, reject) => {
            want = n;
            wake = resolve;
            fail = reject;
          }),
  };
}

const asBuffer = (d: unknown) => (d instanceof ArrayBuffer ? Buffer.from(d) : (d as Buffer));

describe('SocketReader on real sockets: kept messages stay intact', () => {
  it('two quiet connections trading small reads through the shared region', async () => {
    const conns: { write(b: Buffer): void }[] = [];
    const s = await serve((c) => {
      c.socket.write(c.accept());
      conns.push(c.socket);
    });
    const a = await keepAll(s.url('/a'), 'nodebuffer');
    const b = await keepAll(s.url('/b'), 'nodebuffer');
    const sent: Buffer[][] = [[], []];
    // Each message is its own small read (the client waits for it), alternating sockets.
    for (let i = 0; i < 60; i++) {
      const k = i & 1;
      const p = payload(20 + ((i * 97) % 900), i);
      sent[k]!.push(p);
      conns[k]!.write(frame(0x2, p));
      await [a, b][k]!.until(sent[k]!.length);
    }
    a.ws.terminate();
    b.ws.terminate();
    for (const [k, c] of [a, b].entries()) {
      assert.equal(c.got.length, 30);
      c.got.forEach((d, i) => assert.ok(asBuffer(d).equals(sent[k]![i]!), `connection ${k}, message ${i} intact`));
    }
  });

  for (const binaryType of ['nodebuffer', 'arraybuffer'] as const) {
    it(`a 6 MiB burst of mixed sizes (reads grow into private slabs), binaryType ${binaryType}`, async () => {
      const sizes = [16, 1024, 65_536, 200_000, 0, 125, 126, 65_535, 300_000, 3, 70_000, 4096];
      const msgs: Buffer[] = [];
      for (let i = 0; msgs.reduce((n, m) => n + m.length, 0) < 6 * 1024 * 1024; i++) msgs.push(payload(sizes[i % sizes.length]!, i));
      const texts = msgs.map((_, i) => `text ${i} ${'é'.repeat(i % 50)}`);
      const s = await serve((c) => {
        c.socket.write(c.accept());
        // One write: the kernel's buffers fill, so client reads fill their regions.
        c.socket.write(Buffer.concat(msgs.flatMap((m, i) => [frame(0x2, m), frame(0x1, texts[i]!)])));
      });
      const reusesBefore = SocketReader.reuses;
      const c = await keepAll(s.url('/'), binaryType);
      await c.until(msgs.length * 2);
      c.ws.terminate();
      // Reads filled their slabs and slabs were read into again (poisoned first).
      if (binaryType === 'arraybuffer') assert.ok(SocketReader.reuses > reusesBefore, 'slabs were reused');
      for (let i = 0; i < msgs.length; i++) {
        assert.ok(asBuffer(c.got[2 * i]).equals(msgs[i]!), `binary message ${i} (${msgs[i]!.length} B) intact at the end`);
        assert.equal(c.got[2 * i + 1], texts[i]);
      }
    });
  }

  it('a trace hook that throws mid-burst: the connection fails (close 1011 sent, event 1006), nothing escapes, every message before it intact', async () => {
    const errors: unknown[] = [];
    const report = SocketReader.report;
    SocketReader.report = (e) => errors.push(e);
    try {
      const msgs = Array.from({ length: 120 }, (_, i) => payload(20_000 + i * 300, i));
      const s = await serve((c) => {
        c.socket.write(c.accept());
        c.socket.write(Buffer.concat(msgs.map((m) => frame(0x2, m))));
      });
      let frames = 0;
      const ws = new WebSocket(s.url('/'), [], {
        perMessageDeflate: false,
        trace: (rec) => {
          if ('opcode' in rec && rec.direction === 'in' && ++frames === 40) throw new Error('trace hook');
        },
      });
      ws.binaryType = 'arraybuffer';
      const got: Buffer[] = [];
      ws.onmessage = (e) => got.push(Buffer.from(e.data as ArrayBuffer));
      let failure: (Error & { code?: string; closeCode?: number }) | undefined;
      ws.onerror = (e) => (failure = e.error as Error & { code?: string; closeCode?: number });
      const closeCode = await new Promise<number>((resolve) => (ws.onclose = (e) => resolve(e.code)));
      assert.equal(closeCode, 1006, 'the close event: no close frame read after ours');
      assert.equal(failure?.code, 'WS_ERR_INTERNAL');
      assert.equal(failure?.closeCode, 1011, 'the close frame we sent');
      assert.deepEqual(errors, []);
      assert.equal(got.length, 39, 'the messages before the fault');
      got.forEach((g, i) => assert.ok(g.equals(msgs[i]!), `message ${i} intact`));
    } finally {
      SocketReader.report = report;
    }
  });
});

describe('SocketReader over TLS (records are read through the shared region)', () => {
  let certs: TestCerts;
  let server: tls.Server;
  let port = 0;
  const msgs = Array.from({ length: 200 }, (_, i) => payload([16, 70_000, 1000, 40_000][i % 4]!, i));
  before(async () => {
    certs = makeCerts();
    server = tls.createServer({ key: certs.key, cert: certs.cert }, (sock) => {
      sock.on('error', () => {});
      let head = Buffer.alloc(0);
      sock.on('data', function onHead(d: Buffer) {
        head = Buffer.concat([head, d]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        sock.off('data', onHead);
        sock.on('data', () => {});
        const key = /^sec-websocket-key:\s*(\S+)/im.exec(head.toString('latin1', 0, end))![1]!;
        sock.write(response101(key));
        sock.write(Buffer.concat(msgs.map((m) => frame(0x2, m))));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  for (const binaryType of ['nodebuffer', 'arraybuffer'] as const) {
    it(`a burst over wss://, every kept message intact (binaryType ${binaryType})`, async () => {
      const ws = new WebSocket(`wss://localhost:${port}/`, [], { perMessageDeflate: false, ca: certs.ca });
      ws.binaryType = binaryType;
      const got: unknown[] = [];
      await new Promise<void>((resolve, reject) => {
        ws.onerror = (e) => reject(e.error);
        ws.onmessage = (e) => {
          got.push(e.data);
          if (got.length === msgs.length) resolve();
        };
      });
      ws.terminate();
      got.forEach((g, i) => assert.ok(asBuffer(g).equals(msgs[i]!), `message ${i} intact`));
    });
  }
});
